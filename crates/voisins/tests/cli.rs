//! The command line: the example configuration, CSV import with bad rows, generation.

mod common;

use common::*;
use domain::{Provenance, Slot};
use store::{Store, StoreSettings};

#[test]
fn config_example_is_printed_and_valid() {
    let out = voisins().args(["config", "example"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[store]") && text.contains("max_gap_minutes"));
    let dir = TempDir::new("config");
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &text).unwrap();
    let check = voisins()
        .args(["config", "check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    std::fs::write(&path, "[community]\ntimezone = \"Nowhere/City\"\n").unwrap();
    let bad = voisins()
        .args(["config", "check", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Nowhere/City"));
}

#[test]
fn grid_csv_import_reports_bad_rows_keeps_good_ones_and_is_idempotent() {
    let dir = TempDir::new("import");
    let config = write_config(dir.path(), free_port());
    let csv = dir.path().join("sibelga.csv");
    std::fs::write(
        &csv,
        "Date de début;Heure de début;Code EAN;Registre;Volume;Statut\n\
         01/05/2024;00:00;541448800000000001;Prélèvement jour;0,250;Réel\n\
         01/05/2024;00:15;541448800000000001;Prélèvement jour;0,300;Estimé\n\
         01/05/2024;00:30;541448800000000001;Prélèvement jour;-1;Réel\n\
         01/05/2024;00:45;541448800000000001;Injection jour;0,100;Réel\n\
         01/05/2024;01:00;541448800000000001;Prélèvement jour;0,200;Bizarre\n",
    )
    .unwrap();
    let meter = {
        let out = voisins()
            .args(["meter", "add", "--config"])
            .arg(&config)
            .args(["--name", "EAN 0001"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .trim_start_matches("meter ")
            .to_string()
    };
    for round in 0..2 {
        let out = voisins()
            .args(["import", "csv"])
            .arg(&csv)
            .arg("--config")
            .arg(&config)
            .args(["--meter", &meter])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.status.success(),
            "bad rows make the command fail (round {round})"
        );
        assert!(
            stdout.contains("5 rows, 3 imported, 0 skipped, 2 rejected"),
            "{stdout}"
        );
        assert!(
            stdout.contains("sibelga.csv:4: negative volume"),
            "{stdout}"
        );
        assert!(
            stdout.contains("sibelga.csv:6: unknown validation status 'Bizarre'"),
            "{stdout}"
        );
    }
    let store = Store::open_sqlite(
        &dir.path().join("data/voisins.db"),
        StoreSettings::default(),
    )
    .unwrap();
    let c = store.communities().unwrap()[0].id;
    let import = store
        .channel_by_key(c, "541448800000000001-import")
        .unwrap()
        .unwrap();
    let first = Slot::containing_ms(1_714_514_400_000); // 2024-05-01 00:00 CEST
    let intervals = store
        .intervals(import.id, first, Slot::from_index(first.index() + 8))
        .unwrap();
    assert_eq!(
        intervals.len(),
        2,
        "imported once, even when imported twice"
    );
    assert_eq!(
        (intervals[0].energy_wh, intervals[0].provenance),
        (250.0, Provenance::Settled)
    );
    assert_eq!(
        (intervals[1].energy_wh, intervals[1].provenance),
        (300.0, Provenance::Estimated)
    );
    let export = store
        .channel_by_key(c, "541448800000000001-export")
        .unwrap()
        .unwrap();
    assert_eq!(export.kind(), Some(domain::ChannelKind::GridExport));
}

#[test]
fn generate_writes_the_benchmark_format() {
    let dir = TempDir::new("generate");
    let out = dir.path().join("g.lp");
    let status = voisins()
        .args([
            "generate",
            "--households",
            "2",
            "--days",
            "1",
            "--step-seconds",
            "900",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 96 * 3);
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("power,sensor=h001c value="));
}
