//! The API against its own OpenAPI description, with schemathesis (from PyPI): every status
//! and content type documented, every error JSON, schema-valid requests accepted and others
//! refused. Run logged in as a resident (reads) and with a write token (writes), on a server
//! started the way an operator starts it.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::*;

fn schemathesis() -> Option<std::path::PathBuf> {
    let found = find_program("schemathesis");
    if found.is_none() {
        assert!(
            !testkit::services_required(),
            "schemathesis is required (pip install schemathesis)"
        );
        eprintln!("schemathesis not found: skipped");
    }
    found
}

fn run(st: &std::path::Path, dir: &std::path::Path, port: u16, header: &str, extra: &[&str]) {
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/api/schemathesis.toml");
    let out = Command::new(st)
        .current_dir(dir) // its cache of past failures stays in the test's directory
        .arg("--config-file")
        .arg(&config)
        .args([
            "--no-color",
            "run",
            &format!("http://127.0.0.1:{port}/api/v1/openapi.json"),
        ])
        .args([
            "--checks",
            "all",
            "--max-examples",
            "15",
            "--seed",
            "1",
            "-H",
            header,
        ])
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_api_conforms_to_its_description() {
    let Some(st) = schemathesis() else { return };
    let dir = TempDir::new("schemathesis");
    let port = free_port();
    let config = write_config(dir.path(), port);
    let now = app::Clock::now_ms(&app::SystemClock) / 8000 * 8000;
    let (demo, write_token) = {
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let store = Arc::new(
            store::Store::open_sqlite(
                &dir.path().join("data/voisins.db"),
                store::StoreSettings::default(),
            )
            .unwrap(),
        );
        let plan = sim::DemoPlan {
            households: 6,
            history_days: 3,
            raw_days: 1,
            step_ms: 8000,
            now_ms: now,
        };
        let demo = sim::seed(
            &store,
            &sim::Generator::new(7, 6, 0.5, 0),
            &plan,
            &mut |_, _, _| {},
        )
        .unwrap();
        let token = app::auth::new_secret();
        store
            .write(|tx| {
                tx.tokens().create(
                    &app::auth::secret_hash(&token),
                    demo.community_id,
                    domain::TokenScope::CommunityWrite,
                    "schemathesis",
                    now,
                )
            })
            .unwrap();
        (demo, token)
    };
    let mut server = start_server(&config, &dir.path().join("server.log"));
    wait_healthy(port, &mut server);
    // A resident's session, through the login form.
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let base = format!("http://127.0.0.1:{port}");
    let form = agent.get(&format!("{base}/login")).call().unwrap();
    let csrf = form
        .all("set-cookie")
        .iter()
        .find_map(|c| c.strip_prefix("voisins_login_csrf="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap();
    let account = &demo.accounts[1];
    let reply = agent
        .post(&format!("{base}/login"))
        .set("Cookie", &format!("voisins_login_csrf={csrf}"))
        .send_form(&[
            ("login", &account.login),
            ("password", &account.password),
            ("csrf", &csrf),
        ])
        .unwrap();
    let session = reply
        .all("set-cookie")
        .iter()
        .find_map(|c| c.strip_prefix("voisins_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap();
    run(
        &st,
        dir.path(),
        port,
        &format!("Cookie: voisins_session={session}"),
        &[],
    );
    run(
        &st,
        dir.path(),
        port,
        &format!("Authorization: Token {write_token}"),
        &[
            "--include-path",
            "/write",
            "--include-path",
            "/api/v1/readings",
        ],
    );
}
