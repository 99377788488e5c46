//! The InfluxDB client libraries households already run, unchanged, against a served
//! community: Python's `influxdb` 5.3 (what Home Assistant uses for API v1) drives Home
//! Assistant's set-up checks and writes, `influxdb-client` (API v2) pings and writes, and what
//! they wrote is read back from the store.
//! `.ci/run` installs the library in `target/pyenv`; `VOISINS_PYTHON` names another Python.

mod common;

use common::*;

/// A Python that can import `module` (a client library from PyPI).
fn python_with(module: &str) -> Option<std::path::PathBuf> {
    let python = std::env::var_os("VOISINS_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv/bin/python")
        });
    let has = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        return Some(python);
    }
    assert!(
        !testkit::services_required(),
        "Python's {module} is required: python3 -m venv target/pyenv && target/pyenv/bin/pip install influxdb==5.3.2 influxdb-client==1.50.0"
    );
    eprintln!("Python's {module} missing: skipped");
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

/// A community with one community-wide write token, served; the store's path for reading back.
fn served(
    name: &str,
) -> (
    TempDir,
    Server,
    u16,
    String,
    domain::CommunityId,
    std::path::PathBuf,
) {
    let dir = TempDir::new(name);
    let port = free_port();
    let config = write_config_with(dir.path(), port, "");
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
    (dir, server, port, token, community, db)
}

fn run_python(python: &std::path::Path, script: &str, args: &[String]) -> serde_json::Value {
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

/// The points of the channel whose series key contains `name`, as (ms, W).
fn stored(
    db: &std::path::Path,
    community: domain::CommunityId,
    name: &str,
    from_s: i64,
) -> Vec<(i64, f64)> {
    let store = store::Store::open_sqlite(db, store::StoreSettings::default()).unwrap();
    let channels = store.read(|tx| tx.channels().list(community)).unwrap();
    let ch = channels
        .iter()
        .find(|c| c.series_key.as_str().contains(name))
        .unwrap_or_else(|| panic!("the series {name} is stored: {channels:?}"));
    assert_eq!(ch.unit, domain::Unit::Watt);
    store
        .read(|tx| {
            tx.points()
                .range(ch.id, from_s * 1000, (from_s + 70) * 1000)
        })
        .unwrap()
        .iter()
        .map(|p| (p.ts_ms, p.value))
        .collect()
}

#[test]
fn home_assistant_s_influxdb_v1_client_sets_up_and_writes_unchanged() {
    let Some(python) = python_with("influxdb") else {
        return;
    };
    let (_dir, _server, port, token, community, db) = served("influx-v1");
    let t0 = jiff::Timestamp::now().as_second() / 60 * 60 - 600;
    let seen = run_python(
        &python,
        HOME_ASSISTANT_V1,
        &[port.to_string(), token, t0.to_string()],
    );
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
    let want: Vec<(i64, f64)> = (0..7).map(|i| ((t0 + 10 * i) * 1000, 1200.0)).collect();
    assert_eq!(stored(&db, community, "salon_power", t0), want);
}

const CLIENT_V2: &str = r#"
import json, sys
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
port, token, t0 = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
url = "http://127.0.0.1:%d" % port
client = InfluxDBClient(url=url, token=token, org="voisins", timeout=10000)
out = {"ping": client.ping(), "health": client.health().status, "ready": client.ready().status}
lines = ["W,domain=sensor,entity_id=kitchen_power value=800 %d" % (t0 + 10 * i) for i in range(7)]
client.write_api(write_options=SYNCHRONOUS).write(bucket="home_assistant", record=lines, write_precision="s")
out["written"] = True
bad = InfluxDBClient(url=url, token="wrong", org="voisins", timeout=10000)
try:
    bad.write_api(write_options=SYNCHRONOUS).write(bucket="home_assistant", record=lines[0], write_precision="s")
    out["wrong"] = "accepted"
except ApiException as e:
    out["wrong"] = e.status
    out["wrong_body"] = json.loads(e.body)
print(json.dumps(out))
"#;

#[test]
fn influxdb_client_for_api_v2_pings_and_writes_unchanged() {
    let Some(python) = python_with("influxdb_client") else {
        return;
    };
    let (_dir, _server, port, token, community, db) = served("influx-v2");
    let t0 = jiff::Timestamp::now().as_second() / 60 * 60 - 600;
    let seen = run_python(
        &python,
        CLIENT_V2,
        &[port.to_string(), token, t0.to_string()],
    );
    assert_eq!(seen["ping"], true, "{seen}");
    assert_eq!(seen["health"], "pass", "{seen}");
    assert_eq!(seen["ready"], "ready", "{seen}");
    assert_eq!(seen["written"], true);
    assert_eq!(seen["wrong"], 401, "{seen}");
    assert_eq!(seen["wrong_body"]["code"], "unauthorized", "{seen}");
    let want: Vec<(i64, f64)> = (0..7).map(|i| ((t0 + 10 * i) * 1000, 800.0)).collect();
    assert_eq!(stored(&db, community, "kitchen_power", t0), want);
}
