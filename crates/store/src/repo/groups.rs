//! Groups of members (a street, a cabin's feeder, a building).

use domain::{CommunityId, Group, GroupId, MemberId};

use crate::backend::params;
use crate::{Result, StoreError, Tx};

pub struct Groups<'t, 'c>(pub(crate) &'t mut Tx<'c>);

impl Groups<'_, '_> {
    pub fn add(
        &mut self,
        community: CommunityId,
        name: &str,
        members: &[MemberId],
    ) -> Result<GroupId> {
        if name.trim().is_empty() {
            return Err(StoreError::invalid("a group needs a name"));
        }
        for m in members {
            self.0.members().in_community(community, *m)?;
        }
        let db = self.0.writing()?;
        let id: GroupId = db
            .query_one(
                "INSERT INTO member_groups (community_id, name) VALUES (?, ?) RETURNING id",
                params![community, name.trim()],
            )?
            .id("id")?;
        let mut unique = members.to_vec();
        unique.sort();
        unique.dedup();
        for m in unique {
            db.exec(
                "INSERT INTO group_members (group_id, member_id) VALUES (?, ?)",
                params![id, m],
            )?;
        }
        Ok(id)
    }

    pub fn list(&mut self, community: CommunityId) -> Result<Vec<Group>> {
        let rows = self.0.db().query(
            "SELECT g.id AS id, g.name AS name, gm.member_id AS member_id FROM member_groups g
             LEFT JOIN group_members gm ON gm.group_id = g.id
             WHERE g.community_id = ? ORDER BY g.id, gm.member_id",
            params![community],
        )?;
        let mut groups: Vec<Group> = Vec::new();
        for r in rows {
            let id: GroupId = r.id("id")?;
            if groups.last().map(|g| g.id) != Some(id) {
                groups.push(Group {
                    id,
                    community_id: community,
                    name: r.text("name")?,
                    member_ids: Vec::new(),
                });
            }
            if let Some(m) = r.opt_id("member_id")? {
                groups.last_mut().expect("pushed").member_ids.push(m);
            }
        }
        Ok(groups)
    }
}
