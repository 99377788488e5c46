//! The store contract: one story, run on SQLite always and on PostgreSQL when
//! `VOISINS_TEST_PG` is set (required when `VOISINS_REQUIRE_SERVICES=1`).

use domain::{ChannelKind, Interval, LocalDay, MemberKind, Point, Provenance, Slot, Unit};
use store::{ChannelPoints, NewChannel, Store, StoreSettings, TokenScope};

const MAY_1_2024_MS: i64 = 1_714_521_600_000; // 2024-05-01T00:00:00Z, a slot boundary

fn sqlite() -> (tempdir::Dir, Store) {
    let dir = tempdir::Dir::new("contract");
    let store =
        Store::open_sqlite(&dir.path().join("voisins.db"), StoreSettings::default()).unwrap();
    (dir, store)
}

/// A store's schema, dropped when the guard goes.
struct PgSchema {
    url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A PostgreSQL store in a schema of its own.
fn postgres() -> Option<(PgSchema, Store)> {
    match std::env::var("VOISINS_TEST_PG") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("contract_{}_{}", std::process::id(), unique());
            let store = Store::open_postgres(&url, Some(&schema), StoreSettings::default())
                .expect("VOISINS_TEST_PG reachable");
            Some((PgSchema { url, schema }, store))
        }
        _ => {
            assert!(
                std::env::var("VOISINS_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "VOISINS_REQUIRE_SERVICES=1 but VOISINS_TEST_PG is not set"
            );
            eprintln!("VOISINS_TEST_PG not set: PostgreSQL half of the contract skipped");
            None
        }
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(prefix: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "voisins-{prefix}-{}-{}",
                std::process::id(),
                super::unique()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

struct Fixture {
    community: i64,
    consumption: i64,
    production: i64,
    counter: i64,
}

fn fixture(store: &Store) -> Fixture {
    let community = store
        .create_community("Test", "Europe/Brussels", 60_000)
        .unwrap();
    let member = store
        .add_member(community, "H001", MemberKind::Household, false)
        .unwrap();
    let meter = store
        .add_meter(community, Some(member), "flukso-1")
        .unwrap();
    let channel = |key: &str, unit, kind| {
        store
            .add_channel(&NewChannel {
                community_id: community,
                meter_id: Some(meter),
                series_key: key.into(),
                unit,
                kind: Some(kind),
                phase: None,
                valid_from_ms: 0,
            })
            .unwrap()
    };
    Fixture {
        community,
        consumption: channel("h001c", Unit::Watt, ChannelKind::Consumption),
        production: channel("h001p", Unit::Watt, ChannelKind::Production),
        counter: channel("h001e", Unit::WattHour, ChannelKind::GridImport),
    }
}

fn constant(from_ms: i64, to_ms: i64, step_ms: i64, w: f64) -> Vec<Point> {
    (from_ms..=to_ms)
        .step_by(step_ms as usize)
        .map(|ts_ms| Point { ts_ms, value: w })
        .collect()
}

fn write(store: &Store, channel_id: i64, points: Vec<Point>) {
    store
        .write_points(&[ChannelPoints { channel_id, points }], 0)
        .unwrap();
}

fn slot0() -> Slot {
    Slot::containing_ms(MAY_1_2024_MS)
}

fn energy(store: &Store, channel: i64, slot: Slot) -> Option<f64> {
    store
        .intervals(channel, slot, slot.next())
        .unwrap()
        .first()
        .map(|i| i.energy_wh)
}

fn story(store: &Store) {
    let f = fixture(store);
    let t0 = MAY_1_2024_MS;

    // In-order points: 1 kW for the first quarter-hour, then 2 kW.
    write(
        store,
        f.consumption,
        constant(t0, t0 + 900_000, 10_000, 1000.0),
    );
    assert_eq!(store.raw_point_count().unwrap(), 91);
    assert!((energy(store, f.consumption, slot0()).unwrap() - 250.0).abs() < 0.01);

    // Duplicates are idempotent.
    write(
        store,
        f.consumption,
        constant(t0, t0 + 900_000, 10_000, 1000.0),
    );
    assert_eq!(
        store.raw_point_count().unwrap(),
        91,
        "duplicates must not be stored twice"
    );
    assert!((energy(store, f.consumption, slot0()).unwrap() - 250.0).abs() < 0.01);

    // Out-of-order: the second quarter-hour arrives backwards, then a late point fills a gap.
    let mut second: Vec<Point> = constant(t0 + 900_000, t0 + 1_800_000, 10_000, 2000.0);
    second.retain(|p| p.ts_ms < t0 + 1_200_000 || p.ts_ms > t0 + 1_300_000);
    second.reverse();
    write(store, f.consumption, second);
    let q = store
        .intervals(f.consumption, slot0().next(), slot0().next().next())
        .unwrap()[0];
    assert!(
        q.coverage < 1.0,
        "a 100 s hole wider than max_gap is not bridged: {q:?}"
    );
    write(
        store,
        f.consumption,
        constant(t0 + 1_200_000, t0 + 1_300_000, 20_000, 2000.0),
    );
    let q = store
        .intervals(f.consumption, slot0().next(), slot0().next().next())
        .unwrap()[0];
    assert_eq!(q.coverage, 1.0, "the late points complete the quarter-hour");
    assert!((q.energy_wh - 500.0).abs() < 0.01, "{q:?}");

    // Raw points come back exactly.
    let raw = store.raw_points(f.consumption, t0, t0 + 20_001).unwrap();
    assert_eq!(
        raw,
        vec![
            Point {
                ts_ms: t0,
                value: 1000.0
            },
            Point {
                ts_ms: t0 + 10_000,
                value: 1000.0
            },
            Point {
                ts_ms: t0 + 20_000,
                value: 1000.0
            },
        ]
    );
    assert_eq!(
        store.last_point(f.consumption).unwrap().unwrap().ts_ms,
        t0 + 1_800_000
    );

    // Float values round-trip bit for bit.
    let floats = vec![
        Point {
            ts_ms: t0,
            value: 0.1,
        },
        Point {
            ts_ms: t0 + 1000,
            value: -3.25e-7,
        },
    ];
    write(store, f.production, floats.clone());
    assert_eq!(
        store.raw_points(f.production, t0, t0 + 2000).unwrap(),
        floats
    );

    // Counter with a reset.
    write(
        store,
        f.counter,
        vec![
            Point {
                ts_ms: t0,
                value: 5000.0,
            },
            Point {
                ts_ms: t0 + 30_000,
                value: 5010.0,
            },
            Point {
                ts_ms: t0 + 60_000,
                value: 12.0,
            },
            Point {
                ts_ms: t0 + 90_000,
                value: 22.0,
            },
        ],
    );
    assert!((energy(store, f.counter, slot0()).unwrap() - 20.0).abs() < 0.01);

    // Provenance: settled replaces measured, without losing it; a later measured value does not
    // override settled, and is kept too.
    let settled = Interval::flat(slot0(), 260.0, Provenance::Settled);
    store.write_intervals(f.consumption, &[settled]).unwrap();
    assert_eq!(energy(store, f.consumption, slot0()), Some(260.0));
    write(
        store,
        f.consumption,
        vec![Point {
            ts_ms: t0 + 4000,
            value: 1000.0,
        }],
    );
    assert_eq!(energy(store, f.consumption, slot0()), Some(260.0));
    let versions = store.interval_versions(f.consumption, slot0()).unwrap();
    let kinds: Vec<Provenance> = versions.iter().map(|v| v.provenance).collect();
    assert_eq!(kinds, vec![Provenance::Settled, Provenance::Measured]);
    let estimated = Interval {
        provenance: Provenance::Estimated,
        energy_wh: 1.0,
        ..settled
    };
    store.write_intervals(f.consumption, &[estimated]).unwrap();
    assert_eq!(energy(store, f.consumption, slot0()), Some(260.0));

    // Community totals follow the best version of each channel.
    let totals = store
        .community_series(
            f.community,
            ChannelKind::Consumption,
            slot0(),
            slot0().next().next(),
        )
        .unwrap();
    assert_eq!(totals.len(), 2);
    assert!((totals[0].energy_wh - 260.0).abs() < 0.01, "{totals:?}");
    assert!((totals[1].energy_wh - 500.0).abs() < 0.01, "{totals:?}");

    // Reassigning a channel rebuilds the totals with the configuration valid at each slot.
    let meter = store.channel(f.consumption).unwrap().meter_id.unwrap();
    store
        .assign_channel(
            f.consumption,
            meter,
            ChannelKind::Production,
            None,
            t0 + 900_000,
            "clamps moved",
        )
        .unwrap();
    let cons = store
        .community_series(
            f.community,
            ChannelKind::Consumption,
            slot0(),
            slot0().next().next(),
        )
        .unwrap();
    assert_eq!(cons.len(), 1, "{cons:?}");
    let channel = store.channel(f.consumption).unwrap();
    assert_eq!(channel.configs.len(), 2);
    assert_eq!(
        channel.config_at(t0).unwrap().kind,
        ChannelKind::Consumption
    );
    assert_eq!(channel.kind(), Some(ChannelKind::Production));

    // DST days: the Brussels calendar.
    let tz = jiff::tz::TimeZone::get(&store.community(f.community).unwrap().timezone).unwrap();
    assert_eq!(
        LocalDay::new("2024-03-31".parse().unwrap(), &tz)
            .unwrap()
            .slot_count(),
        92
    );
    assert_eq!(
        LocalDay::new("2024-10-27".parse().unwrap(), &tz)
            .unwrap()
            .slot_count(),
        100
    );
    // A full autumn DST day of quarter-hours is stored and returned slot by slot.
    let day = LocalDay::new("2024-10-27".parse().unwrap(), &tz).unwrap();
    let intervals: Vec<Interval> = day
        .slots()
        .map(|slot| Interval::flat(slot, 10.0, Provenance::Settled))
        .collect();
    store.write_intervals(f.production, &intervals).unwrap();
    assert_eq!(
        store
            .intervals(f.production, day.first, day.end)
            .unwrap()
            .len(),
        100
    );

    // Unknown series are registered unassigned, once.
    let a = store
        .ensure_channel(f.community, "garage", Unit::Watt)
        .unwrap();
    let b = store
        .ensure_channel(f.community, "garage", Unit::Watt)
        .unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(a.kind(), None);

    // Tokens keep their scope.
    store
        .create_token(
            "hash-1",
            f.community,
            TokenScope::MeterWrite { meter_id: meter },
            "flukso",
        )
        .unwrap();
    assert_eq!(
        store.token("hash-1").unwrap().unwrap().scope,
        TokenScope::MeterWrite { meter_id: meter }
    );
    assert!(store.token("nope").unwrap().is_none());
}

#[test]
fn contract_sqlite() {
    let (_dir, store) = sqlite();
    story(&store);
}

#[test]
fn contract_postgres() {
    if let Some((_schema, store)) = postgres() {
        story(&store);
    }
}

#[test]
fn sqlite_store_reopens_with_its_data() {
    let dir = tempdir::Dir::new("reopen");
    let path = dir.path().join("voisins.db");
    let community = {
        let store = Store::open_sqlite(&path, StoreSettings::default()).unwrap();
        let f = fixture(&store);
        write(
            &store,
            f.consumption,
            constant(MAY_1_2024_MS, MAY_1_2024_MS + 900_000, 10_000, 500.0),
        );
        f.community
    };
    let store = Store::open_sqlite(&path, StoreSettings::default()).unwrap();
    let totals = store
        .community_series(community, ChannelKind::Consumption, slot0(), slot0().next())
        .unwrap();
    assert!((totals[0].energy_wh - 125.0).abs() < 0.01);
}
