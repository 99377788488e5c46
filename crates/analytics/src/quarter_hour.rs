//! Quarter-hour intervals from raw points.
//!
//! Both methods look at consecutive pairs of points. A pair further apart than `max_gap_ms` is a
//! gap: nothing is invented across it and the slot's `coverage` says how much was measured.
//! - power samples (W): the power is linear between the two samples (trapezoid rule);
//! - cumulative counters (Wh): the counter is linear between the two readings, so the energy of
//!   the slot is the counter interpolated at its end minus at its start. A counter that
//!   decreases starts a new segment (meter reset or replacement): that pair contributes nothing.

use domain::{Interval, Point, Provenance, Slot, SLOT_MS};

/// Integrates power samples (W) over `slot`. `points` must be sorted by time without duplicate
/// instants and should include the neighbours just outside the slot (up to `max_gap_ms`), so the
/// edges of the slot are covered. Returns `None` when no part of the slot is covered.
pub fn from_power(points: &[Point], slot: Slot, max_gap_ms: i64) -> Option<Interval> {
    let (slot_start, slot_end) = (slot.start_ms(), slot.end_ms());
    let mut covered_ms = 0i64;
    let mut energy_wms = 0.0f64; // W·ms
    let mut min_w = f64::INFINITY;
    let mut max_w = f64::NEG_INFINITY;
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let dt = b.ts_ms - a.ts_ms;
        if dt <= 0 || dt > max_gap_ms || b.ts_ms <= slot_start || a.ts_ms >= slot_end {
            continue;
        }
        let lo = a.ts_ms.max(slot_start);
        let hi = b.ts_ms.min(slot_end);
        let at = |t: i64| a.value + (b.value - a.value) * ((t - a.ts_ms) as f64 / dt as f64);
        let (v_lo, v_hi) = (at(lo), at(hi));
        energy_wms += (v_lo + v_hi) * 0.5 * (hi - lo) as f64;
        covered_ms += hi - lo;
        for v in [v_lo, v_hi] {
            min_w = min_w.min(v);
            max_w = max_w.max(v);
        }
    }
    interval(slot, covered_ms, energy_wms / 3_600_000.0, min_w, max_w)
}

/// Energy of `slot` from a cumulative energy counter (Wh). Same input rules as [`from_power`].
/// The power statistics are the mean power of each pair of readings that overlaps the slot.
pub fn from_counter(points: &[Point], slot: Slot, max_gap_ms: i64) -> Option<Interval> {
    let (slot_start, slot_end) = (slot.start_ms(), slot.end_ms());
    let mut covered_ms = 0i64;
    let mut energy_wh = 0.0f64;
    let mut min_w = f64::INFINITY;
    let mut max_w = f64::NEG_INFINITY;
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let dt = b.ts_ms - a.ts_ms;
        if dt <= 0 || dt > max_gap_ms || b.ts_ms <= slot_start || a.ts_ms >= slot_end {
            continue;
        }
        if b.value < a.value {
            continue; // a new segment starts at b
        }
        let lo = a.ts_ms.max(slot_start);
        let hi = b.ts_ms.min(slot_end);
        energy_wh += (b.value - a.value) * ((hi - lo) as f64 / dt as f64);
        covered_ms += hi - lo;
        let power_w = (b.value - a.value) * 3_600_000.0 / dt as f64;
        min_w = min_w.min(power_w);
        max_w = max_w.max(power_w);
    }
    interval(slot, covered_ms, energy_wh, min_w, max_w)
}

fn interval(
    slot: Slot,
    covered_ms: i64,
    energy_wh: f64,
    min_w: f64,
    max_w: f64,
) -> Option<Interval> {
    if covered_ms == 0 {
        return None;
    }
    Some(Interval {
        slot,
        energy_wh,
        mean_w: energy_wh * 3_600_000.0 / covered_ms as f64,
        min_w,
        max_w,
        coverage: covered_ms as f64 / SLOT_MS as f64,
        provenance: Provenance::Measured,
    })
}

/// The slots whose interval may change when points in `[t_min_ms, t_max_ms]` change: a point
/// influences the slots its pairs overlap, up to `max_gap_ms` away.
pub fn affected_slots(t_min_ms: i64, t_max_ms: i64, max_gap_ms: i64) -> impl Iterator<Item = Slot> {
    let first = Slot::containing_ms(t_min_ms - max_gap_ms).index();
    let last = Slot::containing_ms(t_max_ms + max_gap_ms).index();
    (first..=last).map(Slot::from_index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: i64 = 60_000;

    fn p(ts_s: i64, value: f64) -> Point {
        Point {
            ts_ms: ts_s * 1000,
            value,
        }
    }

    fn constant(from_s: i64, to_s: i64, step_s: i64, w: f64) -> Vec<Point> {
        (from_s..=to_s)
            .step_by(step_s as usize)
            .map(|t| p(t, w))
            .collect()
    }

    #[test]
    fn constant_kilowatt_is_250_wh_per_quarter_hour() {
        let points = constant(-8, 908, 8, 1000.0);
        let q = from_power(&points, Slot::from_index(0), GAP).unwrap();
        assert!((q.energy_wh - 250.0).abs() < 1e-9, "{q:?}");
        assert_eq!(q.coverage, 1.0);
        assert_eq!((q.mean_w, q.min_w, q.max_w), (1000.0, 1000.0, 1000.0));
        assert_eq!(q.provenance, Provenance::Measured);
    }

    #[test]
    fn ramp_is_integrated_exactly() {
        // 0 W at t=0 rising to 900 W at t=900 s: mean 450 W over 900 s = 112.5 Wh.
        let points = vec![p(0, 0.0), p(450, 450.0), p(900, 900.0)];
        let q = from_power(&points, Slot::from_index(0), 600_000).unwrap();
        assert!((q.energy_wh - 112.5).abs() < 1e-9);
        assert_eq!((q.min_w, q.max_w), (0.0, 900.0));
    }

    #[test]
    fn slot_edges_are_interpolated_from_neighbours() {
        // 0 W at -100 s, 1000 W at +100 s: at the slot start the power is 500 W; the slot covers
        // [0, 100] s with mean 750 W, then 1000 W constant to 900.
        let points = vec![p(-100, 0.0), p(100, 1000.0), p(900, 1000.0)];
        let q = from_power(&points, Slot::from_index(0), 1_000_000).unwrap();
        let expected = (750.0 * 100.0 + 1000.0 * 800.0) / 3600.0;
        assert!(
            (q.energy_wh - expected).abs() < 1e-9,
            "{} vs {expected}",
            q.energy_wh
        );
    }

    #[test]
    fn gaps_are_not_filled_and_coverage_says_so() {
        // 1000 W measured for the first 300 s, a 400 s silence, then the last 200 s.
        let mut points = constant(0, 300, 10, 1000.0);
        points.extend(constant(700, 900, 10, 1000.0));
        let q = from_power(&points, Slot::from_index(0), GAP).unwrap();
        assert!((q.energy_wh - 1000.0 * 500.0 / 3600.0).abs() < 1e-9);
        assert!((q.coverage - 500.0 / 900.0).abs() < 1e-12);
        assert_eq!(q.mean_w, 1000.0);
        assert!(from_power(&points, Slot::from_index(5), GAP).is_none());
    }

    #[test]
    fn counter_is_interpolated_at_slot_boundaries() {
        // 100 Wh at -450 s, 400 Wh at +450 s (+300 Wh in 900 s), 700 Wh at 1350 s.
        let points = vec![p(-450, 100.0), p(450, 400.0), p(1350, 700.0)];
        let q = from_counter(&points, Slot::from_index(0), 1_000_000).unwrap();
        assert!((q.energy_wh - 300.0).abs() < 1e-9);
        assert_eq!(q.coverage, 1.0);
        assert!((q.mean_w - 1200.0).abs() < 1e-9);
    }

    #[test]
    fn counter_reset_starts_a_new_segment() {
        // Rises 50 Wh, drops to 3 (replaced meter), rises 20 Wh.
        let points = vec![p(0, 1000.0), p(300, 1050.0), p(360, 3.0), p(900, 23.0)];
        let q = from_counter(&points, Slot::from_index(0), 600_000).unwrap();
        assert!((q.energy_wh - 70.0).abs() < 1e-9, "{q:?}");
        assert!((q.coverage - 840.0 / 900.0).abs() < 1e-12);
    }

    #[test]
    fn counter_gap_invents_nothing() {
        let points = vec![p(0, 0.0), p(60, 10.0), p(840, 500.0), p(900, 510.0)];
        let q = from_counter(&points, Slot::from_index(0), 120_000).unwrap();
        assert!((q.energy_wh - 20.0).abs() < 1e-9);
        assert!((q.coverage - 120.0 / 900.0).abs() < 1e-12);
    }

    #[test]
    fn affected_slots_reach_one_gap_away() {
        let slots = |lo, hi| {
            affected_slots(lo, hi, 60_000)
                .map(|s| s.index())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            slots(900_000, 1_700_000),
            vec![0, 1],
            "a minute before slot 1 is still slot 0"
        );
        assert_eq!(
            slots(960_000, 1_790_000),
            vec![1, 2],
            "a minute after reaches slot 2"
        );
    }
}
