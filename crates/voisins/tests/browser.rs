//! A resident logs in with a real headless Chromium (driven through chromedriver) and sees
//! their load curve drawn. The screenshot is saved under target/screenshots/.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

struct Driver {
    child: Child,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = ureq::request(method, &url);
        let reply = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match reply {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].clone(),
            Err(ureq::Error::Status(code, r)) => panic!(
                "webdriver {method} {path}: {code} {}",
                r.into_string().unwrap_or_default()
            ),
            Err(e) => panic!("webdriver {method} {path}: {e}"),
        }
    }

    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Serious and critical WCAG 2.1 A/AA violations axe-core finds on the current page.
    fn axe(&self, axe_source: &str) -> Vec<String> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": format!("{axe_source}; return null;"), "args": [] })),
        );
        let found = self.call(
            "POST",
            "/execute/async",
            Some(json!({ "script": "var done = arguments[arguments.length - 1]; \
                axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then(function (r) { \
                  done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; }) \
                    .map(function (v) { return v.id + ' (' + v.nodes.length + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', '); })); \
                }, function (e) { done(['axe failed: ' + e]); });", "args": [] })),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": source, "args": [] })),
        )
    }
}

fn start_driver(chromedriver: &std::path::Path, chromium: &std::path::Path) -> Driver {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    while ureq::get(&format!("{base}/status")).call().is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = TempDir::new("chromium-profile");
    let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
        "binary": chromium.to_string_lossy(),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1100", format!("--user-data-dir={}", profile.path().display())]
    }}}});
    let session = ureq::post(&format!("{base}/session"))
        .send_json(caps)
        .unwrap()
        .into_json::<Value>()
        .unwrap()["value"]["sessionId"]
        .as_str()
        .unwrap()
        .to_string();
    std::mem::forget(profile); // chromium owns it until the session ends
    Driver {
        child,
        base,
        session,
    }
}

/// axe-core's browser bundle from npm (`.ci/run` installs it under target/axe), or the file
/// `VOISINS_AXE` names. Without it the accessibility checks are skipped, unless services are
/// required.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("VOISINS_AXE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            assert!(
                !testkit::services_required(),
                "axe-core is required at {} ({e}): npm install --prefix target/axe axe-core@4",
                path.display()
            );
            eprintln!(
                "axe-core missing at {}: accessibility checks skipped",
                path.display()
            );
            None
        }
    }
}

#[test]
fn resident_sees_the_load_curve_in_chromium() {
    let (Some(chromedriver), Some(chromium)) =
        (find_program("chromedriver"), find_program("chromium"))
    else {
        assert!(
            !testkit::services_required(),
            "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("chromium or chromedriver missing: browser test skipped");
        return;
    };
    // A small demo community, live up to now, served by `voisins serve`.
    let dir = TempDir::new("browser");
    let port = free_port();
    let config = write_config(dir.path(), port);
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let store = store::Store::open_sqlite(
        &dir.path().join("data/voisins.db"),
        store::StoreSettings::default(),
    )
    .unwrap();
    let generator = sim::Generator::new(3, 6, 0.5, 0);
    let now = jiff::Timestamp::now().as_millisecond() / 8000 * 8000;
    let plan = sim::DemoPlan {
        households: 6,
        history_days: 2,
        raw_days: 1,
        step_ms: 8000,
        now_ms: now,
    };
    let demo = sim::seed(&store, &generator, &plan, &mut |_, _, _| {}).unwrap();
    drop(store);
    let mut server = start_server(&config, &dir.path().join("server.log"));
    wait_healthy(port, &mut server);
    let addr = format!("127.0.0.1:{port}");

    let driver = start_driver(&chromedriver, &chromium);
    // Every page is checked with axe-core (WCAG 2.1 A and AA): no serious or critical violation.
    let axe = axe_source();
    let violations = std::cell::RefCell::new(Vec::<String>::new());
    let check = |page: &str| {
        if let Some(source) = &axe {
            for v in driver.axe(source) {
                violations.borrow_mut().push(format!("{page}: {v}"));
            }
        }
    };
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/login") })),
    );
    check("login fr");
    let account = &demo.accounts[1];
    assert_eq!(account.role, domain::Role::Resident);
    let login = driver.element("input[name=login]");
    driver.call(
        "POST",
        &format!("/element/{login}/value"),
        Some(json!({ "text": account.login })),
    );
    let password = driver.element("input[name=password]");
    driver.call(
        "POST",
        &format!("/element/{password}/value"),
        Some(json!({ "text": account.password })),
    );
    let submit = driver.element("button[type=submit]");
    driver.call("POST", &format!("/element/{submit}/click"), Some(json!({})));

    let t = Instant::now();
    let drawn = loop {
        let state = driver.script("var c = document.querySelector('#power-plot'); var b = document.querySelector('#bars-plot'); return c && b && b.dataset.drawn > 0 ? [location.pathname, c.dataset.drawn || '', c.querySelectorAll('canvas').length] : [location.pathname, '', 0];");
        let points: usize = state[1].as_str().unwrap_or("").parse().unwrap_or(0);
        if state[0] == "/home" && points > 0 && state[2].as_u64().unwrap_or(0) > 0 {
            break points;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the load curve was not drawn: {state}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        drawn >= 60,
        "a day of minutes on the time axis, got {drawn}"
    );
    let heading = driver.script("return document.querySelector('h1').textContent;");
    assert_eq!(heading, "Mon foyer");
    // The canvas has ink: the curve's colour is somewhere on it.
    let painted = driver.script(
        "var c = document.querySelector('#power-plot canvas'); var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
         var n = 0; for (var i = 0; i < d.length; i += 4) { if (d[i] > 180 && d[i+1] > 60 && d[i+1] < 130 && d[i+2] < 90) n++; } return n;",
    );
    assert!(
        painted.as_u64().unwrap_or(0) > 100,
        "no curve pixels on the canvas: {painted}"
    );

    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let save = |name: &str| {
        use base64::Engine;
        let png = driver.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(out.join(name), bytes).unwrap();
    };
    save("home-fr.png");
    check("home fr");

    // On a phone the energy bars are drawn too, and the plots use the card's width.
    driver.call(
        "POST",
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    );
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/home?range=month") })),
    );
    let t = Instant::now();
    let widths = loop {
        let w = driver.script(
            "var b = document.querySelector('#bars-plot'); var c = b && b.querySelector('canvas'); \
             return c && b.dataset.drawn > 0 ? [c.clientWidth, b.clientWidth] : null;",
        );
        if !w.is_null() {
            break w;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the month's bars were not drawn"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        widths[0], widths[1],
        "the bars' canvas fills its card: {widths}"
    );
    let header = driver
        .script("return document.querySelector('header.top').getBoundingClientRect().height;");
    assert!(
        header.as_f64().unwrap() <= 64.0,
        "a compact header on a phone: {header} px"
    );
    save("home-fr-phone-top.png");
    driver.script("document.getElementById('chart-card').scrollIntoView(); return null;");
    save("home-fr-month-phone.png");
    check("home month fr phone");

    // A coordinator creates a write token, a gateway sends a new series with it, the
    // coordinator assigns that channel from its preview, then revokes the token.
    driver.call(
        "POST",
        "/window/rect",
        Some(json!({ "width": 1280, "height": 1100 })),
    );
    driver.call("DELETE", "/cookie", None);
    let coordinator = demo
        .accounts
        .iter()
        .find(|a| a.role != domain::Role::Resident)
        .expect("the demo has a coordinator");
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/login") })),
    );
    let type_into = |css: &str, text: &str| {
        let el = driver.element(css);
        driver.call("POST", &format!("/element/{el}/clear"), Some(json!({})));
        driver.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    };
    let click = |css: &str| {
        let el = driver.element(css);
        driver.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    };
    let wait_for = |what: &str, script: &str| -> Value {
        let t = Instant::now();
        loop {
            let v = driver.script(script);
            if !v.is_null() && v != json!(false) {
                return v;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "{what}: {v}");
            std::thread::sleep(Duration::from_millis(150));
        }
    };
    type_into("input[name=login]", &coordinator.login);
    type_into("input[name=password]", &coordinator.password);
    click("button[type=submit]");
    wait_for(
        "signed in",
        "return location.pathname !== '/login' || null;",
    );
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/tokens") })),
    );
    type_into("input[name=label]", "Passerelle test");
    click("input[name=scope][value=community]");
    click("form[action='/tokens'] button[type=submit]");
    let secret = wait_for(
        "the new token is shown",
        "var e = document.getElementById('new-secret'); return e ? e.textContent : null;",
    );
    let secret = secret.as_str().unwrap().to_string();
    save("tokens-fr.png");
    check("tokens fr");
    let line =
        |ts_ms: i64, w: i64| format!("power,sensor=garage-clamp value={w}i {}", ts_ms * 1_000_000);
    let write = |body: String| {
        ureq::post(&format!("http://{addr}/write"))
            .set("Authorization", &format!("Token {secret}"))
            .send_string(&body)
            .map(|r| r.status())
            .unwrap_or_else(|e| match e {
                ureq::Error::Status(code, _) => code,
                e => panic!("write: {e}"),
            })
    };
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let lines: Vec<String> = (0..30)
        .map(|i| line(now_ms - (30 - i) * 60_000, 400 + 20 * i))
        .collect();
    assert_eq!(write(lines.join("\n")), 204);
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/members") })),
    );
    click("a.chip.link");
    wait_for(
        "the channel's preview is drawn",
        "var p = document.querySelector('#channel-preview path'); return p && p.getAttribute('d').length > 20 || null;",
    );
    save("channel-fr.png");
    check("channel fr");
    click("form.form-grid button[type=submit]");
    wait_for(
        "back on the members list",
        "return location.pathname === '/members' || null;",
    );
    let left = driver.script("return document.querySelectorAll('a.chip.link').length;");
    assert_eq!(left, json!(0), "the channel is assigned");
    let chip = driver.script("return Array.from(document.querySelectorAll('.chip')).some(function (c) { return c.textContent.indexOf('garage-clamp') >= 0; });");
    assert_eq!(chip, json!(true), "the member's row lists the channel");
    save("members-fr.png");
    check("members fr");
    // The coordinator invites a new resident of the first household: a one-time link.
    click("a[href$='/settings']");
    wait_for(
        "a member's settings",
        "return location.pathname.endsWith('/settings') || null;",
    );
    type_into("form[action$='/accounts'] input[name=name]", "Nadia Benali");
    type_into("form[action$='/accounts'] input[name=login]", "nadia");
    click("form[action$='/accounts'] button[type=submit]");
    let invitation = wait_for(
        "the invitation link is shown",
        "var e = document.getElementById('new-link'); return e ? e.textContent : null;",
    );
    let invitation = invitation.as_str().unwrap().to_string();
    assert!(
        invitation.starts_with(&format!("http://{addr}/welcome/")),
        "{invitation}"
    );
    save("invite-fr.png");
    driver.script("document.getElementById('accounts-h').scrollIntoView(); return null;");
    save("accounts-fr.png");
    check("member settings fr, invitation");
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/tokens") })),
    );
    let revoke = driver.script(
        "var rows = Array.from(document.querySelectorAll('table.tokens tr')); var row = rows.find(function (r) { return r.textContent.indexOf('Passerelle test') >= 0; }); \
         var b = row && row.querySelector('button.danger'); if (b) { b.click(); } return !!b;",
    );
    assert_eq!(revoke, json!(true));
    wait_for(
        "the token is gone from the list",
        "return document.readyState === 'complete' && !Array.from(document.querySelectorAll('table.tokens td')).some(function (c) { return c.textContent === 'Passerelle test'; }) || null;",
    );
    assert_eq!(
        write(line(now_ms, 500)),
        401,
        "a revoked token no longer writes"
    );
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/audit") })),
    );
    let log = driver.script("return document.querySelector('ol.audit').textContent;");
    let log = log.as_str().unwrap();
    assert!(
        log.contains("garage-clamp") && log.contains("a révoqué le jeton"),
        "{log}"
    );
    save("audit-fr.png");
    check("audit fr");

    // The dark theme follows the system.
    driver.call(
        "POST",
        "/goog/cdp/execute",
        Some(json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "features": [{ "name": "prefers-color-scheme", "value": "dark" }] } })),
    );
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/community") })),
    );
    let bg = driver.script("return getComputedStyle(document.body).backgroundColor;");
    assert_eq!(bg, json!("rgb(17, 23, 21)"), "the dark background");
    wait_for(
        "the community's bars are drawn in the dark",
        "var b = document.querySelector('#bars-plot'); return b && b.dataset.drawn > 0 || null;",
    );
    save("community-dark.png");
    check("community fr dark");

    // Back to light while the page stays open: the charts redraw in the light colours.
    assert_eq!(
        driver.script("return document.getElementById('chart-card').dataset.ink;"),
        json!("#e6ece9")
    );
    driver.call(
        "POST",
        "/goog/cdp/execute",
        Some(json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "features": [{ "name": "prefers-color-scheme", "value": "light" }] } })),
    );
    wait_for(
        "the charts follow the system's switch to light",
        "return document.getElementById('chart-card').dataset.ink === '#1d2a26' || null;",
    );

    // Arabic reads right to left, on a phone, with Western digits in the charts.
    driver.call(
        "POST",
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    );
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/lang/ar?next=/community") })),
    );
    let page = driver.script("return [document.documentElement.lang, document.documentElement.dir, document.querySelector('h1').textContent];");
    assert_eq!(page, json!(["ar", "rtl", "المجتمع"]));
    wait_for(
        "the Arabic bars are drawn",
        "var b = document.querySelector('#bars-plot'); return b && b.dataset.drawn > 0 || null;",
    );
    let digits = driver.script(
        "var l = document.getElementById('chart-card').dataset.locale; return [l, new Intl.NumberFormat(l).format(1234.5), new Intl.DateTimeFormat(l, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' }).format(new Date(Date.UTC(2026, 0, 1, 14, 5)))];",
    );
    assert_eq!(
        digits,
        json!(["ar-MA", "1.234,5", "14:05"]),
        "the charts write Western digits"
    );
    save("community-ar-phone.png");
    check("community ar phone");

    for (path, label) in [
        ("/home", "home ar"),
        ("/members", "members ar"),
        ("/tokens", "tokens ar"),
        ("/audit", "audit ar"),
        ("/no-such-page", "not found ar"),
    ] {
        driver.call(
            "POST",
            "/url",
            Some(json!({ "url": format!("http://{addr}{path}") })),
        );
        check(label);
    }
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/members") })),
    );
    click("a[href$='/settings']");
    wait_for(
        "a member's settings",
        "return location.pathname.endsWith('/settings') || null;",
    );
    save("member-settings-ar-phone.png");
    check("member settings ar");
    driver.call("DELETE", "/cookie", None);
    driver.call(
        "POST",
        "/url",
        Some(json!({ "url": format!("http://{addr}/login") })),
    );
    check("login");
    // The invited resident opens the link, chooses a password and lands on their home.
    driver.call("POST", "/url", Some(json!({ "url": invitation })));
    check("welcome fr");
    save("welcome-fr-phone.png");
    type_into("input[name=password]", "une phrase assez longue");
    type_into("input[name=confirm]", "une phrase assez longue");
    click("button[type=submit]");
    wait_for(
        "the new resident is signed in",
        "return location.pathname === '/home' && document.querySelector('h1').textContent === 'Mon foyer' || null;",
    );
    let violations = violations.into_inner();
    assert!(
        violations.is_empty(),
        "axe-core found serious or critical violations:\n{}",
        violations.join("\n")
    );
}

impl Driver {
    fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Polls a script until it returns something other than null or false.
    fn wait(&self, what: &str, script: &str) -> Value {
        let t = Instant::now();
        loop {
            let v = self.script(script);
            if !v.is_null() && v != json!(false) {
                return v;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "{what}: {v}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn click(&self, css: &str) {
        let el = self.element(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css);
        self.call("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn save(&self, name: &str) {
        use base64::Engine;
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&out).unwrap();
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(out.join(name), bytes).unwrap();
    }
}

#[test]
fn resident_browses_zooms_reads_the_share_and_downloads_in_chromium() {
    let (Some(chromedriver), Some(chromium)) =
        (find_program("chromedriver"), find_program("chromium"))
    else {
        assert!(
            !testkit::services_required(),
            "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("chromium or chromedriver missing: browser test skipped");
        return;
    };
    // The demo's meters fell silent 12 minutes ago.
    let dir = TempDir::new("browser-browse");
    let port = free_port();
    let config = write_config(dir.path(), port);
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let store = store::Store::open_sqlite(
        &dir.path().join("data/voisins.db"),
        store::StoreSettings::default(),
    )
    .unwrap();
    let generator = sim::Generator::new(3, 6, 0.5, 0);
    let now = (jiff::Timestamp::now().as_millisecond() - 12 * 60_000) / 8000 * 8000;
    let plan = sim::DemoPlan {
        households: 6,
        history_days: 3,
        // Two days of raw points cover all of yesterday, whatever the time: the zoom below
        // reads yesterday's raw curve.
        raw_days: 2,
        step_ms: 8000,
        now_ms: now,
    };
    let demo = sim::seed(&store, &generator, &plan, &mut |_, _, _| {}).unwrap();
    drop(store);
    let mut server = start_server(&config, &dir.path().join("server.log"));
    wait_healthy(port, &mut server);
    let base = format!("http://127.0.0.1:{port}");
    let driver = start_driver(&chromedriver, &chromium);
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    driver.call(
        "POST",
        "/goog/cdp/execute",
        Some(json!({ "cmd": "Browser.setDownloadBehavior", "params": { "behavior": "allow", "downloadPath": downloads.to_str().unwrap() } })),
    );
    driver.goto(&format!("{base}/login"));
    let account = &demo.accounts[1];
    driver.type_into("input[name=login]", &account.login);
    driver.type_into("input[name=password]", &account.password);
    driver.click("button[type=submit]");
    let drawn = "var p = document.querySelector('#power-plot'); var b = document.querySelector('#bars-plot'); \
                 return location.pathname === '/home' && p && b && p.dataset.drawn > 0 && b.dataset.drawn > 0 && !document.getElementById('chart-card').classList.contains('loading') ? p.dataset.drawn : null;";
    driver.wait("today's curve", drawn);

    // Stale: no pulse, and the card says how long ago the last measurement was.
    let live = driver.script(
        "var c = document.querySelector('.live-cards'); return [c.dataset.state, !!document.querySelector('.pulse'), document.getElementById('live-as-of').textContent];",
    );
    assert_eq!(live[0], json!("stale"), "{live}");
    assert_eq!(live[1], json!(false), "no pulse on a silent meter: {live}");
    let as_of = live[2].as_str().unwrap();
    assert!(
        as_of.starts_with("Dernière mesure il y a 1") && as_of.contains(" min"),
        "{as_of}"
    );

    // The share: the rates the API computes are the ones the panel shows.
    let api = driver.call(
        "POST",
        "/execute/async",
        Some(json!({ "script": "var done = arguments[0]; fetch('/api/v1/me/totals?range=day').then(function (r) { return r.json(); }).then(done, function (e) { done(String(e)); });", "args": [] })),
    );
    let shown = driver.script(
        "return Array.from(document.querySelectorAll('#panel .rates strong')).map(function (s) { return s.textContent; });",
    );
    let pct = |r: &Value| {
        r.as_f64().map_or("—".to_string(), |r| {
            format!("{}\u{202f}%", (r * 100.0).round() as i64)
        })
    };
    assert_eq!(
        shown[0].as_str().unwrap(),
        pct(&api["self_sufficiency_rate"]),
        "{api} {shown}"
    );
    let flow = driver.script("var t = document.querySelector('#panel figure.flow title'); return t ? t.textContent : null;");
    assert!(
        flow.as_str()
            .is_some_and(|t| t.contains("kWh") || t.contains("Wh")),
        "the flow picture says its figures: {flow}"
    );
    driver.save("home-stale-share-fr.png");

    // Browse: the previous day, by the arrow; the address, the label and the panel follow.
    let today = driver.script("return document.getElementById('chart-card').dataset.today;");
    let today = today.as_str().unwrap().to_string();
    let label_before = driver.script("return document.getElementById('period-label').textContent;");
    driver.click("a.step[data-step='-1']");
    let yesterday = jiff::civil::Date::strptime("%Y-%m-%d", &today)
        .unwrap()
        .yesterday()
        .unwrap()
        .to_string();
    driver.wait(
        "yesterday is shown",
        &format!("return location.search.indexOf('date={yesterday}') >= 0 && document.querySelector('#panel .panel').dataset.date === '{yesterday}' && !document.getElementById('chart-card').classList.contains('loading') || null;"),
    );
    let label_after = driver.script("return document.getElementById('period-label').textContent;");
    assert_ne!(label_before, label_after);
    let next_enabled = driver.script(
        "return !document.querySelector(\"a.step[data-step='1']\").classList.contains('disabled');",
    );
    assert_eq!(next_enabled, json!(true), "a past day can step forward");
    // A past day has all its hours: 24, or 23 and 25 when the clocks change.
    let brussels = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
    let start = |d: &str| {
        jiff::civil::Date::strptime("%Y-%m-%d", d)
            .unwrap()
            .to_zoned(brussels.clone())
            .unwrap()
            .timestamp()
            .as_second()
    };
    let hours = (start(&today) - start(&yesterday)) / 3600;

    // Zoom by dragging over the curve: finer data is fetched, a button undoes it.
    driver.wait("yesterday's curve", drawn);
    let before =
        driver.script("return Number(document.getElementById('power-plot').dataset.drawn);");
    let rect = driver.script("var r = document.querySelector('#power-plot .u-over').getBoundingClientRect(); return [r.left, r.top, r.width, r.height];");
    let r: Vec<f64> = rect
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // Two hours of the day, from 12:00 to 14:00, halfway down the plot.
    let at = |hour: f64| (r[0] + r[2] * hour / 24.0).round() as i64;
    let y = (r[1] + r[3] / 2.0).round() as i64;
    driver.call(
        "POST",
        "/actions",
        Some(json!({ "actions": [{ "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" }, "actions": [
            { "type": "pointerMove", "duration": 0, "origin": "viewport", "x": at(12.0), "y": y },
            { "type": "pointerDown", "button": 0 },
            { "type": "pointerMove", "duration": 200, "origin": "viewport", "x": at(14.0), "y": y },
            { "type": "pointerUp", "button": 0 }
        ] }] })),
    );
    driver.wait(
        "the reset button appears",
        "return !document.getElementById('reset-zoom').hidden || null;",
    );
    let fine = driver.wait(
        "finer data for the zoomed span",
        &format!("var n = Number(document.getElementById('power-plot').dataset.drawn); return n > 0 && n !== {before} ? n : null;"),
    );
    assert!(
        fine.as_u64().unwrap() > 100,
        "two hours of raw data are finer than quarter-hours: {fine} points"
    );
    driver.save("home-zoomed-fr.png");
    driver.click("#reset-zoom");
    driver.wait(
        "the zoom is undone",
        &format!("return document.getElementById('reset-zoom').hidden && Number(document.getElementById('power-plot').dataset.drawn) === {before} || null;"),
    );

    // The day's CSV, downloaded by the browser, opens in columns with local times.
    driver.click("#csv-energy");
    let t = Instant::now();
    let file = loop {
        let found = std::fs::read_dir(&downloads)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "csv"));
        if let Some(f) = found {
            break f;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no CSV downloaded");
        std::thread::sleep(Duration::from_millis(200));
    };
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!(
        name,
        format!("voisins-{}-{yesterday}-day-energy.csv", account.login)
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(&file)
        .unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("a {name} column, split on ';': {header:?}"))
    };
    let (start_col, kwh_col) = (column("start"), column("consumption_kwh"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as i64, hours, "one row per hour of the day");
    let mut mwh = 0i64;
    for r in &records {
        assert!(
            r[start_col].starts_with(&yesterday) || r[start_col].starts_with(&today),
            "a local time: {r:?}"
        );
        assert!(
            r[start_col].ends_with("+01:00") || r[start_col].ends_with("+02:00"),
            "with its offset: {r:?}"
        );
        // kWh with a decimal comma and six decimals: exactly the mWh.
        let (int, frac) = r[kwh_col].split_once(',').unwrap_or((&r[kwh_col], "0"));
        let frac = format!("{frac:0<6}");
        mwh += int.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap();
    }
    // The file's kWh add up to the day's consumption the API gives, to the mWh.
    let totals = driver.call(
        "POST",
        "/execute/async",
        Some(json!({ "script": format!("var done = arguments[0]; fetch('/api/v1/me/totals?range=day&date={yesterday}').then(function (r) {{ return r.json(); }}).then(done, function (e) {{ done(String(e)); }});"), "args": [] })),
    );
    let api_mwh = (totals["consumption_wh"].as_f64().unwrap() * 1000.0).round() as i64;
    assert!(api_mwh > 0, "{totals}");
    assert_eq!(mwh, api_mwh, "the CSV adds up to the day's total");
}
