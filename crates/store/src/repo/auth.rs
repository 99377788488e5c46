//! Users (with their argon2 hash), sessions and tokens. Only hashes of secrets are stored.

use domain::{
    normalize_login, CommunityId, MemberId, MeterId, Role, Token, TokenScope, User, UserId,
};

use crate::backend::{params, Row};
use crate::{Result, StoreError, Tx};

pub struct Users<'t, 'c>(pub(crate) &'t mut Tx<'c>);
pub struct Sessions<'t, 'c>(pub(crate) &'t mut Tx<'c>);
pub struct Tokens<'t, 'c>(pub(crate) &'t mut Tx<'c>);
pub struct AccountLinks<'t, 'c>(pub(crate) &'t mut Tx<'c>);

/// What a one-time account link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A new account chooses its first password.
    Invite,
    /// An existing account chooses a new password.
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invite => "invite",
            LinkPurpose::Reset => "reset",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "invite" => Ok(LinkPurpose::Invite),
            "reset" => Ok(LinkPurpose::Reset),
            other => Err(StoreError::corrupt(format!(
                "account link purpose '{other}'"
            ))),
        }
    }
}

/// A pending one-time link (only the hash of its secret is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLink {
    pub user_id: UserId,
    pub purpose: LinkPurpose,
    pub expires_ms: i64,
}

#[derive(Clone)]
pub struct NewUser {
    pub community_id: CommunityId,
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub member_id: Option<MemberId>,
    pub lang: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("login", &self.login)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// A live session.
#[derive(Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_ms: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("csrf", &"<redacted>")
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

const USER_SELECT: &str =
    "SELECT id, community_id, login, display_name, password_hash, role, member_id, lang FROM users";

fn user(r: &Row) -> Result<User> {
    let role = r.text("role")?;
    Ok(User {
        id: r.id("id")?,
        community_id: r.id("community_id")?,
        login: r.text("login")?,
        display_name: r.text("display_name")?,
        role: Role::parse(&role).map_err(|_| StoreError::corrupt(format!("role '{role}'")))?,
        member_id: r.opt_id("member_id")?,
        lang: r.text("lang")?,
    })
}

impl Users<'_, '_> {
    pub fn create(&mut self, new: &NewUser) -> Result<UserId> {
        let login = normalize_login(&new.login);
        if login.is_empty() || login.chars().count() > 64 || login.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                "a login has 1 to 64 printable characters",
            ));
        }
        if let Some(m) = new.member_id {
            self.0.members().in_community(new.community_id, m)?;
        }
        if self.by_login(&login)?.is_some() {
            return Err(StoreError::conflict(format!(
                "the login '{login}' is taken"
            )));
        }
        self.0
            .writing()?
            .query_one(
                "INSERT INTO users (community_id, login, display_name, password_hash, role, member_id, lang)
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                params![
                    new.community_id,
                    login,
                    new.display_name.trim(),
                    new.password_hash.as_str(),
                    new.role.as_str(),
                    new.member_id,
                    new.lang.as_str()
                ],
            )?
            .id("id")
    }

    /// The user with this login (normalised) and its password hash.
    pub fn by_login(&mut self, login: &str) -> Result<Option<(User, String)>> {
        self.0
            .db()
            .query_opt(
                &format!("{USER_SELECT} WHERE login = ?"),
                params![normalize_login(login)],
            )?
            .map(|r| Ok((user(&r)?, r.text("password_hash")?)))
            .transpose()
    }

    pub fn get(&mut self, id: UserId) -> Result<User> {
        self.0
            .db()
            .query_opt(&format!("{USER_SELECT} WHERE id = ?"), params![id])?
            .map(|r| user(&r))
            .transpose()?
            .ok_or_else(|| StoreError::not_found(format!("user {id}")))
    }

    pub fn list(&mut self, community: CommunityId) -> Result<Vec<User>> {
        self.0
            .db()
            .query(
                &format!("{USER_SELECT} WHERE community_id = ? ORDER BY id"),
                params![community],
            )?
            .iter()
            .map(user)
            .collect()
    }

    /// Replaces the password hash and ends every session of the user.
    pub fn set_password(&mut self, id: UserId, password_hash: &str) -> Result<()> {
        let n = self.0.writing()?.exec(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            params![password_hash, id],
        )?;
        if n == 0 {
            return Err(StoreError::not_found(format!("user {id}")));
        }
        self.0.sessions().delete_user(id)?;
        Ok(())
    }

    /// Removes a user, its sessions and its read tokens.
    /// The language the user reads the pages in.
    pub fn set_lang(&mut self, id: UserId, lang: &str) -> Result<()> {
        let n = self
            .0
            .writing()?
            .exec("UPDATE users SET lang = ? WHERE id = ?", params![lang, id])?;
        if n == 0 {
            return Err(StoreError::not_found(format!("user {id}")));
        }
        Ok(())
    }

    /// Gives the user another role; its sessions end, so every page is read with the new one.
    pub fn set_role(&mut self, id: UserId, role: Role) -> Result<()> {
        let n = self.0.writing()?.exec(
            "UPDATE users SET role = ? WHERE id = ?",
            params![role.as_str(), id],
        )?;
        if n == 0 {
            return Err(StoreError::not_found(format!("user {id}")));
        }
        self.0.sessions().delete_user(id)?;
        Ok(())
    }

    pub fn remove(&mut self, id: UserId) -> Result<()> {
        self.get(id)?;
        self.0.sessions().delete_user(id)?;
        self.0.account_links().delete_user(id)?;
        let db = self.0.writing()?;
        db.exec("DELETE FROM tokens WHERE user_id = ?", params![id])?;
        db.exec("DELETE FROM users WHERE id = ?", params![id])?;
        Ok(())
    }
}

impl Sessions<'_, '_> {
    pub fn create(
        &mut self,
        token_hash: &str,
        user: UserId,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<()> {
        self.0.writing()?.exec(
            "INSERT INTO sessions (token_hash, user_id, csrf, expires_ms) VALUES (?, ?, ?, ?)",
            params![token_hash, user, csrf, expires_ms],
        )?;
        Ok(())
    }

    /// The live session with this token hash, `None` if unknown or expired at `now_ms`.
    pub fn get(&mut self, token_hash: &str, now_ms: i64) -> Result<Option<Session>> {
        let Some(row) = self.0.db().query_opt(
            "SELECT s.csrf AS csrf, s.expires_ms AS expires_ms, u.id AS id, u.community_id AS community_id,
                    u.login AS login, u.display_name AS display_name, u.password_hash AS password_hash,
                    u.role AS role, u.member_id AS member_id, u.lang AS lang
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_ms > ?",
            params![token_hash, now_ms],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            user: user(&row)?,
            csrf: row.text("csrf")?,
            expires_ms: row.i64("expires_ms")?,
        }))
    }

    pub fn delete(&mut self, token_hash: &str) -> Result<()> {
        self.0.writing()?.exec(
            "DELETE FROM sessions WHERE token_hash = ?",
            params![token_hash],
        )?;
        Ok(())
    }

    /// Ends every session of a user ("log out everywhere"); returns how many.
    pub fn delete_user(&mut self, user: UserId) -> Result<u64> {
        self.0
            .writing()?
            .exec("DELETE FROM sessions WHERE user_id = ?", params![user])
    }

    /// Deletes expired sessions; returns how many.
    pub fn purge(&mut self, now_ms: i64) -> Result<u64> {
        self.0.writing()?.exec(
            "DELETE FROM sessions WHERE expires_ms <= ?",
            params![now_ms],
        )
    }
}

const TOKEN_SELECT: &str =
    "SELECT id, community_id, scope, meter_id, user_id, label, created_ms FROM tokens";

fn token(r: &Row) -> Result<Token> {
    let scope = match r.text("scope")?.as_str() {
        "meter_write" => TokenScope::MeterWrite {
            meter_id: r.id("meter_id")?,
        },
        "user_read" => TokenScope::UserRead {
            user_id: r.id("user_id")?,
        },
        "community_write" => TokenScope::CommunityWrite,
        other => return Err(StoreError::corrupt(format!("token scope '{other}'"))),
    };
    Ok(Token {
        id: r.i64("id")?,
        community_id: r.id("community_id")?,
        scope,
        label: r.text("label")?,
        created_ms: r.i64("created_ms")?,
    })
}

impl Tokens<'_, '_> {
    pub fn create(
        &mut self,
        token_hash: &str,
        community: CommunityId,
        scope: TokenScope,
        label: &str,
        now_ms: i64,
    ) -> Result<i64> {
        let (name, meter, user): (&str, Option<MeterId>, Option<UserId>) = match scope {
            TokenScope::MeterWrite { meter_id } => {
                self.0.meters().in_community(community, meter_id)?;
                ("meter_write", Some(meter_id), None)
            }
            TokenScope::UserRead { user_id } => {
                let u = self.0.users().get(user_id)?;
                if u.community_id != community {
                    return Err(StoreError::not_found(format!("user {user_id}")));
                }
                ("user_read", None, Some(user_id))
            }
            TokenScope::CommunityWrite => ("community_write", None, None),
        };
        self.0
            .writing()?
            .query_one(
                "INSERT INTO tokens (token_hash, community_id, scope, meter_id, user_id, label, created_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                params![token_hash, community, name, meter, user, label, now_ms],
            )?
            .i64("id")
    }

    pub fn by_hash(&mut self, token_hash: &str) -> Result<Option<Token>> {
        self.0
            .db()
            .query_opt(
                &format!("{TOKEN_SELECT} WHERE token_hash = ?"),
                params![token_hash],
            )?
            .map(|r| token(&r))
            .transpose()
    }

    pub fn list(&mut self, community: CommunityId) -> Result<Vec<Token>> {
        self.0
            .db()
            .query(
                &format!("{TOKEN_SELECT} WHERE community_id = ? ORDER BY id"),
                params![community],
            )?
            .iter()
            .map(token)
            .collect()
    }

    /// Revokes a token of the community; `false` if there is no such token.
    pub fn revoke(&mut self, community: CommunityId, id: i64) -> Result<bool> {
        Ok(self.0.writing()?.exec(
            "DELETE FROM tokens WHERE id = ? AND community_id = ?",
            params![id, community],
        )? > 0)
    }
}

fn link(r: &Row) -> Result<AccountLink> {
    Ok(AccountLink {
        user_id: r.id("user_id")?,
        purpose: LinkPurpose::parse(&r.text("purpose")?)?,
        expires_ms: r.i64("expires_ms")?,
    })
}

impl AccountLinks<'_, '_> {
    /// A new link for the user; any earlier link of the user stops working.
    pub fn create(
        &mut self,
        token_hash: &str,
        user: UserId,
        purpose: LinkPurpose,
        expires_ms: i64,
    ) -> Result<()> {
        self.0.users().get(user)?;
        self.delete_user(user)?;
        self.0.writing()?.exec(
            "INSERT INTO account_links (token_hash, user_id, purpose, expires_ms) VALUES (?, ?, ?, ?)",
            params![token_hash, user, purpose.as_str(), expires_ms],
        )?;
        Ok(())
    }

    /// The live link with this hash, if any.
    pub fn get(&mut self, token_hash: &str, now_ms: i64) -> Result<Option<AccountLink>> {
        self.0
            .db()
            .query_opt(
                "SELECT user_id, purpose, expires_ms FROM account_links WHERE token_hash = ? AND expires_ms >= ?",
                params![token_hash, now_ms],
            )?
            .map(|r| link(&r))
            .transpose()
    }

    /// Uses the link: it is gone afterwards, whether or not it was live.
    pub fn take(&mut self, token_hash: &str, now_ms: i64) -> Result<Option<AccountLink>> {
        let found = self.get(token_hash, now_ms)?;
        self.0.writing()?.exec(
            "DELETE FROM account_links WHERE token_hash = ?",
            params![token_hash],
        )?;
        Ok(found)
    }

    /// The pending link of each user of the community that has one.
    pub fn pending(&mut self, community: CommunityId) -> Result<Vec<AccountLink>> {
        self.0
            .db()
            .query(
                "SELECT l.user_id, l.purpose, l.expires_ms FROM account_links l JOIN users u ON u.id = l.user_id
                 WHERE u.community_id = ? ORDER BY l.user_id",
                params![community],
            )?
            .iter()
            .map(link)
            .collect()
    }

    pub fn delete_user(&mut self, user: UserId) -> Result<u64> {
        self.0
            .writing()?
            .exec("DELETE FROM account_links WHERE user_id = ?", params![user])
    }
}
