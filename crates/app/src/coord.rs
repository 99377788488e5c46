//! What coordinators change from the browser: members, meters, channel assignments and
//! tokens. Every change is authorised by role, runs in one transaction with its audit entry,
//! and names the member it concerns so that member can read it too.

use domain::{ChannelId, ChannelKind, MemberId, MemberKind, Meter, MeterId, Point, TokenScope};
use serde_json::{json, Value};
pub use store::AuditEntry;
use store::{NewAuditEntry, Tx};

use crate::access::Viewer;
use crate::auth::{new_secret, secret_hash};
use crate::{App, AppError};

/// How far back a channel's preview reaches.
pub const PREVIEW_MS: i64 = 24 * 3_600_000;
/// Audit entries shown at most.
pub const AUDIT_LIMIT: i64 = 200;

/// What a coordinator decides when assigning a channel.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub meter: MeterId,
    pub kind: ChannelKind,
    pub phase: Option<i64>,
    pub valid_from_ms: i64,
}

/// An unassigned (or visible) channel with its recent points, for the assignment form.
#[derive(Debug, Clone)]
pub struct ChannelPreview {
    pub channel: domain::Channel,
    pub meter: Option<Meter>,
    pub points: Vec<Point>,
    /// The channel's first stored point: where an assignment usually starts.
    pub first_ts_ms: Option<i64>,
    /// Meters it may be assigned to, with their member's name.
    pub meters: Vec<(Meter, Option<String>)>,
}

pub(crate) fn coordinator(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.is_coordinator() && viewer.csrf.is_some() {
        Ok(())
    } else {
        Err(AppError::forbidden("coordinators only"))
    }
}

impl App {
    pub(crate) fn audited<T>(
        &self,
        viewer: &Viewer,
        f: impl Fn(&mut Tx<'_>) -> Result<(T, Option<MemberId>, &'static str, Value), store::StoreError>,
    ) -> Result<T, AppError> {
        coordinator(viewer)?;
        let (c, now) = (self.community_id(), self.now_ms());
        Ok(self.store.write(|tx| {
            let (out, member, action, detail) = f(tx)?;
            tx.audit().add(&NewAuditEntry {
                community_id: c,
                at_ms: now,
                actor_id: Some(viewer.user.id),
                actor: &viewer.user.display_name,
                member_id: member,
                action,
                detail,
            })?;
            Ok(out)
        })?)
    }

    pub fn coord_add_member(
        &self,
        viewer: &Viewer,
        name: &str,
        kind: MemberKind,
        consent: bool,
    ) -> Result<MemberId, AppError> {
        let c = self.community_id();
        self.audited(viewer, |tx| {
            let id = tx.members().add(c, name, kind, consent)?;
            let detail = json!({ "name": name.trim(), "kind": kind.as_str(), "consent": consent });
            Ok((id, Some(id), "member_added", detail))
        })
    }

    pub fn coord_edit_member(
        &self,
        viewer: &Viewer,
        member: MemberId,
        name: &str,
        kind: MemberKind,
        consent: bool,
    ) -> Result<(), AppError> {
        let c = self.community_id();
        coordinator(viewer)?;
        let current = self.store.read(|tx| tx.members().in_community(c, member))?;
        if current.name == name.trim()
            && current.kind == kind
            && current.consent_individual == consent
        {
            // Saving an unchanged form changes nothing, and logs nothing.
            return Ok(());
        }
        self.audited(viewer, |tx| {
            let before = tx.members().in_community(c, member)?;
            tx.members().update(member, name, kind)?;
            tx.members().set_consent(member, consent)?;
            let mut changed = serde_json::Map::new();
            if before.name != name.trim() {
                changed.insert("name".into(), json!([before.name, name.trim()]));
            }
            if before.kind != kind {
                changed.insert("kind".into(), json!([before.kind.as_str(), kind.as_str()]));
            }
            if before.consent_individual != consent {
                changed.insert(
                    "consent".into(),
                    json!([before.consent_individual, consent]),
                );
            }
            Ok(((), Some(member), "member_edited", Value::Object(changed)))
        })
    }

    pub fn coord_add_meter(
        &self,
        viewer: &Viewer,
        member: MemberId,
        name: &str,
    ) -> Result<MeterId, AppError> {
        let c = self.community_id();
        self.audited(viewer, |tx| {
            let id = tx.meters().add(c, Some(member), name)?;
            Ok((
                id,
                Some(member),
                "meter_added",
                json!({ "meter": name.trim() }),
            ))
        })
    }

    /// The channel with its last day of points, when the coordinator may see them: an
    /// unassigned channel belongs to nobody yet; an assigned one only with its member's consent.
    pub fn channel_preview(
        &self,
        viewer: &Viewer,
        channel: ChannelId,
    ) -> Result<ChannelPreview, AppError> {
        coordinator(viewer)?;
        let (c, now) = (self.community_id(), self.now_ms());
        let vis = self.visibility(viewer)?;
        self.read(|tx| {
            let ch = match tx.channels().find(channel)? {
                Some(ch) if ch.community_id == c => ch,
                _ => return Err(AppError::not_found(format!("channel {channel}"))),
            };
            let meter = ch.meter_id.map(|m| tx.meters().get(m)).transpose()?;
            let owner = meter.as_ref().and_then(|m| m.member_id);
            let may_see =
                ch.configs.is_empty() || owner.is_some_and(|m| vis.individuals.contains(&m));
            let points = if may_see {
                let until = ch.last_ts_ms.unwrap_or(now).min(now);
                tx.points().range(ch.id, until - PREVIEW_MS, until + 1)?
            } else {
                Vec::new()
            };
            let first_ts_ms = tx.points().first_ts(ch.id)?;
            let members = tx.members().list(c)?;
            let meters = tx
                .meters()
                .list(c)?
                .into_iter()
                .map(|m| {
                    let name = m
                        .member_id
                        .and_then(|id| members.iter().find(|x| x.id == id))
                        .map(|x| x.name.clone());
                    (m, name)
                })
                .collect();
            Ok(ChannelPreview {
                channel: ch,
                meter,
                points,
                first_ts_ms,
                meters,
            })
        })
    }

    pub fn coord_assign_channel(
        &self,
        viewer: &Viewer,
        channel: ChannelId,
        a: &Assignment,
    ) -> Result<(), AppError> {
        let c = self.community_id();
        if let Some(p) = a.phase {
            if !(1..=3).contains(&p) {
                return Err(AppError::invalid("phase: 1, 2 or 3, or none"));
            }
        }
        self.audited(viewer, |tx| {
            let ch = match tx.channels().find(channel)? {
                Some(ch) if ch.community_id == c => ch,
                _ => return Err(store::StoreError::not_found(format!("channel {channel}"))),
            };
            let meter = tx.meters().in_community(c, a.meter)?;
            tx.channels().assign(
                channel,
                a.meter,
                a.kind,
                a.phase,
                a.valid_from_ms,
                "assigned from the browser",
            )?;
            let detail = json!({
                "channel": ch.series_key, "meter": meter.name, "kind": a.kind.as_str(),
                "phase": a.phase, "valid_from_ms": a.valid_from_ms,
            });
            Ok(((), meter.member_id, "channel_assigned", detail))
        })
    }

    /// A new write token; its secret is returned once and only its hash is kept.
    pub fn coord_create_token(
        &self,
        viewer: &Viewer,
        meter: Option<MeterId>,
        label: &str,
    ) -> Result<(i64, String), AppError> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(AppError::invalid("label: 1 to 100 characters"));
        }
        let (c, now) = (self.community_id(), self.now_ms());
        let secret = new_secret();
        let hash = secret_hash(&secret);
        let id = self.audited(viewer, |tx| {
            let (scope, member, meter_name) = match meter {
                Some(m) => {
                    let m = tx.meters().in_community(c, m)?;
                    (
                        TokenScope::MeterWrite { meter_id: m.id },
                        m.member_id,
                        Some(m.name),
                    )
                }
                None => (TokenScope::CommunityWrite, None, None),
            };
            let id = tx.tokens().create(&hash, c, scope, label, now)?;
            Ok((
                id,
                member,
                "token_created",
                json!({ "token": id, "label": label, "meter": meter_name }),
            ))
        })?;
        Ok((id, secret))
    }

    pub fn coord_revoke_token(&self, viewer: &Viewer, id: i64) -> Result<(), AppError> {
        let c = self.community_id();
        self.audited(viewer, |tx| {
            let token = tx
                .tokens()
                .list(c)?
                .into_iter()
                .find(|t| t.id == id)
                .ok_or_else(|| store::StoreError::not_found(format!("token {id}")))?;
            let member = match token.scope {
                TokenScope::MeterWrite { meter_id } => tx.meters().get(meter_id)?.member_id,
                TokenScope::UserRead { user_id } => tx.users().get(user_id)?.member_id,
                TokenScope::CommunityWrite => None,
            };
            tx.tokens().revoke(c, id)?;
            Ok((
                (),
                member,
                "token_revoked",
                json!({ "token": id, "label": token.label }),
            ))
        })
    }

    /// The audit log: all of it for a coordinator, what concerns their own member for a
    /// resident (newest first).
    pub fn audit_log(
        &self,
        viewer: &Viewer,
        member: Option<MemberId>,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let c = self.community_id();
        let member = if viewer.is_coordinator() {
            member
        } else {
            match (viewer.user.member_id, member) {
                (Some(own), None) => Some(own),
                (Some(own), Some(m)) if m == own => Some(own),
                _ => return Err(AppError::not_found("no such member")),
            }
        };
        Ok(self
            .store
            .read(|tx| tx.audit().list(c, member, AUDIT_LIMIT))?)
    }

    /// Keeps the language the user chose on their profile.
    pub fn set_language(&self, viewer: &Viewer, lang: &str) -> Result<(), AppError> {
        Ok(self
            .store
            .write(|tx| tx.users().set_lang(viewer.user.id, lang))?)
    }
}
