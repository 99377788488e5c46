//! Model-based check of the community totals: random interleavings of raw writes (power and
//! counter, in and out of order, with gaps), quarter-hour imports of every provenance and
//! reassignments of channels, on both backends. After every step the store's totals must equal
//! those of a model that recomputes every best quarter-hour from scratch.

use std::collections::BTreeMap;

use analytics::quarter_hour::{self, CounterRules};
use domain::limits::PowerLimits;
use domain::{
    ChannelId, ChannelKind, CommunityId, Interval, MemberKind, Point, Provenance, SeriesKey, Slot,
    Unit,
};
use proptest::prelude::*;
use store::{NewChannel, Store};
use testkit::TestStore;

const T0: i64 = 1_714_521_600_000;
const SLOTS: i64 = 8;
const GAP_MS: i64 = 60_000;
const KINDS: [ChannelKind; 3] = [
    ChannelKind::Consumption,
    ChannelKind::Production,
    ChannelKind::GridImport,
];

#[derive(Debug, Clone)]
enum Op {
    /// Points on channel `c`: `n` readings from `start_s`, `step_s` apart, values from `seed`.
    Write {
        c: usize,
        start_s: i64,
        step_s: i64,
        n: usize,
        seed: u64,
    },
    /// A file version of quarter-hour `slot` on channel `c`.
    Import {
        c: usize,
        slot: i64,
        provenance: u8,
        energy_mwh: i64,
    },
    /// Channel `c` means `kind` from quarter-hour `slot` on.
    Reassign { c: usize, kind: usize, slot: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 0i64..(SLOTS * 900), 5i64..150, 1usize..60, any::<u64>())
            .prop_map(|(c, start_s, step_s, n, seed)| Op::Write { c, start_s, step_s, n, seed }),
        2 => (0usize..3, 0i64..SLOTS, 1u8..5, 0i64..400_000)
            .prop_map(|(c, slot, provenance, energy_mwh)| Op::Import { c, slot, provenance, energy_mwh }),
        1 => (0usize..3, 0usize..3, 0i64..SLOTS).prop_map(|(c, kind, slot)| Op::Reassign { c, kind, slot }),
    ]
}

struct ModelChannel {
    id: ChannelId,
    unit: Unit,
    points: BTreeMap<i64, f64>,
    files: BTreeMap<(i64, Provenance), Interval>,
    configs: Vec<(i64, Option<i64>, ChannelKind)>,
}

impl ModelChannel {
    fn kind_at(&self, ts: i64) -> Option<ChannelKind> {
        self.configs
            .iter()
            .find(|(from, to, _)| *from <= ts && to.is_none_or(|t| ts < t))
            .map(|c| c.2)
    }

    fn best(&self, slot: Slot) -> Option<(i64, Provenance, bool)> {
        let points: Vec<Point> = self
            .points
            .iter()
            .map(|(&ts_ms, &value)| Point { ts_ms, value })
            .collect();
        let kind = self.configs.last().map(|c| c.2);
        let rules = CounterRules {
            max_gap_ms: GAP_MS,
            fill_max_ms: 7 * 86_400_000,
            max_power_w: PowerLimits::default().max_w(kind),
        };
        let computed = match self.unit {
            Unit::Watt => quarter_hour::from_power(&points, slot, GAP_MS),
            Unit::WattHour => quarter_hour::from_counter(&points, slot, &rules),
        };
        let mut versions: Vec<(i64, Provenance, bool)> = computed
            .map(|i| (i.energy_mwh, i.provenance, true))
            .into_iter()
            .chain(
                self.files
                    .iter()
                    .filter(|((s, _), _)| *s == slot.index())
                    .map(|(_, i)| (i.energy_mwh, i.provenance, false)),
            )
            .collect();
        versions.sort_by_key(|(_, p, from_points)| std::cmp::Reverse((*p, !*from_points)));
        versions.first().copied()
    }
}

fn setup(store: &Store) -> (CommunityId, domain::MeterId, Vec<ModelChannel>) {
    store
        .write(|tx| {
            let community = tx
                .communities()
                .create("Model", "Europe/Brussels", GAP_MS)?;
            let member = tx
                .members()
                .add(community, "M", MemberKind::Household, true)?;
            let meter = tx.meters().add(community, Some(member), "m")?;
            let mut channels = Vec::new();
            for (i, unit) in [Unit::Watt, Unit::Watt, Unit::WattHour]
                .into_iter()
                .enumerate()
            {
                let id = tx.channels().add(
                    &NewChannel {
                        community_id: community,
                        meter_id: Some(meter),
                        series_key: SeriesKey::parse(&format!("c{i}")).unwrap(),
                        unit,
                        kind: Some(KINDS[i]),
                        phase: None,
                        valid_from_ms: 0,
                    },
                    0,
                )?;
                channels.push(ModelChannel {
                    id,
                    unit,
                    points: BTreeMap::new(),
                    files: BTreeMap::new(),
                    configs: vec![(0, None, KINDS[i])],
                });
            }
            Ok((community, meter, channels))
        })
        .unwrap()
}

fn value(unit: Unit, seed: u64, k: usize, previous: f64) -> f64 {
    let r = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add((k as u64).wrapping_mul(1442695040888963407))
        >> 33;
    match unit {
        Unit::Watt => (r % 5000) as f64,
        // A counter climbs 0–40 Wh per reading, and now and then drops (a replaced meter).
        Unit::WattHour if r.is_multiple_of(17) => (r % 50) as f64,
        Unit::WattHour => previous + (r % 40) as f64,
    }
}

fn run(store: &Store, ops: &[Op]) {
    let (community, meter, mut model) = setup(store);
    for op in ops {
        match op.clone() {
            Op::Write {
                c,
                start_s,
                step_s,
                n,
                seed,
            } => {
                let ch = &mut model[c];
                let mut previous = ch.points.values().next_back().copied().unwrap_or(1000.0);
                let points: Vec<Point> = (0..n)
                    .map(|k| {
                        let v = value(ch.unit, seed, k, previous);
                        previous = v;
                        Point {
                            ts_ms: T0 + (start_s + k as i64 * step_s) * 1000,
                            value: v,
                        }
                    })
                    .collect();
                store
                    .write(|tx| tx.points().write(ch.id, &points, None))
                    .unwrap();
                for p in points {
                    ch.points.insert(p.ts_ms, p.value);
                }
            }
            Op::Import {
                c,
                slot,
                provenance,
                energy_mwh,
            } => {
                let ch = &mut model[c];
                let provenance = Provenance::from_rank(provenance.into()).unwrap();
                let slot = Slot::from_index(Slot::containing_ms(T0).index() + slot);
                let i = Interval::flat(slot, energy_mwh, provenance);
                store.write(|tx| tx.intervals().write(ch.id, &[i])).unwrap();
                ch.files.insert((slot.index(), provenance), i);
            }
            Op::Reassign { c, kind, slot } => {
                let ch = &mut model[c];
                let from = T0 + slot * 900_000;
                store
                    .write(|tx| {
                        tx.channels()
                            .assign(ch.id, meter, KINDS[kind], None, from, "")
                    })
                    .unwrap();
                ch.configs.retain(|(f, _, _)| *f < from);
                for cfg in ch.configs.iter_mut() {
                    if cfg.1.is_none_or(|t| t > from) {
                        cfg.1 = Some(from);
                    }
                }
                ch.configs.push((from, None, KINDS[kind]));
            }
        }
        // The model's totals, from scratch.
        let first = Slot::containing_ms(T0).index() - 2;
        let last = model
            .iter()
            .flat_map(|c| c.points.keys().next_back())
            .map(|&ts| Slot::containing_ms(ts).index() + 2)
            .max()
            .unwrap_or(first)
            .max(first + SLOTS + 2);
        let mut expected: BTreeMap<(ChannelKind, Slot), (i64, i64)> = BTreeMap::new();
        for ch in &model {
            for idx in first..=last {
                let slot = Slot::from_index(idx);
                let (Some(best), Some(kind)) = (ch.best(slot), ch.kind_at(slot.start_ms())) else {
                    continue;
                };
                let e = expected.entry((kind, slot)).or_default();
                e.0 += best.0;
                e.1 += 1;
            }
        }
        let stored = store.read(|tx| tx.totals().stored(community)).unwrap();
        assert_eq!(stored, expected, "after {op:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn community_totals_follow_the_model_on_sqlite(ops in proptest::collection::vec(op(), 1..14)) {
        let store = TestStore::sqlite("model");
        run(&store, &ops);
    }

    #[test]
    fn community_totals_follow_the_model_on_postgres(ops in proptest::collection::vec(op(), 1..14)) {
        if let Some(store) = TestStore::postgres("model") {
            run(&store, &ops);
        }
    }
}
