//! Real measured data: a month of one-minute readings of a household near Paris (UCI
//! "Individual household electric power consumption", CC BY 4.0), imported through the generic
//! CSV path. The three minutes the packager filled in are skipped and must show as gaps.

use std::sync::Arc;

use app::import::{ImportFormat, ImportOptions, Meaning};
use app::ports::ManualClock;
use app::{App, Settings};
use domain::{ChannelKind, Slot};
use ingest::csv::ColumnMapping;
use testkit::TestStore;

fn data_file() -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/uci_household_2007-01_1min.csv");
    path.exists().then_some(path)
}

#[test]
fn a_real_month_imports_with_its_gaps() {
    let Some(path) = data_file() else {
        assert!(!testkit::services_required(), "../shared/data is missing");
        eprintln!("shared data not found: skipped");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let store = TestStore::sqlite("uci");
    // A 90 s bridge: one missing minute (two readings 120 s apart) is a gap.
    let (community, meter) = store
        .write(|tx| {
            let c = tx.communities().create("Sceaux", "Europe/Paris", 90_000)?;
            let m = tx.meters().add(c, None, "uci")?;
            Ok((c, m))
        })
        .unwrap();
    let app = App::new(
        store.store.clone(),
        Arc::new(ManualClock::new(1_714_557_600_000)),
        Settings::new(community),
    );
    let options = ImportOptions {
        format: ImportFormat::Points {
            channel: "uci".into(),
            scale: ingest::units::parse("kW").unwrap(),
            kind: ChannelKind::Consumption,
            meaning: Meaning::Sample,
        },
        mapping: ColumnMapping::parse(
            "timestamp=date_time,value=Global_active_power,skip_if=imputed_copy_of_prev_day:True",
        )
        .unwrap(),
        meter_id: Some(meter),
        interval_ms: None,
    };
    let summary = app.import_csv(&text, &options, &mut |_, _| {}).unwrap();
    assert_eq!(summary.rows, 44_640, "31 days of minutes");
    assert_eq!(summary.skipped, 3, "the imputed minutes");
    assert!(
        summary.rejected.is_empty(),
        "{:?}",
        &summary.rejected[..summary.rejected.len().min(5)]
    );
    assert_eq!(summary.imported, 44_637);

    let channel = store
        .read(|tx| tx.channels().named(community, Some(meter), "uci"))
        .unwrap()
        .unwrap();
    assert_eq!(channel.kind(), Some(ChannelKind::Consumption));
    assert_eq!(
        store
            .read(|tx| tx.meters().get(meter))
            .unwrap()
            .last_contact_ms,
        None,
        "an import of 2007 does not make the meter look alive"
    );
    // 2007-01-01 00:00 Paris = 2006-12-31T23:00Z; the month has 31 × 96 quarter-hours.
    let first = Slot::containing_ms(1_167_606_000_000);
    let end = Slot::from_index(first.index() + 31 * 96);
    let intervals = store
        .read(|tx| tx.intervals().best(channel.id, first, end))
        .unwrap();
    let total_kwh: f64 = intervals.iter().map(|i| i.energy_mwh).sum::<i64>() as f64 / 1e6;
    // Minute means summed as rectangles, for comparison with our trapezoids.
    let rectangles_kwh: f64 = text
        .lines()
        .skip(1)
        .filter(|l| l.ends_with("False"))
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap() / 60.0)
        .sum();
    assert!(
        (total_kwh - rectangles_kwh).abs() / rectangles_kwh < 0.005,
        "{total_kwh} kWh vs {rectangles_kwh} kWh"
    );
    // 2007-01-14 18:36 Paris (17:36Z) was imputed: its quarter-hour misses the 120 s around it.
    let gap = Slot::containing_ms(1_168_796_160_000);
    let q = store
        .read(|tx| tx.intervals().best(channel.id, gap, gap.next()))
        .unwrap()[0];
    assert_eq!(q.covered_ms, 780_000, "{q:?}");
}

#[test]
fn minute_means_import_to_their_exact_energy() {
    let Some(path) = data_file() else {
        assert!(!testkit::services_required(), "../shared/data is missing");
        eprintln!("shared data not found: skipped");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let store = TestStore::sqlite("uci-means");
    let (community, meter) = store
        .write(|tx| {
            let c = tx.communities().create("Sceaux", "Europe/Paris", 90_000)?;
            let m = tx.meters().add(c, None, "uci")?;
            Ok((c, m))
        })
        .unwrap();
    let app = App::new(
        store.store.clone(),
        Arc::new(ManualClock::new(1_714_557_600_000)),
        Settings::new(community),
    );
    // Global_active_power is the mean of the minute that starts at the row's time.
    let options = ImportOptions {
        format: ImportFormat::Points {
            channel: "uci".into(),
            scale: ingest::units::parse("kW").unwrap(),
            kind: ChannelKind::Consumption,
            meaning: Meaning::MeanStarting,
        },
        mapping: ColumnMapping::parse(
            "timestamp=date_time,value=Global_active_power,skip_if=imputed_copy_of_prev_day:True",
        )
        .unwrap(),
        meter_id: Some(meter),
        interval_ms: None,
    };
    let summary = app.import_csv(&text, &options, &mut |_, _| {}).unwrap();
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    assert_eq!(summary.imported, 44_637);

    // The same figures from the rows alone: each minute's kW as an integer of W (the file has
    // at most three decimals), summed per quarter-hour; energy = ΣW × 1 min = ΣW × 50/3 mWh,
    // rounded to the mWh (a third never ties).
    let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let mut expected: std::collections::BTreeMap<Slot, (i64, i64)> = Default::default();
    for row in text.lines().skip(1).filter(|l| l.ends_with("False")) {
        let cells: Vec<&str> = row.split(',').collect();
        let start = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", cells[0])
            .unwrap()
            .to_zoned(paris.clone())
            .unwrap()
            .timestamp()
            .as_millisecond();
        let (whole, decimals) = cells[1].split_once('.').unwrap_or((cells[1], ""));
        let watts: i64 = format!("{whole}{decimals:0<3}").parse().unwrap();
        let e = expected.entry(Slot::containing_ms(start)).or_default();
        e.0 += watts;
        e.1 += 60_000;
    }
    let channel = store
        .read(|tx| tx.channels().named(community, Some(meter), "uci"))
        .unwrap()
        .unwrap();
    let first = *expected.keys().next().unwrap();
    let end = expected.keys().next_back().unwrap().next();
    let stored: std::collections::BTreeMap<Slot, (i64, i64)> = store
        .read(|tx| tx.intervals().best(channel.id, first, end))
        .unwrap()
        .into_iter()
        .map(|i| (i.slot, (i.energy_mwh, i.covered_ms)))
        .collect();
    assert_eq!(stored.len(), 31 * 96);
    for (slot, (sum_w, covered_ms)) in &expected {
        let mwh = (50 * sum_w + 1) / 3;
        assert_eq!(stored[slot], (mwh, *covered_ms), "{slot:?}");
    }
    // The imputed minute (2007-01-14 18:36 Paris) is a minute less in its quarter-hour.
    let gap = Slot::containing_ms(1_168_796_160_000);
    assert_eq!(stored[&gap].1, 14 * 60_000);
}
