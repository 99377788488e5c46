//! The store contract: one story and its regression tests, each run on SQLite always and on
//! PostgreSQL when `VOISINS_TEST_PG` is set (required when `VOISINS_REQUIRE_SERVICES=1`).

use domain::{
    ChannelId, ChannelKind, CommunityId, Interval, LocalDay, MemberKind, Point, Provenance,
    SeriesKey, Slot, TokenScope, Unit,
};
use store::{ErrorKind, NewChannel, Store};
use testkit::{store_test, TestStore};

const MAY_1_2024_MS: i64 = 1_714_521_600_000; // 2024-05-01T00:00:00Z, a slot boundary

struct Fixture {
    community: CommunityId,
    meter: domain::MeterId,
    consumption: ChannelId,
    production: ChannelId,
    counter: ChannelId,
}

fn fixture(store: &Store) -> Fixture {
    store
        .write(|tx| {
            let community = tx.communities().create("Test", "Europe/Brussels", 60_000)?;
            let member = tx
                .members()
                .add(community, "H001", MemberKind::Household, false)?;
            let meter = tx.meters().add(community, Some(member), "flukso-1")?;
            let mut channel = |key: &str, unit, kind| {
                tx.channels().add(
                    &NewChannel {
                        community_id: community,
                        meter_id: Some(meter),
                        series_key: SeriesKey::parse(key).unwrap(),
                        unit,
                        kind: Some(kind),
                        phase: None,
                        valid_from_ms: 0,
                    },
                    0,
                )
            };
            Ok(Fixture {
                consumption: channel("h001c", Unit::Watt, ChannelKind::Consumption)?,
                production: channel("h001p", Unit::Watt, ChannelKind::Production)?,
                counter: channel("h001e", Unit::WattHour, ChannelKind::Consumption)?,
                community,
                meter,
            })
        })
        .unwrap()
}

fn constant(from_ms: i64, to_ms: i64, step_ms: i64, w: f64) -> Vec<Point> {
    (from_ms..=to_ms)
        .step_by(step_ms as usize)
        .map(|ts_ms| Point { ts_ms, value: w })
        .collect()
}

fn p(ts_ms: i64, value: f64) -> Point {
    Point { ts_ms, value }
}

fn write(store: &Store, channel: ChannelId, points: Vec<Point>) -> store::WriteSummary {
    store
        .write(|tx| tx.points().write(channel, &points, None))
        .unwrap()
}

fn slot0() -> Slot {
    Slot::containing_ms(MAY_1_2024_MS)
}

fn best(store: &Store, channel: ChannelId, slot: Slot) -> Option<Interval> {
    store
        .read(|tx| tx.intervals().best(channel, slot, slot.next()))
        .unwrap()
        .first()
        .copied()
}

fn energy(store: &Store, channel: ChannelId, slot: Slot) -> Option<i64> {
    best(store, channel, slot).map(|i| i.energy_mwh)
}

fn assert_totals_consistent(store: &Store, community: CommunityId) {
    testkit::assert_totals_consistent(store, community, "contract");
}

store_test!(contract_story, |store: &TestStore| {
    let f = fixture(store);
    let t0 = MAY_1_2024_MS;

    // In-order points: 1 kW for the first quarter-hour.
    write(
        store,
        f.consumption,
        constant(t0, t0 + 900_000, 10_000, 1000.0),
    );
    assert_eq!(store.read(|tx| tx.points().count()).unwrap(), 91);
    assert_eq!(energy(store, f.consumption, slot0()), Some(250_000));

    // Duplicates are idempotent.
    write(
        store,
        f.consumption,
        constant(t0, t0 + 900_000, 10_000, 1000.0),
    );
    assert_eq!(
        store.read(|tx| tx.points().count()).unwrap(),
        91,
        "duplicates stored twice"
    );
    assert_eq!(energy(store, f.consumption, slot0()), Some(250_000));

    // Out-of-order: the second quarter-hour arrives backwards, then a late point fills a gap.
    let mut second = constant(t0 + 900_000, t0 + 1_800_000, 10_000, 2000.0);
    second.retain(|p| p.ts_ms < t0 + 1_200_000 || p.ts_ms > t0 + 1_300_000);
    second.reverse();
    write(store, f.consumption, second);
    let q = best(store, f.consumption, slot0().next()).unwrap();
    assert!(
        q.covered_ms < 900_000,
        "a 100 s hole wider than max_gap is not bridged: {q:?}"
    );
    write(
        store,
        f.consumption,
        constant(t0 + 1_200_000, t0 + 1_300_000, 20_000, 2000.0),
    );
    let q = best(store, f.consumption, slot0().next()).unwrap();
    assert_eq!(
        q.covered_ms, 900_000,
        "the late points complete the quarter-hour"
    );
    assert_eq!(q.energy_mwh, 500_000, "{q:?}");

    // Raw points come back exactly; float values bit for bit.
    let raw = store
        .read(|tx| tx.points().range(f.consumption, t0, t0 + 20_001))
        .unwrap();
    assert_eq!(
        raw,
        vec![
            p(t0, 1000.0),
            p(t0 + 10_000, 1000.0),
            p(t0 + 20_000, 1000.0)
        ]
    );
    let last = store
        .read(|tx| tx.points().last(f.consumption, 1, i64::MAX))
        .unwrap();
    assert_eq!(last[0].ts_ms, t0 + 1_800_000);
    let floats = vec![p(t0, 0.1), p(t0 + 1000, -3.25e-7)];
    write(store, f.production, floats.clone());
    assert_eq!(
        store
            .read(|tx| tx.points().range(f.production, t0, t0 + 2000))
            .unwrap(),
        floats
    );

    // Counter with a reset.
    write(
        store,
        f.counter,
        vec![
            p(t0, 5000.0),
            p(t0 + 30_000, 5010.0),
            p(t0 + 60_000, 12.0),
            p(t0 + 90_000, 22.0),
        ],
    );
    assert_eq!(energy(store, f.counter, slot0()), Some(20_000));

    // Provenance: settled replaces measured without losing it; a later measured value does not
    // override settled, and is kept too.
    let settled = Interval::flat(slot0(), 260_000, Provenance::Settled);
    store
        .write(|tx| tx.intervals().write(f.consumption, &[settled]))
        .unwrap();
    assert_eq!(energy(store, f.consumption, slot0()), Some(260_000));
    write(store, f.consumption, vec![p(t0 + 4000, 1000.0)]);
    assert_eq!(energy(store, f.consumption, slot0()), Some(260_000));
    let versions = store
        .read(|tx| tx.intervals().versions(f.consumption, slot0()))
        .unwrap();
    let kinds: Vec<(Provenance, bool)> = versions
        .iter()
        .map(|v| (v.provenance, v.from_points))
        .collect();
    assert_eq!(
        kinds,
        vec![(Provenance::Settled, false), (Provenance::Measured, true)]
    );
    let estimated = Interval {
        provenance: Provenance::Estimated,
        energy_mwh: 1_000,
        ..settled
    };
    store
        .write(|tx| tx.intervals().write(f.consumption, &[estimated]))
        .unwrap();
    assert_eq!(energy(store, f.consumption, slot0()), Some(260_000));
    assert_eq!(
        store
            .read(|tx| tx.intervals().versions(f.consumption, slot0()))
            .unwrap()
            .len(),
        3
    );

    // Community totals follow the best version of each channel.
    let totals = store
        .read(|tx| {
            tx.totals().series(
                f.community,
                ChannelKind::Consumption,
                slot0(),
                slot0().next().next(),
            )
        })
        .unwrap();
    assert_eq!(totals.len(), 2);
    assert_eq!(totals[0].energy_mwh, 260_000 + 20_000, "{totals:?}");
    assert_eq!(totals[1].energy_mwh, 500_000, "{totals:?}");
    assert_totals_consistent(store, f.community);

    // Reassigning a channel rebuilds the totals with the configuration valid at each slot.
    store
        .write(|tx| {
            tx.channels().assign(
                f.consumption,
                f.meter,
                ChannelKind::Production,
                None,
                t0 + 900_000,
                "clamps moved",
            )
        })
        .unwrap();
    let cons = store
        .read(|tx| {
            tx.totals().series(
                f.community,
                ChannelKind::Consumption,
                slot0(),
                slot0().next().next(),
            )
        })
        .unwrap();
    assert_eq!(cons.len(), 1, "{cons:?}");
    let channel = store.read(|tx| tx.channels().get(f.consumption)).unwrap();
    assert_eq!(channel.configs.len(), 2);
    assert_eq!(channel.kind_at(t0), Some(ChannelKind::Consumption));
    assert_eq!(channel.kind(), Some(ChannelKind::Production));
    assert_totals_consistent(store, f.community);

    // A full autumn DST day of quarter-hours is stored and returned slot by slot.
    let tz = store
        .read(|tx| tx.communities().get(f.community))
        .unwrap()
        .time_zone()
        .unwrap();
    let day = LocalDay::new("2024-10-27".parse().unwrap(), &tz).unwrap();
    assert_eq!(day.slot_count(), 100);
    let intervals: Vec<Interval> = day
        .slots()
        .map(|slot| Interval::flat(slot, 10_000, Provenance::Settled))
        .collect();
    store
        .write(|tx| tx.intervals().write(f.production, &intervals))
        .unwrap();
    assert_eq!(
        store
            .read(|tx| tx.intervals().best(f.production, day.first, day.end))
            .unwrap()
            .len(),
        100
    );

    // Tokens keep their scope, can be listed and revoked.
    let id = store
        .write(|tx| {
            tx.tokens().create(
                "hash-1",
                f.community,
                TokenScope::MeterWrite { meter_id: f.meter },
                "flukso",
                7,
            )
        })
        .unwrap();
    let token = store
        .read(|tx| tx.tokens().by_hash("hash-1"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (token.scope, token.created_ms),
        (TokenScope::MeterWrite { meter_id: f.meter }, 7)
    );
    assert!(store
        .read(|tx| tx.tokens().by_hash("nope"))
        .unwrap()
        .is_none());
    assert!(store
        .write(|tx| tx.tokens().revoke(f.community, id))
        .unwrap());
    assert!(store
        .read(|tx| tx.tokens().by_hash("hash-1"))
        .unwrap()
        .is_none());
});

store_test!(series_names_are_per_meter, |store: &TestStore| {
    let f = fixture(store);
    let key = SeriesKey::parse("garage").unwrap();
    let (other, a) = store
        .write(|tx| {
            let other = tx.meters().add(f.community, None, "flukso-2")?;
            let (a, created) = tx.channels().register(
                f.community,
                Some(f.meter),
                &key,
                Unit::Watt,
                domain::Sampling::Sampled,
                0,
            )?;
            assert!(created);
            let (again, created) = tx.channels().register(
                f.community,
                Some(f.meter),
                &key,
                Unit::Watt,
                domain::Sampling::Sampled,
                0,
            )?;
            assert!(!created && again.id == a.id, "registered once");
            Ok((other, a))
        })
        .unwrap();
    // Another meter's token registering the same name gets its own channel.
    let (b, _) = store
        .write(|tx| {
            tx.channels().register(
                f.community,
                Some(other),
                &key,
                Unit::Watt,
                domain::Sampling::Sampled,
                0,
            )
        })
        .unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(
        store
            .read(|tx| tx.channels().by_key(f.community, "garage"))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .read(|tx| tx.channels().count_unassigned(f.community))
            .unwrap(),
        2
    );
    // A duplicate name on one meter is refused in plain words.
    let err = store
        .write(|tx| {
            tx.channels().add(
                &NewChannel {
                    community_id: f.community,
                    meter_id: Some(f.meter),
                    series_key: key.clone(),
                    unit: Unit::Watt,
                    kind: None,
                    phase: None,
                    valid_from_ms: 0,
                },
                0,
            )
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("garage"), "{err}");
});

store_test!(groups_keep_their_members_once, |store: &TestStore| {
    let f = fixture(store);
    let (a, b) = store
        .write(|tx| {
            let a = tx
                .members()
                .add(f.community, "H002", MemberKind::Household, true)?;
            let b = tx
                .members()
                .add(f.community, "Shop", MemberKind::Shop, true)?;
            tx.groups().add(f.community, " Rue Haute ", &[b, a, b])?;
            tx.groups().add(f.community, "Empty", &[])?;
            Ok((a, b))
        })
        .unwrap();
    let groups = store.read(|tx| tx.groups().list(f.community)).unwrap();
    let named: Vec<(&str, &[domain::MemberId])> = groups
        .iter()
        .map(|g| (g.name.as_str(), g.member_ids.as_slice()))
        .collect();
    assert_eq!(named, [("Rue Haute", &[a, b][..]), ("Empty", &[][..])]);
    let err = store
        .write(|tx| tx.groups().add(f.community, "  ", &[a]))
        .unwrap_err();
    assert_eq!(err.to_string(), "a group needs a name");
    let other = store
        .write(|tx| tx.communities().create("Other", "Europe/Brussels", 60_000))
        .unwrap();
    let err = store
        .write(|tx| tx.groups().add(other, "Stolen", &[a]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(store.read(|tx| tx.groups().list(other)).unwrap().is_empty());
});

store_test!(plain_errors_name_what_is_missing, |store: &TestStore| {
    let f = fixture(store);
    let err = store
        .write(|tx| {
            tx.meters()
                .add(f.community, Some(domain::MemberId::new(999)), "x")
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.to_string(), "member 999 does not exist");
    let err = store
        .write(|tx| tx.communities().create("X", "Mars/Olympus", 60_000))
        .unwrap_err();
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    let err = store
        .read(|tx| tx.channels().get(ChannelId::new(12345)))
        .unwrap_err();
    assert_eq!(err.to_string(), "channel 12345 does not exist");
});

store_test!(
    a_quarter_hour_is_removed_when_its_points_no_longer_give_one,
    |store: &TestStore| {
        // A counter reads 100 Wh then 110 Wh: 10 Wh. The second reading is corrected to 90 Wh: the
        // counter went down, a new segment, so the quarter-hour holds nothing any more.
        let f = fixture(store);
        let t0 = MAY_1_2024_MS;
        write(
            store,
            f.counter,
            vec![p(t0 + 1000, 100.0), p(t0 + 31_000, 110.0)],
        );
        assert_eq!(energy(store, f.counter, slot0()), Some(10_000));
        write(store, f.counter, vec![p(t0 + 31_000, 90.0)]);
        assert_eq!(energy(store, f.counter, slot0()), None, "no stale 10 Wh");
        let totals = store
            .read(|tx| {
                tx.totals().series(
                    f.community,
                    ChannelKind::Consumption,
                    slot0(),
                    slot0().next(),
                )
            })
            .unwrap();
        assert!(totals.is_empty(), "{totals:?}");
        assert_totals_consistent(store, f.community);
    }
);

store_test!(
    a_counter_delta_across_a_gap_is_spread_over_it,
    |store: &TestStore| {
        // max_gap is 60 s. Readings a minute apart, then a 30-minute silence, then readings again:
        // the 140 Wh the counter moved during the silence land in the quarter-hours it spans.
        let f = fixture(store);
        let t0 = MAY_1_2024_MS;
        write(
            store,
            f.counter,
            vec![
                p(t0, 1000.0),
                p(t0 + 60_000, 1005.0),
                p(t0 + 1_860_000, 1145.0),
                p(t0 + 1_920_000, 1150.0),
            ],
        );
        let slots = store
            .read(|tx| {
                tx.intervals()
                    .best(f.counter, slot0(), Slot::from_index(slot0().index() + 4))
            })
            .unwrap();
        let total: i64 = slots.iter().map(|i| i.energy_mwh).sum();
        assert_eq!(
            total, 150_000,
            "the meter's whole delta, 1150 − 1000 Wh: {slots:?}"
        );
        assert!(
            slots
                .iter()
                .all(|i| i.provenance == Provenance::Interpolated),
            "{slots:?}"
        );
        assert_eq!(
            slots[1].covered_ms, 0,
            "nothing measured in the silent quarter-hour"
        );
        assert_totals_consistent(store, f.community);
    }
);

store_test!(
    far_apart_points_in_one_write_each_give_their_quarter_hour,
    |store: &TestStore| {
        // That they are recomputed as two clusters, not seventeen years of quarter-hours, is
        // `analytics::quarter_hour`'s `far_apart_points_are_separate_clusters`.
        let f = fixture(store);
        let old = 1_234_600_000_000; // 2009-02-14
        let summary = write(
            store,
            f.consumption,
            vec![
                p(old, 100.0),
                p(old + 8000, 100.0),
                p(MAY_1_2024_MS, 1.0),
                p(MAY_1_2024_MS + 8000, 1.0),
            ],
        );
        assert!(summary.slots <= 4, "{summary:?}");
        let days = store
            .read(|tx| {
                tx.intervals()
                    .best(f.consumption, Slot::containing_ms(old), slot0().next())
            })
            .unwrap();
        assert_eq!(days.len(), 2, "{days:?}");
    }
);

store_test!(sessions_expire_and_end_everywhere, |store: &TestStore| {
    let f = fixture(store);
    let user = store
        .write(|tx| {
            tx.users().create(&store::NewUser {
                community_id: f.community,
                login: " Dubois ".into(),
                display_name: "Dubois".into(),
                password_hash: "x".into(),
                role: domain::Role::Coordinator,
                member_id: None,
                lang: "fr".into(),
            })
        })
        .unwrap();
    assert!(
        store
            .read(|tx| tx.users().by_login("DUBOIS"))
            .unwrap()
            .is_some(),
        "logins are normalised once"
    );
    store
        .write(|tx| {
            tx.sessions().create("s1", user, "c1", 1000)?;
            tx.sessions().create("s2", user, "c2", 5000)
        })
        .unwrap();
    assert!(store
        .read(|tx| tx.sessions().get("s1", 999))
        .unwrap()
        .is_some());
    assert!(
        store
            .read(|tx| tx.sessions().get("s1", 1000))
            .unwrap()
            .is_none(),
        "expired"
    );
    assert_eq!(store.write(|tx| tx.sessions().purge(2000)).unwrap(), 1);
    assert_eq!(
        store.write(|tx| tx.sessions().delete_user(user)).unwrap(),
        1
    );
    assert!(store
        .read(|tx| tx.sessions().get("s2", 0))
        .unwrap()
        .is_none());
});

#[test]
fn sqlite_store_reopens_with_its_data() {
    let dir = testkit::TempDir::new("reopen");
    let path = dir.path().join("voisins.db");
    let community = {
        let store = Store::open_sqlite(&path, store::StoreSettings::default()).unwrap();
        let f = fixture(&store);
        write(
            &store,
            f.consumption,
            constant(MAY_1_2024_MS, MAY_1_2024_MS + 900_000, 10_000, 500.0),
        );
        f.community
    };
    let store = Store::open_sqlite(&path, store::StoreSettings::default()).unwrap();
    let totals = store
        .read(|tx| {
            tx.totals()
                .series(community, ChannelKind::Consumption, slot0(), slot0().next())
        })
        .unwrap();
    assert_eq!(totals[0].energy_mwh, 125_000);
}

#[test]
fn a_block_another_process_rewrites_is_read_anew() {
    // A second store on the same file stands for another process writing behind this one's
    // back: nothing this store keeps may hide the new quarter-hour.
    let ts = testkit::TestStore::sqlite("decoded-blocks");
    let f = fixture(&ts.store);
    let t0 = MAY_1_2024_MS;
    write(
        &ts.store,
        f.consumption,
        constant(t0, t0 + 900_000, 10_000, 400.0),
    );
    assert_eq!(energy(&ts.store, f.consumption, slot0()), Some(100_000));
    let other = ts.second();
    let settled = Interval::flat(slot0(), 123_456, Provenance::Settled);
    other
        .write(|tx| tx.intervals().write(f.consumption, &[settled]))
        .unwrap();
    assert_eq!(energy(&ts.store, f.consumption, slot0()), Some(123_456));
    // The same bytes in another community's store decode to the same block.
    let ts2 = testkit::TestStore::sqlite("decoded-blocks-2");
    let g = fixture(&ts2.store);
    write(
        &ts2.store,
        g.consumption,
        constant(t0, t0 + 900_000, 10_000, 400.0),
    );
    assert_eq!(energy(&ts2.store, g.consumption, slot0()), Some(100_000));
}
