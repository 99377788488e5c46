//! Administration, as the command line offers it to the operator who holds the configuration
//! file: members, meters, channels, users and tokens. Every error is in plain words.

use domain::{
    Channel, ChannelId, ChannelKind, MemberId, MemberKind, Meter, MeterId, Role, SeriesKey, Token,
    TokenScope, Unit, User,
};
use store::NewUser;

use crate::auth::{check_password_rule, hash_password, new_secret, secret_hash};
use crate::{App, AppError};

/// A meter with what it carries, for listings.
#[derive(Debug, Clone)]
pub struct MeterListing {
    pub meter: Meter,
    pub member: Option<String>,
    pub channels: Vec<Channel>,
}

/// How to name a channel on the command line.
#[derive(Debug, Clone)]
pub enum ChannelRef {
    Id(ChannelId),
    /// A series name, with the meter it is on when several meters use it.
    Key {
        key: String,
        meter: Option<MeterId>,
    },
}

impl App {
    pub fn add_member(
        &self,
        name: &str,
        kind: MemberKind,
        consent: bool,
    ) -> Result<MemberId, AppError> {
        let c = self.community_id();
        Ok(self
            .store
            .write(|tx| tx.members().add(c, name, kind, consent))?)
    }

    pub fn list_members(&self) -> Result<Vec<domain::Member>, AppError> {
        Ok(self
            .store
            .read(|tx| tx.members().list(self.community_id()))?)
    }

    pub fn set_consent(&self, member: MemberId, consent: bool) -> Result<(), AppError> {
        let c = self.community_id();
        Ok(self.store.write(|tx| {
            tx.members().in_community(c, member)?;
            tx.members().set_consent(member, consent)
        })?)
    }

    pub fn add_meter(&self, name: &str, member: Option<MemberId>) -> Result<MeterId, AppError> {
        let c = self.community_id();
        Ok(self.store.write(|tx| tx.meters().add(c, member, name))?)
    }

    pub fn list_meters(&self) -> Result<Vec<MeterListing>, AppError> {
        let c = self.community_id();
        Ok(self.store.read(|tx| {
            let members = tx.members().list(c)?;
            let channels = tx.channels().list(c)?;
            Ok(tx
                .meters()
                .list(c)?
                .into_iter()
                .map(|meter| MeterListing {
                    member: meter
                        .member_id
                        .and_then(|id| members.iter().find(|m| m.id == id))
                        .map(|m| m.name.clone()),
                    channels: channels
                        .iter()
                        .filter(|ch| ch.meter_id == Some(meter.id))
                        .cloned()
                        .collect(),
                    meter,
                })
                .collect())
        })?)
    }

    pub fn list_channels(&self) -> Result<Vec<Channel>, AppError> {
        Ok(self
            .store
            .read(|tx| tx.channels().list(self.community_id()))?)
    }

    /// Creates a channel on a meter with its meaning from `valid_from_ms` on.
    pub fn add_channel(
        &self,
        meter: MeterId,
        key: &str,
        unit: Unit,
        kind: ChannelKind,
        valid_from_ms: i64,
    ) -> Result<ChannelId, AppError> {
        let c = self.community_id();
        let series_key = SeriesKey::parse(key)?;
        let now = self.now_ms();
        Ok(self.store.write(|tx| {
            tx.channels().add(
                &store::NewChannel {
                    community_id: c,
                    meter_id: Some(meter),
                    series_key: series_key.clone(),
                    unit,
                    kind: Some(kind),
                    phase: None,
                    valid_from_ms,
                },
                now,
            )
        })?)
    }

    fn resolve_channel(&self, channel: &ChannelRef) -> Result<Channel, AppError> {
        let c = self.community_id();
        self.store.read(|tx| {
            Ok(match channel {
                ChannelRef::Id(id) => match tx.channels().find(*id)? {
                    Some(ch) if ch.community_id == c => Ok(ch),
                    _ => Err(AppError::not_found(format!("channel {id} does not exist"))),
                },
                ChannelRef::Key { key, meter } => {
                    let mut found = tx.channels().by_key(c, key)?;
                    if let Some(m) = meter {
                        found.retain(|ch| ch.meter_id == Some(*m));
                    }
                    match found.len() {
                        0 => Err(AppError::not_found(format!("no channel is named '{key}'"))),
                        1 => Ok(found.remove(0)),
                        n => Err(AppError::invalid(format!(
                            "{n} channels are named '{key}' (ids {}): say which with its id or its meter",
                            found.iter().map(|c| c.id.to_string()).collect::<Vec<_>>().join(", ")
                        ))),
                    }
                }
            })
        })?
    }

    /// Gives a channel a meter and a meaning from an instant on; history is kept and the
    /// community totals are rebuilt.
    pub fn assign_channel(
        &self,
        channel: &ChannelRef,
        meter: MeterId,
        kind: ChannelKind,
        phase: Option<i64>,
        valid_from_ms: i64,
        note: &str,
    ) -> Result<Channel, AppError> {
        let ch = self.resolve_channel(channel)?;
        let c = self.community_id();
        Ok(self.store.write(|tx| {
            tx.meters().in_community(c, meter)?;
            tx.channels()
                .assign(ch.id, meter, kind, phase, valid_from_ms, note)?;
            tx.channels().get(ch.id)
        })?)
    }

    pub fn add_user(
        &self,
        login: &str,
        display_name: &str,
        role: Role,
        member: Option<MemberId>,
        lang: &str,
        password: &str,
    ) -> Result<domain::UserId, AppError> {
        check_password_rule(password)?;
        if role == Role::Resident && member.is_none() {
            return Err(AppError::invalid(
                "a resident account needs the member it belongs to (--member ID)",
            ));
        }
        let hash = hash_password(password);
        let new = NewUser {
            community_id: self.community_id(),
            login: login.to_string(),
            display_name: display_name.to_string(),
            password_hash: hash,
            role,
            member_id: member,
            lang: lang.to_string(),
        };
        Ok(self.store.write(|tx| tx.users().create(&new))?)
    }

    pub fn list_users(&self) -> Result<Vec<User>, AppError> {
        Ok(self.store.read(|tx| tx.users().list(self.community_id()))?)
    }

    fn user_by_login(&self, login: &str) -> Result<User, AppError> {
        self.store
            .read(|tx| tx.users().by_login(login))?
            .map(|(u, _)| u)
            .filter(|u| u.community_id == self.community_id())
            .ok_or_else(|| AppError::not_found(format!("no user has the login '{}'", login.trim())))
    }

    /// Sets a new password; every session of the user ends.
    pub fn set_password(&self, login: &str, password: &str) -> Result<(), AppError> {
        check_password_rule(password)?;
        let user = self.user_by_login(login)?;
        let hash = hash_password(password);
        Ok(self
            .store
            .write(|tx| tx.users().set_password(user.id, &hash))?)
    }

    /// Removes a user with its sessions and read tokens.
    pub fn remove_user(&self, login: &str) -> Result<(), AppError> {
        let user = self.user_by_login(login)?;
        Ok(self.store.write(|tx| tx.users().remove(user.id))?)
    }

    /// Creates a token and returns its secret (only its hash is stored).
    pub fn create_token(&self, scope: TokenScope, label: &str) -> Result<(i64, String), AppError> {
        let secret = new_secret();
        let hash = secret_hash(&secret);
        let (c, now) = (self.community_id(), self.now_ms());
        let id = self
            .store
            .write(|tx| tx.tokens().create(&hash, c, scope, label, now))?;
        Ok((id, secret))
    }

    /// A read token for the user with this login.
    pub fn user_read_scope(&self, login: &str) -> Result<TokenScope, AppError> {
        Ok(TokenScope::UserRead {
            user_id: self.user_by_login(login)?.id,
        })
    }

    pub fn list_tokens(&self) -> Result<Vec<Token>, AppError> {
        Ok(self
            .store
            .read(|tx| tx.tokens().list(self.community_id()))?)
    }

    pub fn revoke_token(&self, id: i64) -> Result<(), AppError> {
        let c = self.community_id();
        if self.store.write(|tx| tx.tokens().revoke(c, id))? {
            Ok(())
        } else {
            Err(AppError::not_found(format!("token {id} does not exist")))
        }
    }
}
