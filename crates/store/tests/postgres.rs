//! PostgreSQL for real: two writers on the same channel lose nothing, and a stream of writes
//! through a PostgreSQL restart loses nothing it was told was stored.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use analytics::quarter_hour;
use domain::{ChannelId, ChannelKind, CommunityId, MemberKind, Point, SeriesKey, Slot, Unit};
use store::{NewChannel, Store, StoreSettings};
use testkit::postgres::PrivatePostgres;
use testkit::TestStore;

const T0: i64 = 1_714_521_600_000;

fn one_channel(store: &Store) -> (CommunityId, ChannelId) {
    store
        .write(|tx| {
            let c = tx
                .communities()
                .create("Two writers", "Europe/Brussels", 60_000)?;
            let m = tx.members().add(c, "M", MemberKind::Household, true)?;
            let meter = tx.meters().add(c, Some(m), "m")?;
            let ch = tx.channels().add(
                &NewChannel {
                    community_id: c,
                    meter_id: Some(meter),
                    series_key: SeriesKey::parse("shared").unwrap(),
                    unit: Unit::Watt,
                    kind: Some(ChannelKind::Consumption),
                    phase: None,
                    valid_from_ms: 0,
                },
                0,
            )?;
            Ok((c, ch))
        })
        .unwrap()
}

#[test]
fn two_writers_on_one_channel_lose_nothing() {
    let Some(first) = TestStore::postgres("two_writers") else {
        return;
    };
    let (community, channel) = one_channel(&first);
    let second = Arc::new(first.second());
    let stores: [Arc<Store>; 2] = [first.store.clone(), second];
    // Writer w sends the seconds ≡ w (mod 2), in 40 interleaved batches of 45 points.
    let handles: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(w, store)| {
            let store = store.clone();
            std::thread::spawn(move || {
                for batch in 0..40i64 {
                    let points: Vec<Point> = (0..45i64)
                        .map(|i| {
                            let s = (batch * 45 + i) * 2 + w as i64;
                            Point {
                                ts_ms: T0 + s * 1000,
                                value: (100 + s % 37) as f64,
                            }
                        })
                        .collect();
                    store
                        .write(|tx| tx.points().write(channel, &points, None))
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let store = &first.store;
    let points = store
        .read(|tx| tx.points().range(channel, 0, i64::MAX))
        .unwrap();
    assert_eq!(points.len(), 3600, "every point of both writers");
    // Every quarter-hour follows from all the points, and the totals from the quarter-hours.
    let end = Slot::containing_ms(T0 + 3_600_000);
    for slot in quarter_hour::slots_between(T0, T0 + 3_599_000) {
        let stored = store
            .read(|tx| tx.intervals().best(channel, slot, slot.next()))
            .unwrap();
        let expected = quarter_hour::from_power(&points, slot, 60_000);
        assert_eq!(stored.first().copied(), expected, "{slot:?}");
    }
    testkit::assert_totals_consistent(store, community, "after two concurrent writers");
    let totals = store.read(|tx| tx.totals().stored(community)).unwrap();
    assert_eq!(
        totals.len() as i64,
        end.index() - Slot::containing_ms(T0).index()
    );
}

#[test]
fn a_postgres_restart_mid_stream_loses_nothing_acknowledged() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let settings = StoreSettings {
        readers: 2,
        pg_writers: 2,
        ..StoreSettings::default()
    };
    let store =
        Arc::new(Store::open_postgres(&pg.url(), None, settings).expect("private PostgreSQL"));
    let (community, channel) = one_channel(&store);
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let failures = Arc::new(Mutex::new(0usize));
    let writer = {
        let (store, acked, failures) = (store.clone(), acked.clone(), failures.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut batch = 0i64;
            while batch < 120 {
                assert!(
                    Instant::now() < deadline,
                    "the stream did not resume after the restart"
                );
                let points: Vec<Point> = (0..10i64)
                    .map(|i| Point {
                        ts_ms: T0 + (batch * 10 + i) * 1000,
                        value: 500.0,
                    })
                    .collect();
                match store.write(|tx| tx.points().write(channel, &points, None)) {
                    Ok(_) => {
                        acked.lock().unwrap().extend(points.iter().map(|p| p.ts_ms));
                        batch += 1;
                    }
                    Err(e) => {
                        assert_eq!(e.kind(), store::ErrorKind::Unavailable, "{e:?}");
                        *failures.lock().unwrap() += 1;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    while acked.lock().unwrap().len() < 300 {
        std::thread::sleep(Duration::from_millis(20));
    }
    pg.restart();
    writer.join().unwrap();
    let stored: Vec<i64> = store
        .read(|tx| tx.points().range(channel, 0, i64::MAX))
        .unwrap()
        .iter()
        .map(|p| p.ts_ms)
        .collect();
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), 1200);
    for ts in &acked {
        assert!(
            stored.binary_search(ts).is_ok(),
            "acknowledged point {ts} lost"
        );
    }
    testkit::assert_totals_consistent(&store, community, "after the restart");
    eprintln!(
        "{} write(s) refused while PostgreSQL restarted",
        failures.lock().unwrap()
    );
}
