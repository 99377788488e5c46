//! How the energy a set shares in a quarter-hour is split between its members.
//!
//! The rule is the **prorata** key: in each quarter-hour, the shared energy
//! (`min(Σ offtake, Σ injection)`, see [`crate::flows`]) is split between the members who took
//! from the grid in proportion to their offtake, and attributed to the members who injected in
//! proportion to their injection. Each share is rounded to the milliwatt-hour by the largest
//! remainder, so the shares add up to the shared energy exactly and no member ever receives more
//! than it took (nor gives more than it injected).

/// Splits `total` mWh between `weights` in proportion to them, each share rounded down and the
/// remaining mWh given one by one to the largest remainders (ties to the earlier weight).
/// Shares add up to `total` exactly and none exceeds its weight when `total ≤ Σ weights`.
/// Negative weights count as zero; with no positive weight every share is zero.
pub fn prorata(total: i64, weights: &[i64]) -> Vec<i64> {
    let total = total.max(0) as i128;
    let sum: i128 = weights.iter().map(|&w| w.max(0) as i128).sum();
    if sum == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let exact = total * w.max(0) as i128;
        let share = exact / sum;
        given += share;
        shares.push(share as i64);
        remainders.push((exact % sum, i));
    }
    // Largest remainder first; among equals, the earlier member.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = (total - given) as usize;
    for &(_, i) in remainders.iter().take(left) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_research_notes_example() {
        // Shortage: 6 kWh shared between offtakes of 1, 2 and 4 kWh.
        assert_eq!(
            prorata(6_000_000, &[1_000_000, 2_000_000, 4_000_000]),
            vec![857_143, 1_714_286, 3_428_571]
        );
        // Surplus: everyone is covered.
        assert_eq!(
            prorata(5_000_000, &[500_000, 3_000_000, 1_500_000]),
            vec![500_000, 3_000_000, 1_500_000]
        );
    }

    #[test]
    fn nothing_to_share_or_no_one_to_share_with() {
        assert_eq!(prorata(0, &[3, 4]), vec![0, 0]);
        assert_eq!(prorata(10, &[0, 0]), vec![0, 0]);
        assert_eq!(prorata(10, &[]), Vec::<i64>::new());
        assert_eq!(prorata(10, &[-5, 5]), vec![0, 10]);
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let s = prorata(i64::MAX, &[i64::MAX, i64::MAX]);
        assert_eq!(s.iter().map(|&x| x as i128).sum::<i128>(), i64::MAX as i128);
    }

    proptest! {
        #[test]
        fn shares_add_up_and_stay_within_weights(
            weights in proptest::collection::vec(0i64..5_000_000, 0..40),
            frac in 0.0f64..=1.0,
        ) {
            let sum: i64 = weights.iter().sum();
            let total = (sum as f64 * frac).floor() as i64;
            let shares = prorata(total, &weights);
            prop_assert_eq!(shares.len(), weights.len());
            if sum > 0 {
                prop_assert_eq!(shares.iter().sum::<i64>(), total);
            }
            for (s, w) in shares.iter().zip(&weights) {
                prop_assert!(*s >= 0 && s <= w, "share {} of weight {}", s, w);
            }
        }
    }
}
