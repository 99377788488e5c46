//! The command line as an operator uses it: the example configuration and its check, CSV
//! import with bad rows, generation, the administration commands, plain-word errors, and a
//! damaged store reported at start.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::*;
use domain::{ChannelKind, Provenance, Slot};
use store::{Store, StoreSettings};

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out: Output = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn with_config(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = voisins();
    cmd.arg("--config").arg(config).args(args);
    run(&mut cmd)
}

#[test]
fn config_example_is_printed_and_checked() {
    let (ok, text, _) = run(voisins().args(["config", "example"]));
    assert!(ok && text.contains("[store]") && text.contains("max_gap_minutes"));
    let dir = TempDir::new("config");
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &text).unwrap();
    let (ok, out, err) = with_config(&path, &["config", "check"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("not marked Secure"),
        "check says what is unwise: {out}"
    );
    std::fs::write(&path, "[community]\ntimezone = \"Nowhere/City\"\n").unwrap();
    let (ok, _, err) = with_config(&path, &["config", "check"]);
    assert!(!ok && err.contains("Nowhere/City"), "{err}");
    // Without --config and without voisins.toml here, the error says what to do.
    let (ok, _, err) = run(voisins().current_dir(dir.path()).args(["member", "list"]));
    assert!(
        !ok && err.contains("voisins config example > voisins.toml"),
        "{err}"
    );
}

#[test]
fn minute_means_import_from_the_command_line() {
    let dir = TempDir::new("import-means");
    let config = write_config(dir.path(), free_port());
    let csv = dir.path().join("means.csv");
    // Fifteen minute means of 1.005 kW, stamped at the end of their minute.
    let mut text = String::from("time,kw\n");
    for m in 0..15 {
        text.push_str(&format!("2024-05-01T00:{:02}:00Z,1.005\n", m + 1));
    }
    std::fs::write(&csv, text).unwrap();
    let (ok, out, err) = with_config(&config, &["meter", "add", "--name", "plug"]);
    assert!(ok, "{err}");
    let meter = out.trim().trim_start_matches("meter ").to_string();
    let (ok, stdout, stderr) = with_config(
        &config,
        &[
            "import",
            "csv",
            csv.to_str().unwrap(),
            "--format",
            "points",
            "--channel",
            "plug",
            "--unit",
            "kW",
            "--values",
            "mean-ending",
            "--meter",
            &meter,
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("15 rows, 15 imported"), "{stdout}");
    let store = Store::open_sqlite(
        &dir.path().join("data/voisins.db"),
        StoreSettings::default(),
    )
    .unwrap();
    let c = store.read(|tx| tx.communities().list()).unwrap()[0].id;
    let m = domain::MeterId::new(meter.parse().unwrap());
    let plug = store
        .read(|tx| tx.channels().named(c, Some(m), "plug"))
        .unwrap()
        .unwrap();
    let q = Slot::containing_ms(1_714_521_600_000);
    let intervals = store
        .read(|tx| tx.intervals().best(plug.id, q, q.next()))
        .unwrap();
    // 1005 W for 15 minutes: 251.25 Wh, the quarter-hour fully covered.
    assert_eq!(
        (intervals[0].energy_mwh, intervals[0].covered_ms),
        (251_250, 900_000)
    );
    let (ok, _, stderr) = with_config(
        &config,
        &[
            "import",
            "csv",
            csv.to_str().unwrap(),
            "--format",
            "points",
            "--channel",
            "plug",
            "--unit",
            "kWh",
            "--values",
            "mean-ending",
        ],
    );
    assert!(!ok && stderr.contains("power unit"), "{stderr}");
}

#[test]
fn grid_csv_import_reports_bad_rows_keeps_good_ones_and_is_idempotent() {
    let dir = TempDir::new("import");
    let config = write_config(dir.path(), free_port());
    let csv = dir.path().join("sibelga.csv");
    std::fs::write(
        &csv,
        "Date de début;Heure de début;Code EAN;Registre;Volume;Statut\n\
         01/05/2024;00:00;=\"541448800000000001\";Prélèvement jour;0,250;Réel\n\
         01/05/2024;00:15;541448800000000001;Prélèvement jour;0,300;Estimé\n\
         01/05/2024;00:30;541448800000000001;Prélèvement jour;-1;Réel\n\
         01/05/2024;00:45;541448800000000001;Injection jour;0,100;Réel\n\
         01/05/2024;01:00;541448800000000001;Prélèvement jour;0,200;Bizarre\n\
         01/05/2030;01:00;541448800000000001;Prélèvement jour;0,200;Réel\n",
    )
    .unwrap();
    let (ok, out, err) = with_config(&config, &["meter", "add", "--name", "EAN 0001"]);
    assert!(ok, "{err}");
    let meter = out.trim().trim_start_matches("meter ").to_string();
    for round in 0..2 {
        let (ok, stdout, _) = with_config(
            &config,
            &["import", "csv", csv.to_str().unwrap(), "--meter", &meter],
        );
        assert!(!ok, "bad rows make the command fail (round {round})");
        assert!(
            stdout.contains("6 rows, 3 imported, 0 skipped, 3 rejected"),
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
        assert!(
            stdout.contains("sibelga.csv:7: timestamp") && stdout.contains("future"),
            "{stdout}"
        );
    }
    let store = Store::open_sqlite(
        &dir.path().join("data/voisins.db"),
        StoreSettings::default(),
    )
    .unwrap();
    let c = store.read(|tx| tx.communities().list()).unwrap()[0].id;
    let m = domain::MeterId::new(meter.parse().unwrap());
    let import = store
        .read(|tx| tx.channels().named(c, Some(m), "541448800000000001-import"))
        .unwrap()
        .unwrap();
    let first = Slot::containing_ms(1_714_514_400_000); // 2024-05-01 00:00 CEST
    let intervals = store
        .read(|tx| {
            tx.intervals()
                .best(import.id, first, Slot::from_index(first.index() + 8))
        })
        .unwrap();
    assert_eq!(
        intervals.len(),
        2,
        "imported once, even when imported twice"
    );
    assert_eq!(
        (intervals[0].energy_mwh, intervals[0].provenance),
        (250_000, Provenance::Settled)
    );
    assert_eq!(
        (intervals[1].energy_mwh, intervals[1].provenance),
        (300_000, Provenance::Estimated)
    );
    let export = store
        .read(|tx| tx.channels().named(c, Some(m), "541448800000000001-export"))
        .unwrap()
        .unwrap();
    assert_eq!(export.kind(), Some(ChannelKind::GridExport));
    assert_eq!(
        store.read(|tx| tx.meters().get(m)).unwrap().last_contact_ms,
        None
    );
}

#[test]
fn generate_writes_the_benchmark_format() {
    let dir = TempDir::new("generate");
    let out = dir.path().join("g.lp");
    let (ok, _, err) = run(voisins()
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
        .arg(&out));
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 96 * 3);
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("power,sensor=h001c value="));
}

#[test]
fn operators_manage_members_meters_users_and_tokens() {
    let dir = TempDir::new("admin");
    let config = write_config(dir.path(), free_port());
    let (ok, out, err) = with_config(&config, &["member", "add", "--name", "Dubois", "--consent"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "member 1");
    let (ok, out, _) = with_config(
        &config,
        &["meter", "add", "--name", "flukso-1", "--member", "1"],
    );
    assert!(ok && out.trim() == "meter 1", "{out}");
    let (ok, _, err) = with_config(
        &config,
        &[
            "channel",
            "add",
            "--meter",
            "1",
            "--key",
            "h001c",
            "--kind",
            "consumption",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = with_config(&config, &["meter", "list"]);
    assert!(
        ok && out.contains("flukso-1")
            && out.contains("Dubois")
            && out.contains("h001c (consumption)")
            && out.contains("never"),
        "{out}"
    );
    // Users: the password comes from VOISINS_PASSWORD; the rule is said in plain words.
    let mut add = voisins();
    add.arg("--config").arg(&config).args([
        "user", "add", "--login", "Dubois", "--name", "Dubois", "--member", "1",
    ]);
    let (ok, _, err) = run(add.env("VOISINS_PASSWORD", "short"));
    assert!(!ok && err.contains("at least 10 characters"), "{err}");
    let (ok, out, err) = run(add.env("VOISINS_PASSWORD", "correct horse battery"));
    assert!(ok && out.contains("(dubois)"), "{out}{err}");
    // The password can also come on standard input.
    let mut passwd = voisins()
        .arg("--config")
        .arg(&config)
        .args(["user", "passwd", "dubois"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    passwd
        .stdin
        .take()
        .unwrap()
        .write_all(b"another good password\n")
        .unwrap();
    let out = passwd.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, out, _) = with_config(&config, &["user", "list"]);
    assert!(
        ok && out.contains("dubois") && out.contains("resident"),
        "{out}"
    );
    // Tokens are listed (never their secrets) and revoked by number.
    let (ok, secret, _) = with_config(
        &config,
        &["token", "create", "--meter", "1", "--label", "flukso"],
    );
    assert!(ok && secret.trim().len() == 64, "{secret}");
    let (ok, list, _) = with_config(&config, &["token", "list"]);
    assert!(
        ok && list.contains("write, meter 1")
            && list.contains("flukso")
            && !list.contains(secret.trim()),
        "{list}"
    );
    let (ok, out, _) = with_config(&config, &["token", "revoke", "1"]);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, _, err) = with_config(&config, &["token", "revoke", "1"]);
    assert!(!ok && err.contains("token 1 does not exist"), "{err}");
    let (ok, _, _) = with_config(&config, &["user", "remove", "dubois"]);
    assert!(ok);
    let (_, out, _) = with_config(&config, &["user", "list"]);
    assert!(!out.contains("dubois"), "{out}");
}

#[test]
fn errors_are_plain_words_and_help_lists_the_values() {
    let dir = TempDir::new("errors");
    let config = write_config(dir.path(), free_port());
    let (ok, _, err) = with_config(&config, &["meter", "add", "--name", "x", "--member", "99"]);
    assert!(!ok && err.contains("member 99 does not exist"), "{err}");
    assert!(
        !err.contains("FOREIGN KEY") && !err.contains("Some("),
        "{err}"
    );
    let (ok, _, err) = with_config(
        &config,
        &["member", "add", "--name", "x", "--kind", "castle"],
    );
    assert!(
        !ok && err.contains("household") && err.contains("commons"),
        "{err}"
    );
    let (_, help, _) = run(voisins().args(["channel", "assign", "--help"]));
    assert!(
        help.contains("grid-import") && help.contains("consumption"),
        "{help}"
    );
    let (ok, _, err) = with_config(
        &config,
        &[
            "channel",
            "assign",
            "--key",
            "nope",
            "--meter",
            "1",
            "--kind",
            "consumption",
        ],
    );
    assert!(!ok && err.contains("no channel is named 'nope'"), "{err}");
}

#[test]
fn a_damaged_store_is_reported_at_start_with_what_to_do() {
    let dir = TempDir::new("damaged");
    let config = write_config(dir.path(), free_port());
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let db = dir.path().join("data/voisins.db");
    std::fs::write(&db, b"").unwrap();
    let (ok, _, err) = with_config(&config, &["member", "list"]);
    assert!(
        !ok && err.contains("empty (0 bytes)") && err.contains("Remove it"),
        "{err}"
    );
    // A store whose pages were overwritten in the middle.
    std::fs::remove_file(&db).unwrap();
    let (ok, _, err) = with_config(&config, &["member", "add", "--name", "x"]);
    assert!(ok, "{err}");
    {
        let store = Store::open_sqlite(&db, StoreSettings::default()).unwrap();
        store.checkpoint().unwrap();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 16 * 1024;
    assert!(bytes.len() > 3 * page);
    for b in &mut bytes[page + 100..2 * page] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let (ok, _, err) = with_config(&config, &["member", "list"]);
    assert!(
        !ok && (err.contains("damaged") || err.contains("cannot be used"))
            && err.contains("backup"),
        "{err}"
    );
    // A file of another kind.
    std::fs::write(&db, b"this is not a database at all, just text").unwrap();
    let (ok, _, err) = with_config(&config, &["member", "list"]);
    assert!(!ok && err.contains("not a SQLite database"), "{err}");
}
