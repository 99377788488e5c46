//! Who is asking and what they may see.
//!
//! - A resident sees their own member's detailed data; a coordinator also sees members who
//!   consented to share their curves. Anyone else's member is "not found", whether it exists or
//!   not, so ids reveal nothing.
//! - Privacy by subtraction: no set of views available to one person may reveal an aggregate of
//!   fewer than `min_group_size` members they may not see individually (see
//!   `analytics::privacy`). When the community total minus what a coordinator sees would
//!   isolate fewer than that many private members, the consenting members' curves are withheld
//!   from the coordinator; when the total minus one's own curve would isolate fewer, the
//!   community figures are withheld from that viewer.

use std::collections::BTreeSet;

use analytics::privacy::{self, Aggregate};
use domain::{Member, MemberId, User};
use store::Tx;

use crate::AppError;

/// A signed-in person: from a session cookie (with the session's CSRF token) or a read token.
#[derive(Clone)]
pub struct Viewer {
    pub user: User,
    /// The session's CSRF token; `None` for a read token.
    pub csrf: Option<String>,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("user", &self.user)
            .field("csrf", &self.csrf.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Viewer {
    pub fn is_coordinator(&self) -> bool {
        self.user.is_coordinator()
    }
}

/// What one viewer may see of the community.
#[derive(Debug, Clone, PartialEq)]
pub struct Visibility {
    /// Members the viewer sees individually.
    pub individuals: BTreeSet<MemberId>,
    /// Whether the community's aggregate figures may be shown.
    pub community: bool,
    /// Why something is withheld, when it is.
    pub withheld: Option<Withheld>,
}

/// Why figures are withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// Consenting members' curves, because too few members keep theirs private.
    IndividualCurves { private_members: usize, k: usize },
    /// The community's figures, because too few other members would stay hidden.
    CommunityFigures { others: usize, k: usize },
}

/// Decides what `viewer` may see among `members`.
pub fn visibility(viewer: &Viewer, members: &[Member], k: usize) -> Visibility {
    let own: BTreeSet<MemberId> = viewer
        .user
        .member_id
        .filter(|m| members.iter().any(|x| x.id == *m))
        .into_iter()
        .collect();
    let community = Aggregate {
        name: "community".into(),
        members: members.iter().map(|m| m.id).collect(),
    };
    let aggregates = [community];
    if viewer.is_coordinator() {
        let with_consent: BTreeSet<MemberId> = own
            .iter()
            .copied()
            .chain(
                members
                    .iter()
                    .filter(|m| m.consent_individual)
                    .map(|m| m.id),
            )
            .collect();
        if privacy::check(&with_consent, &aggregates, k).is_ok() {
            return Visibility {
                individuals: with_consent,
                community: true,
                withheld: None,
            };
        }
        let private = members.len() - with_consent.len();
        let community_ok = privacy::check(&own, &aggregates, k).is_ok();
        return Visibility {
            individuals: own,
            community: community_ok,
            withheld: Some(Withheld::IndividualCurves {
                private_members: private,
                k,
            }),
        };
    }
    let ok = privacy::check(&own, &aggregates, k).is_ok();
    Visibility {
        withheld: (!ok).then_some(Withheld::CommunityFigures {
            others: members.len().saturating_sub(own.len()),
            k,
        }),
        individuals: own,
        community: ok,
    }
}

/// The viewer's visibility in its community.
pub(crate) fn visibility_in(
    tx: &mut Tx<'_>,
    viewer: &Viewer,
    k: usize,
) -> Result<Visibility, AppError> {
    let members = tx.members().list(viewer.user.community_id)?;
    Ok(visibility(viewer, &members, k))
}

/// The member, if the viewer may see it individually; "not found" otherwise, whether it
/// exists or not.
pub(crate) fn visible_member(
    tx: &mut Tx<'_>,
    viewer: &Viewer,
    member: MemberId,
    k: usize,
) -> Result<Member, AppError> {
    let not_found = || AppError::not_found(format!("member {member} does not exist"));
    let Some(m) = tx.members().find(member)? else {
        return Err(not_found());
    };
    if m.community_id != viewer.user.community_id {
        return Err(not_found());
    }
    if viewer.user.member_id == Some(m.id) {
        return Ok(m);
    }
    if !viewer.is_coordinator() || !m.consent_individual {
        return Err(not_found());
    }
    if visibility_in(tx, viewer, k)?.individuals.contains(&m.id) {
        Ok(m)
    } else {
        Err(AppError::forbidden(
            "too few members keep their curves private: showing this curve would reveal theirs by subtraction",
        ))
    }
}

/// The viewer's own member, or an error saying the account has none.
pub(crate) fn own_member(viewer: &Viewer) -> Result<MemberId, AppError> {
    viewer
        .user
        .member_id
        .ok_or_else(|| AppError::not_found("this account is not linked to a member"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{CommunityId, MemberKind, Role, UserId};

    fn members(n: i64, consenting: i64) -> Vec<Member> {
        (1..=n)
            .map(|i| Member {
                id: MemberId::new(i),
                community_id: CommunityId::new(1),
                name: format!("m{i}"),
                kind: MemberKind::Household,
                consent_individual: i <= consenting,
                deactivated_ms: None,
            })
            .collect()
    }

    fn viewer(role: Role, member: Option<i64>) -> Viewer {
        Viewer {
            user: User {
                id: UserId::new(1),
                community_id: CommunityId::new(1),
                login: "x".into(),
                display_name: "x".into(),
                role,
                member_id: member.map(MemberId::new),
                lang: "fr".into(),
            },
            csrf: None,
        }
    }

    #[test]
    fn a_coordinator_loses_consenting_curves_when_one_private_member_would_be_exposed() {
        let v = visibility(&viewer(Role::Coordinator, None), &members(10, 9), 5);
        assert!(v.individuals.is_empty());
        assert!(v.community, "ten hidden members are a safe aggregate");
        assert!(matches!(
            v.withheld,
            Some(Withheld::IndividualCurves {
                private_members: 1,
                ..
            })
        ));
        let v = visibility(&viewer(Role::Coordinator, None), &members(10, 5), 5);
        assert_eq!(v.individuals.len(), 5);
        assert!(v.community && v.withheld.is_none());
    }

    #[test]
    fn a_resident_of_a_tiny_community_does_not_see_its_total() {
        let v = visibility(&viewer(Role::Resident, Some(1)), &members(5, 0), 5);
        assert!(!v.community);
        assert_eq!(v.individuals.len(), 1);
        let v = visibility(&viewer(Role::Resident, Some(1)), &members(6, 0), 5);
        assert!(v.community);
    }
}
