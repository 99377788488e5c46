//! The figures people see, on a small community built by hand: every number is checked
//! against what a person computes from the data with the rule the figure names. Each test is
//! named after what once went wrong.

use std::sync::Arc;

use app::access::Viewer;
use app::import::{ImportFormat, ImportOptions, Meaning};
use app::period::RangeRequest;
use app::record::Writer;
use app::{App, Kind};
use domain::{ChannelKind, Interval, Point, Provenance, Role, SeriesKey, Slot, TokenScope, Unit};
use ingest::csv::ColumnMapping;
use ingest::SeriesPoint;
use store::NewChannel;
use testkit::{TestStore, World, WorldSpec, NOW_MS};

/// 2024-05-01 00:00 in Brussels.
const DAY_START_MS: i64 = 1_714_514_400_000;

fn viewer(w: &World, login: &str) -> Viewer {
    let (user, _) = w
        .store
        .read(|tx| tx.users().by_login(login))
        .unwrap()
        .unwrap();
    Viewer { user, csrf: None }
}

fn slot(i: i64) -> Slot {
    Slot::from_index(Slot::containing_ms(DAY_START_MS).index() + i)
}

fn flat(i: i64, wh: i64) -> Interval {
    Interval::flat(slot(i), wh * 1000, Provenance::Measured)
}

fn today() -> RangeRequest {
    RangeRequest::default()
}

#[test]
fn self_consumption_is_split_into_used_at_home_and_shared() {
    // Household 1 has PV. Quarter-hour 0: it produces 1000 Wh and uses 200 Wh; households 2
    // and 3 use 500 and 100 Wh. Quarter-hour 1: household 1 uses 300 Wh without sun.
    let w = World::sqlite();
    let app = w.app();
    let write = |ch, ivs: &[Interval]| w.store.write(|tx| tx.intervals().write(ch, ivs)).unwrap();
    write(w.consumption[0], &[flat(0, 200), flat(1, 300)]);
    write(w.production[0].unwrap(), &[flat(0, 1000), flat(1, 0)]);
    write(w.consumption[1], &[flat(0, 500)]);
    write(w.consumption[2], &[flat(0, 100)]);
    let t = app
        .community_totals(&viewer(&w, "h2"), &today())
        .unwrap()
        .totals;
    assert_eq!(
        t.used_at_home_mwh, 200_000,
        "used behind household 1's own meter"
    );
    assert_eq!(
        t.shared_mwh, 600_000,
        "taken by households 2 and 3 while household 1 injected"
    );
    assert_eq!(t.to_grid_mwh(), 200_000);
    assert_eq!(t.from_grid_mwh(), 300_000);
    assert_eq!(t.self_consumption_rate(), Some(0.8));
    assert_eq!(t.shared_rate(), Some(0.75), "of the 800 Wh injected");
    // The producer's own totals: 200 Wh used at home, nothing shared with itself.
    let own = app
        .member_totals(&viewer(&w, "h1"), None, &today())
        .unwrap()
        .totals;
    assert_eq!(
        (own.used_at_home_mwh, own.injection_mwh, own.offtake_mwh),
        (200_000, 800_000, 300_000)
    );
}

#[test]
fn a_member_known_only_by_the_grid_operator_sees_its_consumption() {
    let w = World::sqlite();
    let app = w.app();
    let text = "Date;Heure;Code EAN;Registre;Volume;Statut\n\
                01/05/2024;00:00;=\"541448800000000001\";Prélèvement jour;0,250;Réel\n\
                01/05/2024;00:15;=\"541448800000000001\";Prélèvement jour;0,300;Réel\n\
                01/05/2024;00:15;=\"541448800000000001\";Injection jour;0,050;Réel\n";
    // Household 6's meter now also carries the grid operator's registers; it has no clamps.
    let meter = w
        .store
        .write(|tx| tx.meters().add(w.community, Some(w.members[5]), "EAN 0001"))
        .unwrap();
    w.store
        .write(|tx| {
            tx.channels().assign(
                w.consumption[5],
                meter,
                ChannelKind::Cabin,
                None,
                0,
                "not this household's",
            )
        })
        .unwrap();
    let options = ImportOptions {
        format: ImportFormat::Grid,
        mapping: ColumnMapping::default(),
        meter_id: Some(meter),
        interval_ms: None,
    };
    let summary = app.import_csv(text, &options, &mut |_, _| {}).unwrap();
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    assert_eq!(
        summary.channels,
        vec!["541448800000000001-import", "541448800000000001-export"]
    );
    let t = app
        .member_totals(&viewer(&w, "h6"), None, &today())
        .unwrap()
        .totals;
    assert_eq!(
        t.consumption_mwh, 550_000,
        "its offtake is what it is known to have used"
    );
    assert_eq!(t.injection_mwh, 50_000);
    let curve = app.member_curve(&viewer(&w, "h6"), None, &today()).unwrap();
    assert_eq!(curve.resolution_s, 900, "no raw points: quarter-hours");
    assert_eq!(curve.series[0].energy_mwh[0], Some(250_000));
    assert_eq!(
        curve.series[0].power_w[0],
        Some(1000.0),
        "250 Wh in 15 min is 1 kW"
    );
}

#[test]
fn member_curves_sum_channels_instead_of_multiplying_a_pooled_mean() {
    // Three phases measured by three clamps; only one reports, at 250 W.
    let w = World::sqlite();
    let meter = w.meters[1];
    let extra: Vec<_> = ["h2c-l2", "h2c-l3"]
        .iter()
        .map(|k| {
            w.store
                .write(|tx| {
                    tx.channels().add(
                        &NewChannel {
                            community_id: w.community,
                            meter_id: Some(meter),
                            series_key: SeriesKey::parse(k).unwrap(),
                            unit: Unit::Watt,
                            kind: Some(ChannelKind::Consumption),
                            phase: None,
                            valid_from_ms: 0,
                        },
                        0,
                    )
                })
                .unwrap()
        })
        .collect();
    assert_eq!(extra.len(), 2);
    w.constant(
        w.consumption[1],
        DAY_START_MS,
        DAY_START_MS + 3_600_000,
        8000,
        250.0,
    );
    let app = w.app();
    let curve = app.member_curve(&viewer(&w, "h2"), None, &today()).unwrap();
    let cons = &curve.series[0];
    assert_eq!(curve.resolution_s, 60, "raw points cover the day");
    assert_eq!(cons.power_w[10], Some(250.0), "250 W, not 750 W");
    let coverage = cons.coverage[10].unwrap();
    assert!(
        (coverage - 1.0 / 3.0).abs() < 1e-9,
        "one of three channels measured: {coverage}"
    );
}

#[test]
fn counters_are_never_shown_as_power() {
    // A household with only a cumulative counter (12.495 kWh, +10 Wh every 60 s = 600 W).
    let w = World::sqlite();
    let counter = w
        .store
        .write(|tx| {
            tx.channels().assign(
                w.consumption[2],
                w.meters[2],
                ChannelKind::GridImport,
                None,
                0,
                "",
            )?;
            tx.channels().add(
                &NewChannel {
                    community_id: w.community,
                    meter_id: Some(w.meters[2]),
                    series_key: SeriesKey::parse("h3e").unwrap(),
                    unit: Unit::WattHour,
                    kind: Some(ChannelKind::Consumption),
                    phase: None,
                    valid_from_ms: 0,
                },
                0,
            )
        })
        .unwrap();
    let points: Vec<Point> = (0..=60)
        .map(|i| Point {
            ts_ms: NOW_MS - 3_600_000 + i * 60_000,
            value: 12_495.0 + 10.0 * i as f64,
        })
        .collect();
    w.store
        .write(|tx| tx.points().write(counter, &points, None))
        .unwrap();
    let app = w.app();
    let live = app.member_live(&viewer(&w, "h3"), None).unwrap();
    let watts = live.consumption_w.unwrap();
    assert!(
        (watts - 600.0).abs() < 1e-6,
        "power from the last counter delta, not 12 495: {watts}"
    );
    let curve = app.member_curve(&viewer(&w, "h3"), None, &today()).unwrap();
    let minute = curve
        .buckets
        .iter()
        .position(|b| b.0 == NOW_MS - 1_800_000)
        .unwrap();
    assert_eq!(curve.series[0].power_w[minute], Some(600.0));
}

#[test]
fn live_power_from_a_counter_jump_beyond_the_physical_limit_is_no_power() {
    // 1e9 Wh in a minute is 6e10 W: a glitch or a replaced meter, as for the quarter-hours.
    let w = World::sqlite();
    let counter = w
        .store
        .write(|tx| {
            tx.channels().add(
                &NewChannel {
                    community_id: w.community,
                    meter_id: Some(w.meters[0]),
                    series_key: SeriesKey::parse("h1e").unwrap(),
                    unit: Unit::WattHour,
                    kind: Some(ChannelKind::Consumption),
                    phase: None,
                    valid_from_ms: 0,
                },
                0,
            )
        })
        .unwrap();
    let points = [
        Point {
            ts_ms: NOW_MS - 60_000,
            value: 12_495.0,
        },
        Point {
            ts_ms: NOW_MS,
            value: 12_495.0 + 1e9,
        },
    ];
    w.store
        .write(|tx| tx.points().write(counter, &points, None))
        .unwrap();
    let live = w.app().member_live(&viewer(&w, "h1"), None).unwrap();
    assert_eq!(live.consumption_w, None, "{live:?}");
}

#[test]
fn the_day_chart_falls_back_to_quarter_hours_without_raw_points() {
    let w = World::sqlite();
    w.store
        .write(|tx| {
            tx.intervals()
                .write(w.consumption[3], &[flat(0, 100), flat(1, 200)])
        })
        .unwrap();
    let app = w.app();
    let curve = app.member_curve(&viewer(&w, "h4"), None, &today()).unwrap();
    assert_eq!(curve.resolution_s, 900);
    assert_eq!(
        curve.series[0].energy_mwh[..2],
        [Some(100_000), Some(200_000)]
    );
    assert_eq!(curve.series[0].power_w[1], Some(800.0));
}

#[test]
fn ranges_say_which_quarter_hours_they_summed() {
    let w = World::sqlite();
    let app = w.app();
    let t = app
        .member_totals(&viewer(&w, "h1"), None, &today())
        .unwrap();
    assert_eq!(t.summed_from, Slot::containing_ms(DAY_START_MS));
    assert_eq!(
        t.summed_to,
        Slot::containing_ms(NOW_MS),
        "up to the quarter-hour in progress"
    );
    let month = app
        .member_totals(
            &viewer(&w, "h1"),
            None,
            &RangeRequest::parse(Some("30d"), Some("2024-04-15"), None, None).unwrap(),
        )
        .unwrap();
    assert_eq!(
        month.summed_to.index() - month.summed_from.index(),
        30 * 96 - 4,
        "30 local days, one of 23 h"
    );
    let calendar = app
        .member_totals(
            &viewer(&w, "h1"),
            None,
            &RangeRequest::parse(Some("month"), Some("2024-03-10"), None, None).unwrap(),
        )
        .unwrap();
    assert_eq!(
        calendar.window.period.unwrap().days(),
        31,
        "March is a calendar month"
    );
}

#[test]
fn privacy_by_subtraction_reveals_nothing() {
    // Six households, all but one consent: total − five consenting curves = the sixth's curve.
    let store = TestStore::sqlite("privacy");
    let w = World::new(
        store,
        WorldSpec {
            private: vec![5],
            ..WorldSpec::default()
        },
    );
    for (i, ch) in w.consumption.iter().enumerate() {
        w.store
            .write(|tx| tx.intervals().write(*ch, &[flat(0, 100 * (i as i64 + 1))]))
            .unwrap();
    }
    let app = w.app();
    let coordinator = viewer(&w, "coord");
    let total = app
        .community_totals(&coordinator, &today())
        .unwrap()
        .totals
        .consumption_mwh;
    assert_eq!(total, 2_100_000);
    let mut seen = 0;
    let mut refused = 0;
    for m in &w.members[..5] {
        match app.member_totals(&coordinator, Some(*m), &today()) {
            Ok(t) => seen += t.totals.consumption_mwh,
            Err(e) => {
                assert_eq!(e.kind, Kind::Forbidden, "{e:?}");
                refused += 1;
            }
        }
    }
    assert_eq!(
        (seen, refused),
        (0, 5),
        "no consenting curve is shown while one private member would be exposed, so the \
         subtraction cannot give household 6's figure"
    );
    // With a fifth of the community private (k = 5 private members), curves are shown again.
    let w = World::new(
        TestStore::sqlite("privacy2"),
        WorldSpec {
            households: 10,
            private: vec![5, 6, 7, 8, 9],
            ..WorldSpec::default()
        },
    );
    let app = w.app();
    assert!(app
        .member_totals(&viewer(&w, "coord"), Some(w.members[0]), &today())
        .is_ok());
    // A resident of a five-household community does not see the total (four others only).
    let w = World::new(
        TestStore::sqlite("privacy3"),
        WorldSpec {
            households: 5,
            ..WorldSpec::default()
        },
    );
    let err = w
        .app()
        .community_totals(&viewer(&w, "h1"), &today())
        .unwrap_err();
    assert_eq!(err.kind, Kind::Forbidden);
    assert!(err.message.contains("neighbour"), "{}", err.message);
}

#[test]
fn other_members_are_not_found_whether_they_exist_or_not() {
    let w = World::sqlite();
    let app = w.app();
    let alice = viewer(&w, "h1");
    let existing = app.member_live(&alice, Some(w.members[1])).unwrap_err();
    let missing = app
        .member_live(&alice, Some(domain::MemberId::new(9999)))
        .unwrap_err();
    assert_eq!(existing.kind, Kind::NotFound);
    assert_eq!(missing.kind, Kind::NotFound);
    assert_eq!(
        existing.message.replace(&w.members[1].to_string(), "N"),
        missing.message.replace("9999", "N")
    );
}

fn writer(app: &App, token: &str) -> Writer {
    let (token_id, scope) = app.token_scope(token).unwrap();
    Writer { token_id, scope }
}

fn sp(key: &str, line: usize, ts_ms: i64, value: f64) -> SeriesPoint {
    SeriesPoint {
        series_key: Arc::from(key),
        line,
        unit: Unit::Watt,
        point: Point { ts_ms, value },
        on_change: false,
    }
}

#[test]
fn a_huge_value_is_refused_and_poisons_nothing() {
    let w = World::sqlite();
    let app = w.app();
    let before = w.store.read(|tx| tx.totals().stored(w.community)).unwrap();
    let outcome = app
        .record(
            writer(&app, &w.meter_tokens[0]),
            vec![
                sp("h1c", 1, NOW_MS - 8000, 1e300),
                sp("h1c", 2, NOW_MS, 400.0),
            ],
        )
        .unwrap();
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].line, 1);
    assert!(
        outcome.rejected[0].reason.contains("physical limit"),
        "{:?}",
        outcome.rejected
    );
    let after = w.store.read(|tx| tx.totals().stored(w.community)).unwrap();
    assert!(
        after.values().all(|(e, _)| *e < 1_000_000_000),
        "{after:?} (before {before:?})"
    );
}

#[test]
fn a_meter_token_cannot_squat_another_meters_series() {
    let w = World::sqlite();
    let app = w.app();
    // Meter 1's token sends "h2c", household 2's series name: it gets a channel of its own.
    let out = app
        .record(
            writer(&app, &w.meter_tokens[0]),
            vec![sp("h2c", 1, NOW_MS, 10.0)],
        )
        .unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let on_meter_1 = w
        .store
        .read(|tx| tx.channels().named(w.community, Some(w.meters[0]), "h2c"))
        .unwrap()
        .unwrap();
    assert_ne!(on_meter_1.id, w.consumption[1]);
    // Household 2's own meter still writes its own channel.
    let out = app
        .record(
            writer(&app, &w.meter_tokens[1]),
            vec![sp("h2c", 1, NOW_MS, 20.0)],
        )
        .unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let own = w
        .store
        .read(|tx| tx.points().last(w.consumption[1], 1, i64::MAX))
        .unwrap();
    assert_eq!(own[0].value, 20.0);
    // The community token no longer knows which one is meant, and says so.
    let out = app
        .record(
            writer(&app, &w.community_token),
            vec![sp("h2c", 3, NOW_MS, 5.0)],
        )
        .unwrap();
    assert!(
        out.rejected[0].reason.contains("meter's own token"),
        "{:?}",
        out.rejected
    );
}

#[test]
fn one_series_in_two_units_never_shares_a_channel() {
    // Home Assistant, its sensor's unit changed from W to kWh mid-batch: the channel measures
    // watts, the lines in Wh are refused by number, the others stored.
    let w = World::sqlite();
    let app = w.app();
    let mut wh = sp("sensor.plug", 2, NOW_MS - 60_000, 12.0);
    wh.unit = Unit::WattHour;
    let out = app
        .record(
            writer(&app, &w.community_token),
            vec![
                sp("sensor.plug", 1, NOW_MS - 120_000, 40.0),
                wh,
                sp("sensor.plug", 3, NOW_MS, 42.0),
            ],
        )
        .unwrap();
    assert_eq!(out.rejected.len(), 1, "{:?}", out.rejected);
    assert_eq!(out.rejected[0].line, 2);
    assert!(
        out.rejected[0].reason.contains("unit Wh"),
        "{}",
        out.rejected[0].reason
    );
    let channels = w
        .store
        .read(|tx| tx.channels().by_key(w.community, "sensor.plug"))
        .unwrap();
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].unit, Unit::Watt);
    let points = w
        .store
        .read(|tx| tx.points().range(channels[0].id, 0, i64::MAX))
        .unwrap();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    assert_eq!(values, [40.0, 42.0]);
}

#[test]
fn series_names_and_new_series_are_bounded() {
    let w = World::sqlite();
    let mut settings = w.settings();
    settings.new_series_per_hour = 3;
    let app = w.app_with(settings);
    let long = "x".repeat(1 << 20);
    let points = vec![
        sp(&long, 1, NOW_MS, 1.0),
        sp("nul\0byte", 2, NOW_MS, 1.0),
        sp("new-a", 3, NOW_MS, 1.0),
        sp("new-b", 4, NOW_MS, 1.0),
        sp("new-c", 5, NOW_MS, 1.0),
        sp("new-d", 6, NOW_MS, 1.0),
    ];
    let out = app
        .record(writer(&app, &w.community_token), points)
        .unwrap();
    let lines: Vec<usize> = out.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![1, 2, 6], "{:?}", out.rejected);
    assert!(out.rejected[0].reason.contains("bytes long"));
    assert!(out.rejected[1].reason.contains("control character"));
    assert!(out.rejected[2].reason.contains("new series this hour"));
}

#[test]
fn meters_without_a_clock_and_the_future_are_refused_live() {
    let w = World::sqlite();
    let app = w.app();
    let out = app
        .record(
            writer(&app, &w.meter_tokens[0]),
            vec![
                sp("h1c", 1, 1_000_000_000_000, 1.0),
                sp("h1c", 2, NOW_MS + 3_600_000, 1.0),
                sp("h1c", 3, NOW_MS, 1.0),
            ],
        )
        .unwrap();
    let reasons: Vec<&str> = out.rejected.iter().map(|e| e.reason.as_str()).collect();
    assert!(
        reasons[0].contains("clock is not set") && reasons[1].contains("future"),
        "{reasons:?}"
    );
    assert_eq!(out.written.points, 1);
}

#[test]
fn imports_refuse_future_quarter_hours_and_read_millisecond_epochs() {
    let w = World::sqlite();
    let app = w.app();
    let slots = format!(
        "timestamp,value\n{},0.1\n{},0.1\n{},0.1\n",
        DAY_START_MS,                           // milliseconds: read as such
        Slot::containing_ms(NOW_MS).start_ms(), // the quarter-hour in progress
        NOW_MS + 86_400_000                     // tomorrow
    );
    let options = ImportOptions {
        format: ImportFormat::Slots {
            channel: "cabine2".into(),
            kind: ChannelKind::Cabin,
        },
        mapping: ColumnMapping::default(),
        meter_id: None,
        interval_ms: None,
    };
    let s = app.import_csv(&slots, &options, &mut |_, _| {}).unwrap();
    assert_eq!(s.imported, 1, "{:?}", s.rejected);
    let lines: Vec<usize> = s.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4]);
    let channel = w
        .store
        .read(|tx| tx.channels().named(w.community, None, "cabine2"))
        .unwrap()
        .unwrap();
    let stored = w
        .store
        .read(|tx| tx.intervals().first_slot(channel.id))
        .unwrap()
        .unwrap();
    assert_eq!(stored.start_ms(), DAY_START_MS, "2024, not the year 56 000");
}

#[test]
fn a_coordinator_account_is_created_with_the_password_rule() {
    let w = World::sqlite();
    let app = w.app();
    let err = app
        .add_user("x", "X", Role::Coordinator, None, "fr", "short")
        .unwrap_err();
    assert!(err.message.contains("at least 10"), "{}", err.message);
    let err = app
        .add_user("y", "Y", Role::Resident, None, "fr", "long enough!")
        .unwrap_err();
    assert!(err.message.contains("--member"), "{}", err.message);
    app.add_user(
        " Dupont ",
        "Dupont",
        Role::Coordinator,
        None,
        "fr",
        "long enough!",
    )
    .unwrap();
    assert!(app
        .login(
            "DUPONT",
            "long enough!",
            &app::auth::Client {
                address: "t".into(),
                device: None
            }
        )
        .is_ok());
    let (id, _) = app
        .create_token(TokenScope::CommunityWrite, "gateway")
        .unwrap();
    assert!(app
        .list_tokens()
        .unwrap()
        .iter()
        .any(|t| t.id == id && t.label == "gateway"));
    app.revoke_token(id).unwrap();
    assert_eq!(app.revoke_token(id).unwrap_err().kind, Kind::NotFound);
}

#[test]
fn energies_per_interval_import_as_given_and_wrong_units_are_named() {
    let w = World::sqlite();
    let app = w.app();
    // Five-minute energies in kWh, stamped at the end of their interval (an inverter's log):
    // 00:05 … 00:30 UTC, the last one in a quarter-hour not yet ended at 00:20.
    w.clock.set(1_714_522_800_000); // 2024-05-01 00:20 UTC
    let text = "time,energy\n\
                2024-05-01T00:05:00Z,0.021\n\
                2024-05-01T00:10:00Z,0.022\n\
                2024-05-01T00:15:00Z,0.0235\n\
                2024-05-01T00:15:00Z,0.5\n\
                2024-05-01T00:20:00Z,0.001\n";
    let options = |meaning, unit: &str| ImportOptions {
        format: ImportFormat::Points {
            channel: "inverter".into(),
            scale: ingest::units::parse(unit).unwrap(),
            kind: ChannelKind::Production,
            meaning,
        },
        mapping: ColumnMapping::default(),
        meter_id: Some(w.meters[0]),
        interval_ms: None,
    };
    let err = app
        .import_csv(text, &options(Meaning::EnergyEnding, "kW"), &mut |_, _| {})
        .unwrap_err();
    assert!(err.message.contains("energy unit"), "{}", err.message);
    let err = app
        .import_csv(text, &options(Meaning::MeanEnding, "kWh"), &mut |_, _| {})
        .unwrap_err();
    assert!(err.message.contains("power unit"), "{}", err.message);

    let summary = app
        .import_csv(text, &options(Meaning::EnergyEnding, "kWh"), &mut |_, _| {})
        .unwrap();
    let lines: Vec<usize> = summary.rejected.iter().map(|e| e.line).collect();
    // Line 5 repeats line 4's interval; line 6's quarter-hour (00:15–00:30) has not ended.
    assert_eq!(lines, [5, 6], "{:?}", summary.rejected);
    assert!(summary.rejected[0]
        .reason
        .contains("overlaps the one of line 4"));
    let channel = w
        .store
        .read(|tx| {
            tx.channels()
                .named(w.community, Some(w.meters[0]), "inverter")
        })
        .unwrap()
        .unwrap();
    assert_eq!(channel.unit, Unit::Watt, "the curve is in W");
    let first = Slot::containing_ms(1_714_521_600_000);
    let q = w
        .store
        .read(|tx| tx.intervals().best(channel.id, first, first.next().next()))
        .unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].energy_mwh, 21_000 + 22_000 + 23_500);
    assert!(!q[0].from_points, "the file's energy, not a curve's");
}

#[test]
fn home_assistant_s_change_driven_writes_are_not_gaps() {
    let w = World::sqlite();
    let app = w.app();
    // An hour of a steady 2,000 W load as Home Assistant writes it: at 10:00, a 1 W change
    // at 10:37, and 0 W at 11:00 when it stops. The same readings sent by a sampling meter.
    let t0 = NOW_MS - 2 * 3_600_000;
    let at = |min: i64, value: f64, key: &str, on_change: bool| SeriesPoint {
        on_change,
        ..sp(key, 1, t0 + min * 60_000, value)
    };
    let batch = |key: &str, on_change: bool| {
        vec![
            at(0, 2000.0, key, on_change),
            at(37, 2001.0, key, on_change),
            at(60, 0.0, key, on_change),
        ]
    };
    let mut points = batch("sensor.heater", true);
    points.extend(batch("heater-sampled", false));
    let out = app
        .record(writer(&app, &w.community_token), points)
        .unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let energy = |key: &str| {
        let ch = w
            .store
            .read(|tx| tx.channels().by_key(w.community, key))
            .unwrap()
            .remove(0);
        let first = Slot::containing_ms(t0);
        let q = w
            .store
            .read(|tx| {
                tx.intervals()
                    .best(ch.id, first, Slot::from_index(first.index() + 8))
            })
            .unwrap();
        (
            ch.sampling,
            q.iter().map(|i| i.energy_mwh).sum::<i64>(),
            q.len(),
        )
    };
    // 2,000 Wh, and 23 minutes of 1 W more: 2,000.383 Wh in four full quarter-hours.
    assert_eq!(
        energy("sensor.heater"),
        (
            domain::Sampling::OnChange { hold_ms: 3_600_000 },
            2_000_383,
            4
        )
    );
    // Sampled, those readings are further apart than the gap limit: nothing is measured.
    assert_eq!(energy("heater-sampled"), (domain::Sampling::Sampled, 0, 0));
}
