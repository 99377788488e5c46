//! Quarter-hour intervals (and any other window) from raw points.
//!
//! Both methods look at consecutive pairs of points. A pair further apart than `max_gap_ms` is a
//! gap: nothing is measured across it, and the window's `covered_ms` says how much was.
//! - power samples (W): the power is linear between two samples (trapezoid rule); nothing is
//!   invented across a gap;
//! - cumulative counters (Wh): the counter is linear between two readings, so a window's energy
//!   is the counter interpolated at its end minus at its start. Across a gap the meter's delta
//!   is still the exact energy of the gap: it is spread evenly over the gap (up to
//!   `fill_max_ms`), and the quarter-hours it lands in are `Interpolated`. A counter that
//!   decreases, or rises faster than the channel's physical limit, starts a new segment (a
//!   replaced meter, a glitch): that pair contributes nothing.
//!
//! Counter energies are exact in mWh: each pair's share of a window is the difference of its
//! rounded cumulative energy at the window's edges, so the quarter-hours of a pair add up to
//! the pair's delta to the milliwatt-hour.

use domain::{round_div, Interval, Point, Provenance, Sampling, Slot, Unit};

/// Energy and power statistics of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub energy_mwh: i64,
    /// The same energy before rounding to the mWh, for powers over short windows.
    pub energy_wh: f64,
    /// Measured time (pairs no further apart than the gap limit).
    pub covered_ms: i64,
    /// Time whose energy was spread from a counter's delta across a gap.
    pub interpolated_ms: i64,
    pub min_mw: i64,
    pub max_mw: i64,
}

impl Window {
    /// The quarter-hour this window is, when it spans `slot`.
    pub fn into_interval(self, slot: Slot) -> Interval {
        Interval {
            slot,
            energy_mwh: self.energy_mwh,
            min_mw: self.min_mw,
            max_mw: self.max_mw,
            covered_ms: self.covered_ms,
            provenance: if self.interpolated_ms > 0 {
                Provenance::Interpolated
            } else {
                Provenance::Measured
            },
            from_points: true,
        }
    }
}

fn mw(w: f64) -> i64 {
    (w * 1000.0).round().clamp(-9e18, 9e18) as i64
}

/// Integrates power samples (W) over `[lo_ms, hi_ms)`. `points` must be sorted by time without
/// duplicate instants and should include the neighbours just outside the window (up to
/// `max_gap_ms`), so its edges are covered. `None` when no part of the window is covered.
pub fn integrate_power(
    points: &[Point],
    lo_ms: i64,
    hi_ms: i64,
    max_gap_ms: i64,
) -> Option<Window> {
    let mut covered_ms = 0i64;
    let mut energy_wms = 0.0f64; // W·ms
    let mut min_w = f64::INFINITY;
    let mut max_w = f64::NEG_INFINITY;
    let first = points
        .partition_point(|p| p.ts_ms < lo_ms)
        .saturating_sub(1);
    for pair in points[first..].windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.ts_ms >= hi_ms {
            break;
        }
        let dt = b.ts_ms - a.ts_ms;
        if dt <= 0 || dt > max_gap_ms || b.ts_ms <= lo_ms {
            continue;
        }
        let lo = a.ts_ms.max(lo_ms);
        let hi = b.ts_ms.min(hi_ms);
        let at = |t: i64| a.value + (b.value - a.value) * ((t - a.ts_ms) as f64 / dt as f64);
        let (v_lo, v_hi) = (at(lo), at(hi));
        energy_wms += (v_lo + v_hi) * 0.5 * (hi - lo) as f64;
        covered_ms += hi - lo;
        for v in [v_lo, v_hi] {
            min_w = min_w.min(v);
            max_w = max_w.max(v);
        }
    }
    (covered_ms > 0).then(|| Window {
        energy_mwh: (energy_wms / 3_600.0).round().clamp(-9e18, 9e18) as i64,
        energy_wh: energy_wms / 3_600_000.0,
        covered_ms,
        interpolated_ms: 0,
        min_mw: mw(min_w),
        max_mw: mw(max_w),
    })
}

/// Integrates power samples over one quarter-hour.
pub fn from_power(points: &[Point], slot: Slot, max_gap_ms: i64) -> Option<Interval> {
    integrate_power(points, slot.start_ms(), slot.end_ms(), max_gap_ms)
        .map(|w| w.into_interval(slot))
}

/// Integrates readings written on change (W) over `[lo_ms, hi_ms)`: each value holds from its
/// instant until the next reading, at most `hold_ms`; beyond, nothing is known until the next
/// reading. The last reading holds nothing yet: its time is counted when the next one arrives.
/// `points` must be sorted without duplicate instants and include the reading before the
/// window (up to `hold_ms`) and the one after it.
pub fn integrate_steps(points: &[Point], lo_ms: i64, hi_ms: i64, hold_ms: i64) -> Option<Window> {
    let mut covered_ms = 0i64;
    let mut energy_wms = 0.0f64;
    let mut min_w = f64::INFINITY;
    let mut max_w = f64::NEG_INFINITY;
    let first = points
        .partition_point(|p| p.ts_ms < lo_ms)
        .saturating_sub(1);
    for pair in points[first..].windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.ts_ms >= hi_ms {
            break;
        }
        let held_to = b.ts_ms.min(a.ts_ms.saturating_add(hold_ms));
        let (lo, hi) = (a.ts_ms.max(lo_ms), held_to.min(hi_ms));
        if hi <= lo {
            continue;
        }
        energy_wms += a.value * (hi - lo) as f64;
        covered_ms += hi - lo;
        min_w = min_w.min(a.value);
        max_w = max_w.max(a.value);
    }
    (covered_ms > 0).then(|| Window {
        energy_mwh: (energy_wms / 3_600.0).round().clamp(-9e18, 9e18) as i64,
        energy_wh: energy_wms / 3_600_000.0,
        covered_ms,
        interpolated_ms: 0,
        min_mw: mw(min_w),
        max_mw: mw(max_w),
    })
}

/// Integrates power readings over one quarter-hour by the channel's sampling: linear between
/// samples up to `max_gap_ms`, or held from change to change.
pub fn from_power_sampled(
    points: &[Point],
    slot: Slot,
    max_gap_ms: i64,
    sampling: Sampling,
) -> Option<Interval> {
    integrate_sampled(points, slot.start_ms(), slot.end_ms(), max_gap_ms, sampling)
        .map(|w| w.into_interval(slot))
}

/// [`integrate_power`] or [`integrate_steps`], as the channel's sampling says.
pub fn integrate_sampled(
    points: &[Point],
    lo_ms: i64,
    hi_ms: i64,
    max_gap_ms: i64,
    sampling: Sampling,
) -> Option<Window> {
    match sampling {
        Sampling::Sampled => integrate_power(points, lo_ms, hi_ms, max_gap_ms),
        Sampling::OnChange { hold_ms } => integrate_steps(points, lo_ms, hi_ms, hold_ms),
    }
}

/// How a counter's readings are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterRules {
    /// Pairs up to this far apart are measured.
    pub max_gap_ms: i64,
    /// Pairs further apart than `max_gap_ms` but no further than this have their delta spread
    /// over the gap (interpolated); beyond it, the delta is not used.
    pub fill_max_ms: i64,
    /// A pair implying more than this mean power is a discontinuity, not energy.
    pub max_power_w: f64,
}

impl CounterRules {
    /// The rules of a community's counters: `fill_max_ms` is at least the gap limit.
    pub fn new(max_gap_ms: i64, fill_max_ms: i64, max_power_w: f64) -> CounterRules {
        CounterRules {
            max_gap_ms,
            fill_max_ms: fill_max_ms.max(max_gap_ms),
            max_power_w,
        }
    }

    /// The rules of a counter written on change: readings up to the hold limit apart are
    /// measured (the counter did not move in between, or moved evenly), not interpolated.
    pub fn with_sampling(self, sampling: Sampling) -> CounterRules {
        match sampling {
            Sampling::Sampled => self,
            Sampling::OnChange { hold_ms } => CounterRules::new(
                self.max_gap_ms.max(hold_ms),
                self.fill_max_ms,
                self.max_power_w,
            ),
        }
    }

    /// How far from a window the points that decide it can lie: one gap for power samples,
    /// the fill limit for counters.
    pub fn reach_ms(&self, unit: Unit) -> i64 {
        match unit {
            Unit::Watt => self.max_gap_ms,
            Unit::WattHour => self.fill_max_ms,
        }
    }

    /// The mean power (W) between two readings of a counter, when the pair is energy: in
    /// order, no further apart than the fill limit, not decreasing and within the physical
    /// limit. `None` for a discontinuity.
    pub fn pair_power_w(&self, a: Point, b: Point) -> Option<f64> {
        let dt = b.ts_ms - a.ts_ms;
        if dt <= 0 || dt > self.fill_max_ms {
            return None;
        }
        let delta_wh = b.value - a.value;
        let power_w = delta_wh * 3_600_000.0 / dt as f64;
        (delta_wh >= 0.0 && power_w.is_finite() && power_w <= self.max_power_w).then_some(power_w)
    }
}

/// Energy of `[lo_ms, hi_ms)` from a cumulative energy counter (Wh). Same input rules as
/// [`integrate_power`], with neighbours up to `fill_max_ms` away.
pub fn integrate_counter(
    points: &[Point],
    lo_ms: i64,
    hi_ms: i64,
    rules: &CounterRules,
) -> Option<Window> {
    let mut w = Window {
        energy_mwh: 0,
        energy_wh: 0.0,
        covered_ms: 0,
        interpolated_ms: 0,
        min_mw: i64::MAX,
        max_mw: i64::MIN,
    };
    let first = points
        .partition_point(|p| p.ts_ms < lo_ms)
        .saturating_sub(1);
    for pair in points[first..].windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.ts_ms >= hi_ms {
            break;
        }
        if b.ts_ms <= lo_ms {
            continue;
        }
        let Some(power_w) = rules.pair_power_w(a, b) else {
            continue; // a gap beyond the fill limit, or a new segment starting at b
        };
        let (dt, delta_wh) = (b.ts_ms - a.ts_ms, b.value - a.value);
        let delta_mwh = (delta_wh * 1000.0).round() as i128;
        let cumulative = |t: i64| round_div(delta_mwh * (t - a.ts_ms) as i128, dt as i128);
        let lo = a.ts_ms.max(lo_ms);
        let hi = b.ts_ms.min(hi_ms);
        let share = cumulative(hi) - cumulative(lo);
        w.energy_wh += delta_wh * (hi - lo) as f64 / dt as f64;
        w.energy_mwh = w
            .energy_mwh
            .saturating_add(share.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
        if dt <= rules.max_gap_ms {
            w.covered_ms += hi - lo;
        } else {
            w.interpolated_ms += hi - lo;
        }
        w.min_mw = w.min_mw.min(mw(power_w));
        w.max_mw = w.max_mw.max(mw(power_w));
    }
    (w.covered_ms + w.interpolated_ms > 0).then_some(w)
}

/// The energy of one quarter-hour from a counter.
pub fn from_counter(points: &[Point], slot: Slot, rules: &CounterRules) -> Option<Interval> {
    integrate_counter(points, slot.start_ms(), slot.end_ms(), rules).map(|w| w.into_interval(slot))
}

/// Splits sorted instants into clusters: a new cluster starts where two consecutive points are
/// more than `join_ms` apart. A batch with one point in 2009 and one now is two clusters, and
/// only the quarter-hours around each are recomputed.
pub fn clusters(points: &[Point], join_ms: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for p in points {
        match out.last_mut() {
            Some((_, hi)) if p.ts_ms - *hi <= join_ms => *hi = p.ts_ms,
            _ => out.push((p.ts_ms, p.ts_ms)),
        }
    }
    out
}

/// The quarter-hours from the one containing `lo_ms` to the one containing `hi_ms`.
pub fn slots_between(lo_ms: i64, hi_ms: i64) -> impl Iterator<Item = Slot> {
    let first = Slot::containing_ms(lo_ms).index();
    let last = Slot::containing_ms(hi_ms).index();
    (first..=last).map(Slot::from_index)
}

/// A span of time and the energy a file gives for it: a mean power over an interval (a minute's
/// mean, W × duration) or an interval's energy, in W·ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start_ms: i64,
    /// Exclusive; after `start_ms`.
    pub end_ms: i64,
    pub energy_wms: f64,
}

impl Span {
    /// The mean power over the span, in W.
    pub fn mean_w(&self) -> f64 {
        self.energy_wms / (self.end_ms - self.start_ms) as f64
    }
}

/// Quarter-hours from spans sorted by start and not overlapping: a span's energy goes to the
/// quarter-hours it overlaps in proportion to the overlap (the power is its mean throughout),
/// each quarter-hour's energy is rounded once to the mWh, `covered_ms` is the time spans cover
/// and a quarter-hour no span touches is not given. With spans of whole minutes the energies
/// are exact: the sum of the minute means times one minute.
pub fn from_spans(spans: &[Span]) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::new();
    // The quarter-hour being summed: slot, W·ms, covered ms, min and max W.
    let mut current: Option<(Slot, f64, i64, f64, f64)> = None;
    let flush = |c: (Slot, f64, i64, f64, f64), out: &mut Vec<Interval>| {
        let (slot, wms, covered_ms, min_w, max_w) = c;
        out.push(Interval {
            slot,
            energy_mwh: (wms / 3_600.0).round().clamp(-9e18, 9e18) as i64,
            min_mw: mw(min_w),
            max_mw: mw(max_w),
            covered_ms,
            provenance: Provenance::Measured,
            from_points: false,
        });
    };
    for span in spans.iter().filter(|s| s.end_ms > s.start_ms) {
        let mean_w = span.mean_w();
        let whole = span.end_ms - span.start_ms;
        for slot in slots_between(span.start_ms, span.end_ms - 1) {
            let lo = span.start_ms.max(slot.start_ms());
            let hi = span.end_ms.min(slot.end_ms());
            // The whole span's energy as given when it lies in one quarter-hour: no division.
            let wms = if hi - lo == whole {
                span.energy_wms
            } else {
                mean_w * (hi - lo) as f64
            };
            match current.as_mut() {
                Some(c) if c.0 == slot => {
                    c.1 += wms;
                    c.2 += hi - lo;
                    c.3 = c.3.min(mean_w);
                    c.4 = c.4.max(mean_w);
                }
                _ => {
                    if let Some(done) = current.take() {
                        flush(done, &mut out);
                    }
                    current = Some((slot, wms, hi - lo, mean_w, mean_w));
                }
            }
        }
    }
    if let Some(done) = current {
        flush(done, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::SLOT_MS;

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

    fn rules(max_gap_ms: i64) -> CounterRules {
        CounterRules {
            max_gap_ms,
            fill_max_ms: 7 * 86_400_000,
            max_power_w: 250_000.0,
        }
    }

    #[test]
    fn constant_kilowatt_is_250_wh_per_quarter_hour() {
        let points = constant(-8, 908, 8, 1000.0);
        let q = from_power(&points, Slot::from_index(0), GAP).unwrap();
        assert_eq!(q.energy_mwh, 250_000);
        assert_eq!(q.covered_ms, SLOT_MS);
        assert_eq!(
            (q.mean_mw(), q.min_mw, q.max_mw),
            (Some(1_000_000), 1_000_000, 1_000_000)
        );
        assert_eq!(q.provenance, Provenance::Measured);
        assert!(q.from_points);
    }

    #[test]
    fn ramp_is_integrated_exactly() {
        // 0 W at t=0 rising to 900 W at t=900 s: mean 450 W over 900 s = 112.5 Wh.
        let points = vec![p(0, 0.0), p(450, 450.0), p(900, 900.0)];
        let q = from_power(&points, Slot::from_index(0), 600_000).unwrap();
        assert_eq!(q.energy_mwh, 112_500);
        assert_eq!((q.min_mw, q.max_mw), (0, 900_000));
    }

    #[test]
    fn slot_edges_are_interpolated_from_neighbours() {
        // 0 W at -100 s, 1000 W at +100 s: at the slot start the power is 500 W.
        let points = vec![p(-100, 0.0), p(100, 1000.0), p(900, 1000.0)];
        let q = from_power(&points, Slot::from_index(0), 1_000_000).unwrap();
        let expected_wh = (750.0 * 100.0 + 1000.0 * 800.0) / 3600.0;
        assert_eq!(q.energy_mwh, (expected_wh * 1000.0_f64).round() as i64);
    }

    #[test]
    fn gaps_are_not_filled_and_coverage_says_so() {
        // 1000 W measured for the first 300 s, a 400 s silence, then the last 200 s.
        let mut points = constant(0, 300, 10, 1000.0);
        points.extend(constant(700, 900, 10, 1000.0));
        let q = from_power(&points, Slot::from_index(0), GAP).unwrap();
        assert_eq!(q.energy_mwh, (1000.0f64 * 500.0 / 3.6).round() as i64);
        assert_eq!(q.covered_ms, 500_000);
        // 138 888.9 mWh is stored as 138 889 mWh: the mean follows from the stored energy.
        assert_eq!(q.mean_mw(), Some(1_000_001));
        assert!(from_power(&points, Slot::from_index(5), GAP).is_none());
    }

    #[test]
    fn counter_is_interpolated_at_slot_boundaries() {
        // 100 Wh at -450 s, 400 Wh at +450 s (+300 Wh in 900 s), 700 Wh at 1350 s.
        let points = vec![p(-450, 100.0), p(450, 400.0), p(1350, 700.0)];
        let q = from_counter(&points, Slot::from_index(0), &rules(1_000_000)).unwrap();
        assert_eq!(q.energy_mwh, 300_000);
        assert_eq!(q.covered_ms, SLOT_MS);
        assert_eq!(q.mean_mw(), Some(1_200_000));
    }

    #[test]
    fn counter_reset_starts_a_new_segment() {
        // Rises 50 Wh, drops to 3 (replaced meter), rises 20 Wh.
        let points = vec![p(0, 1000.0), p(300, 1050.0), p(360, 3.0), p(900, 23.0)];
        let q = from_counter(&points, Slot::from_index(0), &rules(600_000)).unwrap();
        assert_eq!(q.energy_mwh, 70_000, "{q:?}");
        assert_eq!(q.covered_ms, 840_000);
    }

    #[test]
    fn counter_delta_across_a_gap_is_spread_not_dropped() {
        // 10 Wh measured in the first minute, 480 Wh across a 13-minute gap, 10 Wh in the last.
        let points = vec![p(0, 0.0), p(60, 10.0), p(840, 490.0), p(900, 500.0)];
        let q = from_counter(&points, Slot::from_index(0), &rules(120_000)).unwrap();
        assert_eq!(q.energy_mwh, 500_000, "the meter's whole delta: {q:?}");
        assert_eq!(q.covered_ms, 120_000, "two measured minutes");
        assert_eq!(q.provenance, Provenance::Interpolated);
    }

    #[test]
    fn interpolated_quarter_hours_add_up_to_the_meters_delta() {
        // 140 Wh over a 40-minute silence that crosses three quarter-hours, then readings again.
        let points = vec![
            p(0, 1000.0),
            p(60, 1001.5),
            p(2460, 1141.5),
            p(2520, 1143.0),
        ];
        let total: i64 = (0..3)
            .filter_map(|i| from_counter(&points, Slot::from_index(i), &rules(120_000)))
            .map(|q| q.energy_mwh)
            .sum();
        assert_eq!(total, 143_000, "1143.0 − 1000.0 Wh, to the mWh");
        let middle = from_counter(&points, Slot::from_index(1), &rules(120_000)).unwrap();
        assert_eq!(
            middle.covered_ms, 0,
            "nothing measured in the middle quarter-hour"
        );
        assert_eq!(middle.provenance, Provenance::Interpolated);
    }

    #[test]
    fn implausible_counter_jumps_are_discontinuities() {
        // +1 GWh in a second is a glitch, not energy.
        let points = vec![p(0, 10.0), p(1, 1e9), p(100, 1e9 + 1.0)];
        let q = from_counter(&points, Slot::from_index(0), &rules(120_000)).unwrap();
        assert_eq!(q.energy_mwh, 1000);
    }

    #[test]
    fn far_apart_points_are_separate_clusters() {
        let points = vec![p(0, 1.0), p(8, 1.0), p(16, 1.0), p(100_000, 1.0)];
        assert_eq!(
            clusters(&points, 60_000),
            vec![(0, 16_000), (100_000_000, 100_000_000)]
        );
        assert!(clusters(&[], 1).is_empty());
    }

    #[test]
    fn spans_give_exact_quarter_hours() {
        let minute = |i: i64, w: f64| Span {
            start_ms: i * 60_000,
            end_ms: (i + 1) * 60_000,
            energy_wms: w * 60_000.0,
        };
        // Fifteen minutes of 1,000 W then minute 16 missing and 14 minutes of 2,581 W.
        let mut spans: Vec<Span> = (0..15).map(|i| minute(i, 1000.0)).collect();
        spans.extend((16..30).map(|i| minute(i, 2581.0)));
        let q = from_spans(&spans);
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].energy_mwh, 250_000);
        assert_eq!(q[0].covered_ms, SLOT_MS);
        // 14 × 2581 W × 1 min = 36,134 / 60 Wh = 602.2333… Wh.
        assert_eq!(q[1].energy_mwh, 602_233);
        assert_eq!(q[1].covered_ms, 14 * 60_000);
        assert_eq!((q[1].min_mw, q[1].max_mw), (2_581_000, 2_581_000));
        assert!(!q[1].from_points);
        // A span across a boundary: an hour's energy of 4 Wh spread by the time in each.
        let hour = Span {
            start_ms: 10 * 60_000,
            end_ms: 70 * 60_000,
            energy_wms: 4.0 * 3_600_000.0,
        };
        let q = from_spans(&[hour]);
        let energies: Vec<i64> = q.iter().map(|i| i.energy_mwh).collect();
        assert_eq!(energies, [333, 1000, 1000, 1000, 667]);
        let covered: Vec<i64> = q.iter().map(|i| i.covered_ms).collect();
        assert_eq!(covered, [300_000, SLOT_MS, SLOT_MS, SLOT_MS, 600_000]);
        assert!(from_spans(&[]).is_empty());
    }

    #[test]
    fn values_written_on_change_hold_until_the_next_one() {
        let hold = 3_600_000;
        // Home Assistant's hour of a steady 2,000 W load: written at 00:00, then 1 W more at
        // 00:37, then 0 W at 01:00 when it stops.
        let points = [p(0, 2000.0), p(37 * 60, 2001.0), p(3600, 0.0)];
        let q: Vec<Interval> = (0..4)
            .filter_map(|i| {
                from_power_sampled(
                    &points,
                    Slot::from_index(i),
                    GAP,
                    Sampling::OnChange { hold_ms: hold },
                )
            })
            .collect();
        let energies: Vec<i64> = q.iter().map(|i| i.energy_mwh).collect();
        // 00:30–00:45: 7 min at 2000 W and 8 at 2001 W = (14,000 + 16,008) / 60 Wh.
        assert_eq!(energies, [500_000, 500_000, 500_133, 500_250]);
        assert!(q.iter().all(|i| i.covered_ms == SLOT_MS));
        let total: i64 = energies.iter().sum();
        assert_eq!(total, 2_000_383, "2,000 Wh and 23 minutes of 1 W more");
        // The same readings as samples: two pairs further apart than the gap, nothing known.
        assert!(from_power(&points, Slot::from_index(0), GAP).is_none());
        // Beyond the hold, the channel is unknown: a 2 h silence holds 1 h.
        let silent = [p(0, 100.0), p(7200, 100.0)];
        let w = integrate_steps(&silent, 0, 7_200_000, hold).unwrap();
        assert_eq!((w.covered_ms, w.energy_mwh), (hold, 100_000));
        // The last reading holds nothing until the next one arrives.
        assert!(integrate_steps(&[p(0, 100.0)], 0, 900_000, hold).is_none());
    }
}
