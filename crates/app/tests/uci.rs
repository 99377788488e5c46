//! Real measured data: a month of one-minute readings of a household near Paris (UCI
//! "Individual household electric power consumption", CC BY 4.0), imported through the generic
//! CSV path. The three minutes the packager filled in are skipped and must show as gaps.

use app::import::{import_csv, ImportFormat, ImportOptions};
use domain::{ChannelKind, Slot, Unit};
use ingest::csv::ColumnMapping;
use store::{Store, StoreSettings};

fn data_file() -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/uci_household_2007-01_1min.csv");
    path.exists().then_some(path)
}

#[test]
fn a_real_month_imports_with_its_gaps() {
    let Some(path) = data_file() else {
        assert!(
            std::env::var("VOISINS_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "../shared/data is missing"
        );
        eprintln!("shared data not found: skipped");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let dir = std::env::temp_dir().join(format!("voisins-uci-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_sqlite(&dir.join("v.db"), StoreSettings::default()).unwrap();
    // A 90 s bridge: one missing minute (two readings 120 s apart) is a gap.
    let community = store
        .create_community("Sceaux", "Europe/Paris", 90_000)
        .unwrap();
    let meter = store.add_meter(community, None, "uci").unwrap();
    let options = ImportOptions {
        format: ImportFormat::Points {
            channel: "uci".into(),
            unit: Unit::Watt,
            scale: 1000.0,
        },
        mapping: ColumnMapping::parse(
            "timestamp=date_time,value=Global_active_power,skip_if=imputed_copy_of_prev_day:True",
        )
        .unwrap(),
        meter_id: Some(meter),
    };
    let summary = import_csv(&store, community, &text, &options, &mut |_, _| {}).unwrap();
    assert_eq!(summary.rows, 44_640, "31 days of minutes");
    assert_eq!(summary.skipped, 3, "the imputed minutes");
    assert!(
        summary.rejected.is_empty(),
        "{:?}",
        &summary.rejected[..summary.rejected.len().min(5)]
    );
    assert_eq!(summary.imported, 44_637);

    let channel = store.channel_by_key(community, "uci").unwrap().unwrap();
    assert_eq!(channel.kind(), Some(ChannelKind::Consumption));
    // 2007-01-01 00:00 Paris = 2006-12-31T23:00Z; the month has 31 × 96 quarter-hours.
    let first = Slot::containing_ms(1_167_606_000_000);
    let end = Slot::from_index(first.index() + 31 * 96);
    let intervals = store.intervals(channel.id, first, end).unwrap();
    let total_kwh: f64 = intervals.iter().map(|i| i.energy_wh).sum::<f64>() / 1000.0;
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
    let q = store.intervals(channel.id, gap, gap.next()).unwrap()[0];
    assert!((q.coverage - 780.0 / 900.0).abs() < 1e-9, "{q:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
