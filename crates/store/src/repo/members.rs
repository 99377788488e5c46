//! Members of a community: households, shops, offices, the commons of a cohousing.

use domain::{CommunityId, Member, MemberId, MemberKind, UserId};

use crate::backend::{params, Row};
use crate::{Result, StoreError, Tx};

pub struct Members<'t, 'c>(pub(crate) &'t mut Tx<'c>);

const SELECT: &str =
    "SELECT id, community_id, name, kind, consent_individual, deactivated_ms FROM members";

fn from_row(r: &Row) -> Result<Member> {
    let kind = r.text("kind")?;
    Ok(Member {
        id: r.id("id")?,
        community_id: r.id("community_id")?,
        name: r.text("name")?,
        kind: MemberKind::parse(&kind)
            .map_err(|_| StoreError::corrupt(format!("member kind '{kind}'")))?,
        consent_individual: r.bool("consent_individual")?,
        deactivated_ms: r.opt_i64("deactivated_ms")?,
    })
}

impl Members<'_, '_> {
    pub fn add(
        &mut self,
        community: CommunityId,
        name: &str,
        kind: MemberKind,
        consent_individual: bool,
    ) -> Result<MemberId> {
        if name.trim().is_empty() {
            return Err(StoreError::invalid("a member needs a name"));
        }
        self.0.communities().get(community)?;
        self.0
            .writing()?
            .query_one(
                "INSERT INTO members (community_id, name, kind, consent_individual) VALUES (?, ?, ?, ?) RETURNING id",
                params![community, name.trim(), kind.as_str(), consent_individual],
            )?
            .id("id")
    }

    pub fn list(&mut self, community: CommunityId) -> Result<Vec<Member>> {
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

    pub fn get(&mut self, id: MemberId) -> Result<Member> {
        self.find(id)?
            .ok_or_else(|| StoreError::not_found(format!("member {id}")))
    }

    pub fn find(&mut self, id: MemberId) -> Result<Option<Member>> {
        self.0
            .db()
            .query_opt(&format!("{SELECT} WHERE id = ?"), params![id])?
            .map(|r| from_row(&r))
            .transpose()
    }

    /// The member, if it belongs to `community`.
    pub fn in_community(&mut self, community: CommunityId, id: MemberId) -> Result<Member> {
        match self.find(id)? {
            Some(m) if m.community_id == community => Ok(m),
            _ => Err(StoreError::not_found(format!("member {id}"))),
        }
    }

    pub fn set_consent(&mut self, id: MemberId, consent_individual: bool) -> Result<()> {
        let n = self.0.writing()?.exec(
            "UPDATE members SET consent_individual = ? WHERE id = ?",
            params![consent_individual, id],
        )?;
        if n == 0 {
            return Err(StoreError::not_found(format!("member {id}")));
        }
        Ok(())
    }

    /// Renames a member and sets its kind.
    pub fn update(&mut self, id: MemberId, name: &str, kind: MemberKind) -> Result<()> {
        if name.trim().is_empty() {
            return Err(StoreError::invalid("a member needs a name"));
        }
        let n = self.0.writing()?.exec(
            "UPDATE members SET name = ?, kind = ? WHERE id = ?",
            params![name.trim(), kind.as_str(), id],
        )?;
        if n == 0 {
            return Err(StoreError::not_found(format!("member {id}")));
        }
        Ok(())
    }

    /// Marks a member as gone (`Some(when)`) or back (`None`). A member who leaves has its
    /// accounts' sessions and pending links ended.
    pub fn set_deactivated(&mut self, id: MemberId, deactivated_ms: Option<i64>) -> Result<()> {
        let n = self.0.writing()?.exec(
            "UPDATE members SET deactivated_ms = ? WHERE id = ?",
            params![deactivated_ms, id],
        )?;
        if n == 0 {
            return Err(StoreError::not_found(format!("member {id}")));
        }
        if deactivated_ms.is_some() {
            let users: Vec<UserId> = self
                .0
                .db()
                .query("SELECT id FROM users WHERE member_id = ?", params![id])?
                .iter()
                .map(|r| r.id("id"))
                .collect::<Result<_>>()?;
            for user in users {
                self.0.sessions().delete_user(user)?;
                self.0.account_links().delete_user(user)?;
            }
        }
        Ok(())
    }
}
