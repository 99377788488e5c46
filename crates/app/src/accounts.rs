//! Accounts run from the browser: a coordinator invites a resident with a one-time link to
//! choose a password, makes a reset link, changes a role, or marks a member as gone. Links are
//! secrets shown once; only their hash is stored, and using one ends it.

use domain::{MemberId, Role, User, UserId};
use serde_json::json;
pub use store::{AccountLink, LinkPurpose};
use store::{NewAuditEntry, NewUser};

use crate::access::Viewer;
use crate::auth::{check_password_rule, hash_password, new_secret, secret_hash, LoginOk};
use crate::coord::coordinator;
use crate::{App, AppError, Kind};

/// How long an invitation stays valid.
pub const INVITE_MS: i64 = 7 * 86_400_000;
/// How long a password-reset link stays valid.
pub const RESET_MS: i64 = 24 * 3_600_000;

/// An account of a member, with its pending link if it has one.
#[derive(Debug, Clone)]
pub struct MemberAccount {
    pub user: User,
    pub link: Option<AccountLink>,
    /// The account has chosen a password (an invited account has not, until it uses its link).
    pub has_password: bool,
}

/// A new one-time link: its secret (shown once) and when it expires.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub user: UserId,
    pub member: Option<MemberId>,
    pub login: String,
    pub secret: String,
    pub purpose: LinkPurpose,
    pub expires_ms: i64,
}

/// The roles a coordinator may give; an operator may also make operators.
fn may_grant(viewer: &Viewer, role: Role) -> Result<(), AppError> {
    match role {
        Role::Resident | Role::Coordinator => Ok(()),
        Role::Operator if viewer.user.role == Role::Operator => Ok(()),
        Role::Operator => Err(AppError::forbidden("only an operator can make an operator")),
    }
}

impl App {
    /// The accounts of one member, for the member's settings page.
    pub fn coord_member_accounts(
        &self,
        viewer: &Viewer,
        member: MemberId,
    ) -> Result<Vec<MemberAccount>, AppError> {
        coordinator(viewer)?;
        let c = self.community_id();
        let now = self.now_ms();
        Ok(self.store.read(|tx| {
            tx.members().in_community(c, member)?;
            let links = tx.account_links().pending(c)?;
            let mut out = Vec::new();
            for user in tx.users().list(c)? {
                if user.member_id != Some(member) {
                    continue;
                }
                let has_password = tx
                    .users()
                    .by_login(&user.login)?
                    .is_some_and(|(_, hash)| !hash.is_empty());
                let link = links
                    .iter()
                    .find(|l| l.user_id == user.id && l.expires_ms >= now)
                    .cloned();
                out.push(MemberAccount {
                    user,
                    link,
                    has_password,
                });
            }
            Ok(out)
        })?)
    }

    /// Creates an account for a member, without a password, and its invitation link.
    pub fn coord_invite(
        &self,
        viewer: &Viewer,
        member: MemberId,
        login: &str,
        display_name: &str,
        role: Role,
    ) -> Result<NewLink, AppError> {
        may_grant(viewer, role)?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 100 {
            return Err(AppError::invalid("name: 1 to 100 characters"));
        }
        let (c, now) = (self.community_id(), self.now_ms());
        let secret = new_secret();
        let expires_ms = now + INVITE_MS;
        self.audited(viewer, |tx| {
            let m = tx.members().in_community(c, member)?;
            if !m.is_active() {
                return Err(store::StoreError::invalid(
                    "this member has left the community: reactivate it first",
                ));
            }
            let new = NewUser {
                community_id: c,
                login: login.to_string(),
                display_name: display_name.to_string(),
                password_hash: String::new(),
                role,
                member_id: Some(member),
                lang: viewer.user.lang.clone(),
            };
            let user = tx.users().create(&new)?;
            let login = tx.users().get(user)?.login;
            tx.account_links().create(
                &secret_hash(&secret),
                user,
                LinkPurpose::Invite,
                expires_ms,
            )?;
            let link = NewLink {
                user,
                member: Some(member),
                login: login.clone(),
                secret: secret.clone(),
                purpose: LinkPurpose::Invite,
                expires_ms,
            };
            let detail = json!({ "login": login, "role": role.as_str() });
            Ok((link, Some(member), "account_invited", detail))
        })
    }

    /// A new link for an account of the community to choose a new password; an earlier link
    /// stops working. The current password keeps working until the link is used.
    pub fn coord_reset_link(&self, viewer: &Viewer, user: UserId) -> Result<NewLink, AppError> {
        let (c, now) = (self.community_id(), self.now_ms());
        let secret = new_secret();
        self.audited(viewer, |tx| {
            let u = tx.users().get(user)?;
            if u.community_id != c {
                return Err(store::StoreError::not_found(format!("user {user}")));
            }
            let has_password = tx
                .users()
                .by_login(&u.login)?
                .is_some_and(|(_, hash)| !hash.is_empty());
            // An account that never chose a password gets a new invitation instead.
            let (purpose, expires_ms) = if has_password {
                (LinkPurpose::Reset, now + RESET_MS)
            } else {
                (LinkPurpose::Invite, now + INVITE_MS)
            };
            tx.account_links()
                .create(&secret_hash(&secret), user, purpose, expires_ms)?;
            let link = NewLink {
                user,
                member: u.member_id,
                login: u.login.clone(),
                secret: secret.clone(),
                purpose,
                expires_ms,
            };
            let action = match purpose {
                LinkPurpose::Reset => "password_reset_link",
                LinkPurpose::Invite => "account_invited",
            };
            let detail = json!({ "login": u.login, "role": u.role.as_str() });
            Ok((link, u.member_id, action, detail))
        })
    }

    /// Gives an account another role. The community always keeps a coordinator, and a resident
    /// account always belongs to a member. Returns the account's member.
    pub fn coord_set_role(
        &self,
        viewer: &Viewer,
        user: UserId,
        role: Role,
    ) -> Result<Option<MemberId>, AppError> {
        may_grant(viewer, role)?;
        let c = self.community_id();
        coordinator(viewer)?;
        let current = self.store.read(|tx| tx.users().get(user))?;
        if current.community_id != c {
            return Err(AppError::not_found(format!("user {user}")));
        }
        if current.role == role {
            return Ok(current.member_id);
        }
        if current.role == Role::Operator {
            may_grant(viewer, Role::Operator)?;
        }
        self.audited(viewer, |tx| {
            let before = tx.users().get(user)?;
            if role == Role::Resident && before.member_id.is_none() {
                return Err(store::StoreError::invalid(
                    "a resident account needs the member it belongs to",
                ));
            }
            let others = tx
                .users()
                .list(c)?
                .into_iter()
                .filter(|u| u.id != user && u.is_coordinator())
                .count();
            if before.is_coordinator() && role == Role::Resident && others == 0 {
                return Err(store::StoreError::invalid(
                    "the community needs at least one coordinator: make another one first",
                ));
            }
            tx.users().set_role(user, role)?;
            let detail =
                json!({ "login": before.login, "from": before.role.as_str(), "to": role.as_str() });
            Ok((before.member_id, before.member_id, "role_changed", detail))
        })
    }

    /// Marks a member as gone (its data stays, its accounts no longer sign in) or back.
    pub fn coord_set_active(
        &self,
        viewer: &Viewer,
        member: MemberId,
        active: bool,
    ) -> Result<(), AppError> {
        let (c, now) = (self.community_id(), self.now_ms());
        coordinator(viewer)?;
        let current = self.store.read(|tx| tx.members().in_community(c, member))?;
        if current.is_active() == active {
            return Ok(());
        }
        if !active && viewer.user.member_id == Some(member) {
            return Err(AppError::invalid(
                "you cannot deactivate your own household: ask another coordinator",
            ));
        }
        self.audited(viewer, |tx| {
            let m = tx.members().in_community(c, member)?;
            tx.members()
                .set_deactivated(member, (!active).then_some(now))?;
            let action = if active {
                "member_reactivated"
            } else {
                "member_deactivated"
            };
            Ok(((), Some(member), action, json!({ "name": m.name })))
        })
    }

    /// The account a live link is for, and what the link is for. Anyone holding the link may
    /// ask; an unknown, used or expired link is `None`.
    pub fn account_link(&self, secret: &str) -> Result<Option<(User, LinkPurpose)>, AppError> {
        if secret.is_empty() || secret.len() > 128 {
            return Ok(None);
        }
        let (c, now) = (self.community_id(), self.now_ms());
        Ok(self.store.read(|tx| {
            let Some(link) = tx.account_links().get(&secret_hash(secret), now)? else {
                return Ok(None);
            };
            let user = tx.users().get(link.user_id)?;
            Ok((user.community_id == c).then_some((user, link.purpose)))
        })?)
    }

    /// Uses a link: the account gets the password, every other session of it ends, the link is
    /// gone, the member can read it in the log, and this browser is signed in.
    pub fn use_account_link(
        &self,
        secret: &str,
        password: &str,
        confirm: &str,
    ) -> Result<LoginOk, AppError> {
        check_password_rule(password)?;
        if password != confirm {
            return Err(AppError::invalid("the two passwords differ"));
        }
        let gone = || {
            AppError::new(
                Kind::NotFound,
                "this link has expired or was already used: ask your coordinator for a new one",
            )
        };
        if self.account_link(secret)?.is_none() {
            return Err(gone());
        }
        let hash = hash_password(password);
        let (c, now) = (self.community_id(), self.now_ms());
        let user = self.store.write(|tx| {
            let Some(link) = tx.account_links().take(&secret_hash(secret), now)? else {
                return Ok(None);
            };
            let user = tx.users().get(link.user_id)?;
            if user.community_id != c {
                return Ok(None);
            }
            tx.users().set_password(user.id, &hash)?;
            tx.audit().add(&NewAuditEntry {
                community_id: c,
                at_ms: now,
                actor_id: Some(user.id),
                actor: &user.display_name,
                member_id: user.member_id,
                action: "password_chosen",
                detail: json!({ "login": user.login, "purpose": link.purpose.as_str() }),
            })?;
            Ok(Some(user))
        })?;
        let user = user.ok_or_else(gone)?;
        self.open_session(user)
    }
}
