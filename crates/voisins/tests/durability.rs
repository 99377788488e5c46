//! A server killed with SIGKILL while clients write loses nothing it acknowledged, and opens
//! again on the same store. Every wait has a deadline.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use domain::TokenScope;
use store::{Store, StoreSettings};

const T0_MS: i64 = 1_714_521_600_000;
const BATCH: i64 = 500;

fn batch_body(batch: i64) -> String {
    let mut body = String::new();
    for i in 0..BATCH {
        let n = batch * BATCH + i;
        let ts_ns = (T0_MS + n * 1000) * 1_000_000;
        body.push_str(&format!(
            "power,sensor=dur{} value={}i {ts_ns}\n",
            batch % 3,
            100 + n % 50
        ));
    }
    body
}

#[test]
fn acknowledged_points_survive_sigkill() {
    let deadline = Instant::now() + Duration::from_secs(180);
    let dir = TempDir::new("durability");
    let port = free_port();
    let config = write_config(dir.path(), port);
    let token = {
        let store = Store::open_sqlite(
            &dir.path().join("data/voisins.db"),
            StoreSettings::default(),
        )
        .unwrap();
        let c = store
            .write(|tx| {
                tx.communities()
                    .create("Durable", "Europe/Brussels", 300_000)
            })
            .unwrap();
        let t = app::auth::new_secret();
        store
            .write(|tx| {
                tx.tokens().create(
                    &app::auth::secret_hash(&t),
                    c,
                    TokenScope::CommunityWrite,
                    "test",
                    0,
                )
            })
            .unwrap();
        t
    };
    let mut server = start_server(&config, &dir.path().join("server1.log"));
    wait_healthy(port, &mut server);

    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (acked, stop, token) = (acked.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(10))
                    .build();
                let mut batch = client;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let reply = agent
                        .post(&format!("http://127.0.0.1:{port}/write"))
                        .set("Authorization", &format!("Token {token}"))
                        .send_string(&batch_body(batch));
                    match reply {
                        Ok(r) if r.status() == 204 => acked.lock().unwrap().push(batch),
                        _ => return, // the server is gone
                    }
                    batch += 2;
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 30 {
        before(deadline, "waiting for 30 acknowledged batches");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.0.kill().unwrap(); // SIGKILL, mid-stream
    server.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    // Restart on the same store: it opens, recovers and serves.
    let mut server = start_server(&config, &dir.path().join("server2.log"));
    wait_healthy(port, &mut server);
    drop(server);

    let store = Store::open_sqlite(
        &dir.path().join("data/voisins.db"),
        StoreSettings::default(),
    )
    .unwrap();
    let community = store.read(|tx| tx.communities().list()).unwrap()[0].id;
    let mut stored = std::collections::HashSet::new();
    for k in 0..3 {
        let ch = store
            .read(|tx| tx.channels().named(community, None, &format!("dur{k}")))
            .unwrap()
            .unwrap();
        for p in store
            .read(|tx| tx.points().range(ch.id, 0, i64::MAX))
            .unwrap()
        {
            stored.insert(p.ts_ms);
        }
    }
    let mut missing = 0;
    for batch in &acked {
        for i in 0..BATCH {
            if !stored.contains(&(T0_MS + (batch * BATCH + i) * 1000)) {
                missing += 1;
            }
        }
    }
    assert_eq!(
        missing,
        0,
        "{missing} acknowledged points lost out of {} batches",
        acked.len()
    );
    testkit::assert_totals_consistent(
        &store,
        community,
        "totals follow the quarter-hours after the crash",
    );
}
