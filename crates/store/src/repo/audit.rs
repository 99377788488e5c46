//! The audit log: who changed what in a community, and which member it concerned. Entries are
//! only ever added; the detail is a JSON object of the values the sentence names.

use domain::{CommunityId, MemberId, UserId};

use crate::backend::{params, Row};
use crate::{Result, Tx};

pub struct Audit<'t, 'c>(pub(crate) &'t mut Tx<'c>);

/// An entry to add.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub community_id: CommunityId,
    pub at_ms: i64,
    pub actor_id: Option<UserId>,
    pub actor: &'a str,
    pub member_id: Option<MemberId>,
    pub action: &'a str,
    pub detail: serde_json::Value,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub member_id: Option<MemberId>,
    pub action: String,
    pub detail: serde_json::Value,
}

const SELECT: &str = "SELECT id, at_ms, actor_id, actor, member_id, action, detail FROM audit_log";

fn from_row(r: &Row) -> Result<AuditEntry> {
    let detail = r.text("detail")?;
    Ok(AuditEntry {
        id: r.i64("id")?,
        at_ms: r.i64("at_ms")?,
        actor_id: r.opt_id("actor_id")?,
        actor: r.text("actor")?,
        member_id: r.opt_id("member_id")?,
        action: r.text("action")?,
        detail: serde_json::from_str(&detail)
            .map_err(|e| crate::StoreError::corrupt(format!("audit detail: {e}")))?,
    })
}

impl Audit<'_, '_> {
    pub fn add(&mut self, e: &NewAuditEntry<'_>) -> Result<i64> {
        self.0
            .writing()?
            .query_one(
                "INSERT INTO audit_log (community_id, at_ms, actor_id, actor, member_id, action, detail) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                params![
                    e.community_id,
                    e.at_ms,
                    e.actor_id,
                    e.actor,
                    e.member_id,
                    e.action,
                    e.detail.to_string()
                ],
            )?
            .i64("id")
    }

    /// The newest entries of a community, at most `limit`, newest first; with `member`, only
    /// those concerning that member.
    pub fn list(
        &mut self,
        community: CommunityId,
        member: Option<MemberId>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = match member {
            Some(m) => self.0.db().query(
                &format!(
                    "{SELECT} WHERE community_id = ? AND member_id = ? ORDER BY id DESC LIMIT ?"
                ),
                params![community, m, limit],
            )?,
            None => self.0.db().query(
                &format!("{SELECT} WHERE community_id = ? ORDER BY id DESC LIMIT ?"),
                params![community, limit],
            )?,
        };
        rows.iter().map(from_row).collect()
    }
}
