//! The InfluxDB client libraries households already run, unchanged, against a served
//! community: Python's `influxdb` 5.3 (what Home Assistant uses for API v1) drives Home
//! Assistant's set-up checks and writes, and what it wrote is read back from the store.
//! `.ci/run` installs the library in `target/pyenv`; `VOISINS_PYTHON` names another Python.

mod common;

use common::*;

fn python_with_influxdb() -> Option<std::path::PathBuf> {
    let python = std::env::var_os("VOISINS_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv/bin/python")
        });
    let has = std::process::Command::new(&python)
        .args(["-c", "import influxdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        return Some(python);
    }
    assert!(
        !testkit::services_required(),
        "Python's influxdb client is required: python3 -m venv target/pyenv && target/pyenv/bin/pip install influxdb==5.3.2"
    );
    eprintln!("Python's influxdb client missing: skipped");
    None
}

const HOME_ASSISTANT_V1: &str = r#"
import json, sys
from influxdb import InfluxDBClient
port, token, t0 = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
client = InfluxDBClient(host="127.0.0.1", port=port, username="homeassistant", password=token,
                        database="home_assistant", timeout=10)
out = {"version": client.ping()}
# Home Assistant's connection test at set-up: an empty write, then a read for the sensor platform.
client.write_points([])
out["series"] = client.query("SHOW SERIES LIMIT 1;").raw
client.create_database("home_assistant")
out["databases"] = [d["name"] for d in client.get_list_database()]
# A minute of a steady 1,200 W load, every 10 s, as Home Assistant shapes its points.
points = [{"measurement": "W", "tags": {"domain": "sensor", "entity_id": "salon_power"},
           "time": (t0 + 10 * i) * 1000000000, "fields": {"value": 1200.0}} for i in range(7)]
# A text sensor in the same batch: string fields only, valid line protocol.
points.append({"measurement": "state", "tags": {"domain": "sensor", "entity_id": "washer_status"},
               "time": t0 * 1000000000, "fields": {"state": "running", "friendly_name_str": "Washer"}})
out["written"] = client.write_points(points)
try:
    client.query("SELECT * FROM W")
    out["select"] = "answered"
except Exception as e:
    out["select"] = str(e)
wrong = InfluxDBClient(host="127.0.0.1", port=port, username="homeassistant", password="wrong",
                       database="home_assistant", timeout=10)
try:
    wrong.write_points(points)
    out["wrong"] = "accepted"
except Exception as e:
    out["wrong"] = getattr(e, "code", str(e))
print(json.dumps(out))
"#;

#[test]
fn home_assistant_s_influxdb_v1_client_sets_up_and_writes_unchanged() {
    let Some(python) = python_with_influxdb() else {
        return;
    };
    let dir = TempDir::new("influx-clients");
    let port = free_port();
    let config = write_config_with(dir.path(), port, "[ingest]\nseries_tag = \"entity_id\"");
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let db = dir.path().join("data/voisins.db");
    let token = app::auth::new_secret();
    let community = {
        let store = store::Store::open_sqlite(&db, store::StoreSettings::default()).unwrap();
        store
            .write(|tx| {
                let c = tx
                    .communities()
                    .create("Test", "Europe/Brussels", 300_000)?;
                tx.tokens().create(
                    &app::auth::secret_hash(&token),
                    c,
                    domain::TokenScope::CommunityWrite,
                    "home assistant",
                    0,
                )?;
                Ok(c)
            })
            .unwrap()
    };
    let mut server = start_server(&config, &dir.path().join("server.log"));
    wait_healthy(port, &mut server);
    let t0 = jiff::Timestamp::now().as_second() / 60 * 60 - 600;
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            HOME_ASSISTANT_V1,
            &port.to_string(),
            &token,
            &t0.to_string(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["version"], "1.8.10", "{seen}");
    assert_eq!(
        seen["databases"],
        serde_json::json!(["voisins", "home_assistant"])
    );
    assert_eq!(seen["written"], true);
    assert!(
        seen["select"]
            .as_str()
            .unwrap()
            .contains("Voisins only receives data"),
        "{seen}"
    );
    assert_eq!(
        seen["wrong"], 401,
        "a wrong token reads as an authentication failure"
    );
    // What was stored: the seven readings of one channel, at their times, in W.
    let store = store::Store::open_sqlite(&db, store::StoreSettings::default()).unwrap();
    let channels = store.read(|tx| tx.channels().list(community)).unwrap();
    let salon = channels
        .iter()
        .find(|c| c.series_key.as_str().contains("salon_power"))
        .unwrap_or_else(|| panic!("the series is stored: {channels:?}"));
    assert_eq!(salon.unit, domain::Unit::Watt);
    let points = store
        .read(|tx| tx.points().range(salon.id, t0 * 1000, (t0 + 70) * 1000))
        .unwrap();
    let got: Vec<(i64, f64)> = points.iter().map(|p| (p.ts_ms, p.value)).collect();
    let want: Vec<(i64, f64)> = (0..7).map(|i| ((t0 + 10 * i) * 1000, 1200.0)).collect();
    assert_eq!(got, want);
}
