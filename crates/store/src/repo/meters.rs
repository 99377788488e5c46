//! Meters: the devices (a Flukso, a P1 dongle, the grid operator's meter, a cabin's
//! measurement) that channels belong to.

use domain::{CommunityId, MemberId, Meter, MeterId};

use crate::backend::{params, Row};
use crate::{Result, StoreError, Tx};

pub struct Meters<'t, 'c>(pub(crate) &'t mut Tx<'c>);

const SELECT: &str = "SELECT id, community_id, member_id, name, last_contact_ms FROM meters";

fn from_row(r: &Row) -> Result<Meter> {
    Ok(Meter {
        id: r.id("id")?,
        community_id: r.id("community_id")?,
        member_id: r.opt_id("member_id")?,
        name: r.text("name")?,
        last_contact_ms: r.opt_i64("last_contact_ms")?,
    })
}

impl Meters<'_, '_> {
    pub fn add(
        &mut self,
        community: CommunityId,
        member: Option<MemberId>,
        name: &str,
    ) -> Result<MeterId> {
        if name.trim().is_empty() {
            return Err(StoreError::invalid("a meter needs a name"));
        }
        self.0.communities().get(community)?;
        if let Some(m) = member {
            self.0.members().in_community(community, m)?;
        }
        self.0
            .writing()?
            .query_one(
                "INSERT INTO meters (community_id, member_id, name) VALUES (?, ?, ?) RETURNING id",
                params![community, member, name.trim()],
            )?
            .id("id")
    }

    pub fn list(&mut self, community: CommunityId) -> Result<Vec<Meter>> {
        self.0
            .db()
            .query(
                &format!("{SELECT} WHERE community_id = ? ORDER BY id"),
                params![community],
            )?
            .iter()
            .map(from_row)
            .collect()
    }

    pub fn get(&mut self, id: MeterId) -> Result<Meter> {
        self.0
            .db()
            .query_opt(&format!("{SELECT} WHERE id = ?"), params![id])?
            .map(|r| from_row(&r))
            .transpose()?
            .ok_or_else(|| StoreError::not_found(format!("meter {id}")))
    }

    /// The meter, if it belongs to `community`.
    pub fn in_community(&mut self, community: CommunityId, id: MeterId) -> Result<Meter> {
        match self.get(id) {
            Ok(m) if m.community_id == community => Ok(m),
            Ok(_) => Err(StoreError::not_found(format!("meter {id}"))),
            Err(e) => Err(e),
        }
    }

    pub fn of_member(&mut self, member: MemberId) -> Result<Vec<Meter>> {
        self.0
            .db()
            .query(
                &format!("{SELECT} WHERE member_id = ? ORDER BY id"),
                params![member],
            )?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Records that the meter sent live data at `at_ms` (never moves back in time).
    pub fn touch(&mut self, id: MeterId, at_ms: i64) -> Result<()> {
        self.0.writing()?.exec(
            "UPDATE meters SET last_contact_ms = ? WHERE id = ? AND (last_contact_ms IS NULL OR last_contact_ms < ?)",
            params![at_ms, id, at_ms],
        )?;
        Ok(())
    }
}
