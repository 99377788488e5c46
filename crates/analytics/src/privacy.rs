//! Privacy by subtraction: no set of views available to one person may reveal an aggregate of
//! fewer than `k` members whose individual data that person may not see.
//!
//! A person sees some members individually (their own household; a coordinator, the members
//! who consented) and some aggregates (the community, groups). Any linear combination of what
//! they see is constant on the *atoms* of the hidden members: the classes of members that
//! belong to exactly the same visible aggregates. Subtracting visible curves from aggregates can
//! isolate the sum of an atom, never less. So the views are safe when every atom has either no
//! member or at least `k` — the rule [`check`] applies.

use std::collections::{BTreeMap, BTreeSet};

use domain::MemberId;

/// An aggregate a person sees, by the members it sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub name: String,
    pub members: BTreeSet<MemberId>,
}

/// Views that would reveal too small a group of hidden members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// The aggregates whose combination isolates the group.
    pub aggregates: Vec<String>,
    /// How many hidden members the combination isolates (fewer than `k`, more than zero).
    pub members: usize,
    pub k: usize,
}

/// Checks that `aggregates`, combined with the individually `visible` members, never isolate
/// the sum of between 1 and `k - 1` hidden members.
pub fn check(
    visible: &BTreeSet<MemberId>,
    aggregates: &[Aggregate],
    k: usize,
) -> Result<(), Disclosure> {
    let mut atoms: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
    let hidden: BTreeSet<MemberId> = aggregates
        .iter()
        .flat_map(|a| a.members.iter().copied())
        .filter(|m| !visible.contains(m))
        .collect();
    for m in hidden {
        let signature: Vec<usize> = aggregates
            .iter()
            .enumerate()
            .filter(|(_, a)| a.members.contains(&m))
            .map(|(i, _)| i)
            .collect();
        *atoms.entry(signature).or_default() += 1;
    }
    for (signature, n) in atoms {
        if n < k {
            return Err(Disclosure {
                aggregates: signature
                    .iter()
                    .map(|&i| aggregates[i].name.clone())
                    .collect(),
                members: n,
                k,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(range: std::ops::Range<i64>) -> BTreeSet<MemberId> {
        range.map(MemberId::new).collect()
    }

    fn community(n: i64) -> Aggregate {
        Aggregate {
            name: "community".into(),
            members: ids(1..n + 1),
        }
    }

    #[test]
    fn one_private_member_among_consenting_ones_is_revealed_by_subtraction() {
        // 10 members, 9 consent: a coordinator sees 9 curves and the total.
        let err = check(&ids(1..10), &[community(10)], 5).unwrap_err();
        assert_eq!(err.members, 1);
        assert_eq!(err.aggregates, vec!["community".to_string()]);
        // Five private members stay an anonymous group of five.
        assert!(check(&ids(1..6), &[community(10)], 5).is_ok());
        // Nobody private: nothing to protect.
        assert!(check(&ids(1..11), &[community(10)], 5).is_ok());
    }

    #[test]
    fn a_resident_sees_the_community_only_when_the_others_are_enough() {
        // Own member 1 visible: the total minus one's own curve is the others' sum.
        assert!(check(&ids(1..2), &[community(6)], 5).is_ok());
        assert_eq!(
            check(&ids(1..2), &[community(5)], 5).unwrap_err().members,
            4
        );
    }

    #[test]
    fn groups_split_the_hidden_members_into_atoms() {
        // Community of 12; group A = 1..=6, group B = 7..=12; members 1 and 7 visible.
        let a = Aggregate {
            name: "A".into(),
            members: ids(1..7),
        };
        let b = Aggregate {
            name: "B".into(),
            members: ids(7..13),
        };
        let visible: BTreeSet<MemberId> = [MemberId::new(1), MemberId::new(7)].into();
        assert!(check(&visible, &[community(12), a.clone(), b.clone()], 5).is_ok());
        // A group of 5 with one visible member leaves an atom of 4.
        let small = Aggregate {
            name: "small".into(),
            members: ids(1..6),
        };
        let err = check(&visible, &[community(12), small], 5).unwrap_err();
        assert!(
            err.members < 5 && err.aggregates.contains(&"small".to_string()),
            "{err:?}"
        );
    }
}
