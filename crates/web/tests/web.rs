//! The web edge through `router().oneshot()`: login, pages in three languages, CSRF, access
//! rules (resident A never reads resident B), write tokens, partial writes, and the faults
//! hostile or careless requests once caused — each test named after what broke.

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use domain::{Interval, Provenance, Slot};
use testkit::http::{get, get_auth, login, post, post_form, send, Reply};
use testkit::{TestStore, World, WorldSpec, NOW_MS};

/// 2024-05-01 00:00 in Brussels.
const DAY_START_MS: i64 = 1_714_514_400_000;

fn router_with(w: &World, config: web::WebConfig) -> axum::Router {
    let state =
        web::AppState::new(Arc::new(w.app()), runtime::Blocking::new(4, 256), config).unwrap();
    web::router(state)
}

fn router(w: &World) -> axum::Router {
    router_with(w, web::WebConfig::default())
}

/// The default world, with each household's consumption at (i + 1) × 100 W over the last hour.
fn world() -> World {
    let w = World::sqlite();
    for (i, ch) in w.consumption.iter().enumerate() {
        w.constant(
            *ch,
            NOW_MS - 3_600_000,
            NOW_MS,
            8000,
            100.0 * (i as f64 + 1.0),
        );
    }
    w
}

fn pw(login: &str) -> String {
    World::password(login)
}

#[tokio::test]
async fn resident_logs_in_and_sees_home_in_three_languages() {
    let w = world();
    let r = router(&w);
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    let home = send(&r, get("/home", &session)).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(
        home.body.contains("Mon foyer") && home.body.contains("Ma courbe de charge"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("mercredi 1 mai 2024"),
        "local date in French"
    );
    assert!(home.body.contains("100 W"), "live power of household 1");
    assert!(
        home.body.contains("jusqu&#x27;à 12:00") || home.body.contains("jusqu'à 12:00"),
        "says what today's figures sum"
    );
    for (lang, text) in [("nl", "Mijn woning"), ("en", "My home")] {
        let page = send(&r, get("/home", &format!("{session}; voisins_lang={lang}"))).await;
        assert!(page.body.contains(text), "{lang}");
        assert!(page.body.contains(&format!("lang=\"{lang}\"")));
    }
    let community = send(&r, get("/community", &session)).await;
    assert_eq!(community.status, StatusCode::OK);
    assert!(
        community.body.contains("Partagé entre membres"),
        "{}",
        community.body
    );
    assert_eq!(
        send(&r, get(&format!("/members/{}", w.members[1]), &session))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "household 1 never sees household 2's page"
    );
    assert_eq!(
        send(&r, get(&format!("/members/{}", w.members[0]), &session))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&r, get("/members", &session)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&r, get("/home", "")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn coordinator_sees_members_and_last_contact() {
    let w = world();
    w.store
        .write(|tx| tx.meters().touch(w.meters[0], NOW_MS))
        .unwrap();
    let r = router(&w);
    let session = login(&r, "coord", &pw("coord")).await.unwrap();
    let page = send(&r, get("/members", &session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (a, b) = (w.members[0], w.members[1]);
    assert!(
        page.body.contains(&format!("href=\"/members/{a}\"")),
        "household 1 consented"
    );
    assert!(
        !page.body.contains(&format!("href=\"/members/{b}\"")),
        "household 2 did not"
    );
    let one = send(&r, get(&format!("/members/{a}"), &session)).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains("Household 1") && one.body.contains("Courbe de charge"));
    assert_eq!(
        send(&r, get(&format!("/members/{b}"), &session))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(page.body.contains("flukso-1") && page.body.contains("Household 2"));
    assert!(
        page.body.contains("instant"),
        "last contact shown relative to now"
    );
}

#[tokio::test]
async fn wrong_password_and_forged_login_forms_are_refused() {
    let w = world();
    let r = router(&w);
    let reply = login(&r, "h1", "nope-nope-nope").await.unwrap_err();
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("Identifiant ou mot de passe incorrect"));
    // The login CSRF check accepted any cookie/field pair the client picked.
    let forged = post_form(
        "/login",
        "voisins_login_csrf=x",
        "login=h1&password=h1-password&csrf=x",
    );
    assert_eq!(send(&r, forged).await.status, StatusCode::FORBIDDEN);
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    let logout = post_form("/logout", &session, "csrf=wrong");
    assert_eq!(
        send(&r, logout).await.status,
        StatusCode::FORBIDDEN,
        "logout needs the session's CSRF token"
    );
    assert_eq!(
        send(&r, get("/home", &session)).await.status,
        StatusCode::OK,
        "still logged in"
    );
}

#[tokio::test]
async fn resident_a_cannot_read_resident_b() {
    let w = world();
    let r = router(&w);
    let alice = login(&r, "h1", &pw("h1")).await.unwrap();
    let (a, b) = (w.members[0], w.members[1]);
    for uri in [
        format!("/api/v1/members/{b}/curve"),
        format!("/api/v1/members/{b}/live"),
        "/api/v1/members/999999/live".into(),
    ] {
        let by_session = send(&r, get(&uri, &alice)).await;
        assert_eq!(by_session.status, StatusCode::NOT_FOUND, "session: {uri}");
        let by_token = send(&r, get_auth(&uri, &format!("Bearer {}", w.read_tokens[0]))).await;
        assert_eq!(by_token.status, StatusCode::NOT_FOUND, "token: {uri}");
        assert!(by_token.json()["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"));
    }
    assert_eq!(
        send(&r, get("/api/v1/members", &alice)).await.status,
        StatusCode::FORBIDDEN
    );
    let own = send(&r, get("/api/v1/me/live", &alice)).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(own.json()["power_w"], 100.0);
    let curve = send(
        &r,
        get(&format!("/api/v1/members/{a}/curve?range=day"), &alice),
    )
    .await;
    assert_eq!(curve.status, StatusCode::OK);
    let values: Vec<f64> = curve.json()["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert!(
        !values.is_empty() && values.iter().all(|v| *v == 100.0),
        "only household 1's 100 W: {values:?}"
    );
    // Write tokens never read; no credentials is 401 with a challenge.
    let write = send(
        &r,
        get_auth("/api/v1/me", &format!("Token {}", w.meter_tokens[0])),
    )
    .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let none = send(&r, get("/api/v1/me", "")).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.header("www-authenticate").is_some());
    assert_eq!(
        send(&r, get_auth("/api/v1/me", "Bearer not-a-token"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn writes_need_the_right_token_and_keep_good_lines() {
    let w = world();
    let r = router(&w);
    let line = format!("power,sensor=h1c value=700i {}", NOW_MS * 1_000_000);
    assert_eq!(
        send(&r, post("/write", None, line.clone())).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&r, post("/write", Some("Token wrong"), line.clone()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let read = send(
        &r,
        post(
            "/write",
            Some(&format!("Bearer {}", w.read_tokens[0])),
            line.clone(),
        ),
    )
    .await;
    assert_eq!(
        read.status,
        StatusCode::FORBIDDEN,
        "a read token cannot write"
    );
    let meter1 = format!("Token {}", w.meter_tokens[0]);
    assert_eq!(
        send(&r, post("/write", Some(&meter1), line)).await.status,
        StatusCode::NO_CONTENT
    );
    // InfluxDB-style credentials in the query string.
    let q = format!("/write?u=meter&p={}&precision=s", w.meter_tokens[0]);
    let body = format!("power,sensor=h1c value=710i {}", NOW_MS / 1000 + 8);
    assert_eq!(
        send(&r, post(&q, None, body)).await.status,
        StatusCode::NO_CONTENT
    );

    // A batch with bad lines: they are named, the good ones are stored.
    let t = NOW_MS * 1_000_000;
    let body = format!(
        "power,sensor=new1 value=5i {}\npower,sensor=new1 value=oops {}\ngarbage\npower,sensor=new1 value=6i {}\npower,sensor=new1 value=7,other=1e300 {}\n",
        t - 32_000_000_000,
        t - 24_000_000_000,
        t - 16_000_000_000,
        t - 8_000_000_000
    );
    let community = format!("Token {}", w.community_token);
    let reply = send(&r, post("/write", Some(&community), body)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("partial write")
            && error.contains("line 2")
            && error.contains("line 3")
            && error.contains("line 5")
            && error.contains("dropped=4"),
        "{error}"
    );
    let channel = w
        .store
        .read(|tx| tx.channels().named(w.community, None, "new1"))
        .unwrap()
        .expect("registered");
    assert!(channel.configs.is_empty(), "registered unassigned");
    let stored = w
        .store
        .read(|tx| tx.points().range(channel.id, 0, i64::MAX))
        .unwrap();
    assert_eq!(
        stored.len(),
        2,
        "good lines kept, the half-bad line 5 not at all: {stored:?}"
    );

    // Impossible clocks are refused and named.
    let reply = send(
        &r,
        post(
            "/write?precision=s",
            Some(&community),
            "power,sensor=new1 value=1i 1000000000",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("clock is not set"), "{}", reply.body);

    // JSON batches.
    let json = format!(
        r#"{{"readings":[{{"channel":"h1c","points":[[{}, 650]]}}]}}"#,
        NOW_MS / 1000 + 40
    );
    let reply = send(
        &r,
        post(
            "/api/v1/readings",
            Some(&format!("Bearer {}", w.meter_tokens[0])),
            json,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let bad = send(
        &r,
        post(
            "/api/v1/readings",
            Some(&format!("Bearer {}", w.meter_tokens[0])),
            "{}",
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("readings"));
    assert_eq!(
        w.store
            .read(|tx| tx.meters().get(w.meters[0]))
            .unwrap()
            .last_contact_ms,
        Some(NOW_MS)
    );
}

#[tokio::test]
async fn every_api_route_is_documented() {
    let w = world();
    let r = router(&w);
    let reply = send(&r, get("/api/v1/openapi.json", "")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    let mut documented = 0;
    for route in web::routes(&web::WebConfig::default()) {
        let path = route.path;
        if route.documented {
            let item = doc["paths"]
                .get(path)
                .unwrap_or_else(|| panic!("{path} is served but not in openapi.json"));
            for m in route.methods {
                assert!(
                    item.get(m.as_str().to_lowercase()).is_some(),
                    "{m} {path} not described"
                );
            }
            documented += 1;
        }
        // Our API is described; InfluxDB's (`/api/v2/write`) is InfluxDB's own description.
        assert!(
            !path.starts_with("/api/v1/") || route.documented,
            "{path} must be documented"
        );
    }
    assert!(documented >= 14, "{documented} routes");
}

#[tokio::test]
async fn hostile_ranges_are_clear_400s_not_crashes() {
    let w = world();
    let r = router(&w);
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    for q in [
        "from=-inf&to=inf",
        "from=-9e15&to=9e15",
        "from=9e20&to=9e21",
        "from=NaN&to=1",
        "from=1714521600&to=1714521600",
        "from=1714521600",
        "range=day&date=9999-12-31",
        "range=century",
        "from=null,null&to=1",
        "format=xml",
    ] {
        for path in [
            "/api/v1/me/curve",
            "/api/v1/community/curve",
            "/api/v1/me/totals",
            "/api/v1/community",
        ] {
            let reply = send(&r, get(&format!("{path}?{q}"), &session)).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{path}?{q}: {}",
                reply.body
            );
            let error = reply.json()["error"].as_str().unwrap().to_string();
            assert!(
                !error.contains("Cannot parse") && !error.is_empty(),
                "{error}"
            );
        }
    }
}

#[tokio::test]
async fn compressed_bombs_are_refused_with_413() {
    let w = world();
    let config = web::WebConfig {
        max_body_bytes: 1024 * 1024,
        ..web::WebConfig::default()
    };
    let r = router_with(&w, config);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'\n'; 64 * 1024 * 1024]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200 * 1024, "{} bytes compressed", bomb.len());
    let req = Request::post("/write")
        .header(
            header::AUTHORIZATION,
            format!("Token {}", w.community_token),
        )
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(bomb))
        .unwrap();
    let reply = send(&r, req).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.json()["error"].as_str().unwrap().contains("inflates"));
    // A plain body beyond the limit answers the same way, in JSON.
    let big = send(
        &r,
        post(
            "/write",
            Some(&format!("Token {}", w.community_token)),
            vec![b'x'; 2 * 1024 * 1024],
        ),
    )
    .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(big.json()["error"].is_string());
}

#[tokio::test]
async fn the_login_throttle_normalises_the_login_and_never_locks_the_real_user_out() {
    let w = world();
    let config = web::WebConfig {
        client_address_header: Some("x-forwarded-for".into()),
        ..web::WebConfig::default()
    };
    let r = router_with(&w, config);
    // The real user logs in once from their browser and keeps its device cookie.
    let form = send(&r, get("/login", "")).await;
    let csrf = form.cookie("voisins_login_csrf").unwrap();
    let ok = send(
        &r,
        post_form(
            "/login",
            &format!("voisins_login_csrf={csrf}"),
            &format!("login=h1&password=h1-password&csrf={csrf}"),
        ),
    )
    .await;
    let device = ok.cookie("voisins_device").expect("device cookie");
    // An attacker guesses from many addresses, spelling the login many ways.
    let mut throttled = 0;
    for i in 0..40 {
        let form = send(&r, get("/login", "")).await;
        let csrf = form.cookie("voisins_login_csrf").unwrap();
        let spelled = [" h1", "H1", "h1 ", "%20H1%20"][i % 4];
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("voisins_login_csrf={csrf}"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .body(Body::from(format!(
                "login={spelled}&password=guess{i}&csrf={csrf}"
            )))
            .unwrap();
        let reply = send(&r, req).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            throttled += 1;
            assert!(reply.header("retry-after").is_some());
        }
    }
    assert!(
        throttled >= 25,
        "the account is throttled whatever the spelling: {throttled}"
    );
    // The real user, from the browser with the device cookie, gets in.
    let form = send(&r, get("/login", "")).await;
    let csrf = form.cookie("voisins_login_csrf").unwrap();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::COOKIE,
            format!("voisins_login_csrf={csrf}; voisins_device={device}"),
        )
        .header("x-forwarded-for", "203.0.113.7")
        .body(Body::from(format!(
            "login=h1&password=h1-password&csrf={csrf}"
        )))
        .unwrap();
    let reply = send(&r, req).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
}

#[tokio::test]
async fn forms_have_a_small_body_limit() {
    let w = world();
    let r = router(&w);
    let huge = format!("login=h1&password={}&csrf=x", "a".repeat(1024 * 1024));
    let reply = send(&r, post_form("/login", "voisins_login_csrf=x", &huge)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_language_switch_stays_on_the_site() {
    let w = world();
    let r = router(&w);
    for next in [
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/%0d%0aSet-Cookie:%20x=y",
    ] {
        let reply = send(&r, get(&format!("/lang/en?next={next}"), "")).await;
        assert_eq!(reply.header("location"), Some("/"), "{next}");
    }
    let reply = send(&r, get("/lang/en?next=/community", "")).await;
    assert_eq!(reply.header("location"), Some("/community"));
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_personal_data_is_not_cached() {
    let w = world();
    let r = router(&w);
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    for uri in [
        "/login",
        "/home",
        "/api/v1/me/live",
        "/api/v1/me/curve?format=csv",
        "/api/v1/nothing-here",
    ] {
        let reply = send(&r, get(uri, &session)).await;
        let csp = reply.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{uri}: {csp}"
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{uri}");
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(
            reply.header("referrer-policy"),
            Some("same-origin"),
            "{uri}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{uri}");
    }
    let asset = send(&r, get("/static/app.css", "")).await;
    assert!(asset.header("cache-control").unwrap().contains("max-age"));
    let missing = send(&r, get("/api/v1/nothing-here", &session)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["error"].is_string());
    let wrong_method = send(&r, post("/api/v1/me", None, "")).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong_method.json()["error"].is_string());
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session() {
    let w = world();
    let r = router(&w);
    let phone = login(&r, "h1", &pw("h1")).await.unwrap();
    let laptop = login(&r, "h1", &pw("h1")).await.unwrap();
    let home = send(&r, get("/home", &laptop)).await;
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let out = send(
        &r,
        post_form("/logout/everywhere", &laptop, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    for session in [phone, laptop] {
        assert_eq!(
            send(&r, get("/home", &session)).await.status,
            StatusCode::SEE_OTHER,
            "session ended"
        );
    }
}

#[tokio::test]
async fn totals_carry_no_float_noise() {
    let w = world();
    let slot = Slot::containing_ms(DAY_START_MS);
    w.store
        .write(|tx| {
            tx.intervals().write(
                w.consumption[0],
                &[Interval::flat(slot, 13_800_008, Provenance::Settled)],
            )
        })
        .unwrap();
    let r = router(&w);
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    let reply = send(
        &r,
        get("/api/v1/me/totals?range=day&date=2024-05-01", &session),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // 13 800.008 Wh settled at midnight, plus the last hour at 100 W: 100 Wh.
    assert!(
        reply.body.contains("\"consumption_wh\":13900.008,"),
        "{}",
        reply.body
    );
    let t = reply.json();
    assert_eq!(
        t["from"], "2024-05-01T00:00:00+02:00",
        "what was summed, in local time"
    );
    assert_eq!(t["to"], "2024-05-01T12:00:00+02:00");
}

#[tokio::test]
async fn the_autumn_day_has_two_hours_told_apart_in_csv() {
    let w = world();
    let tz = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
    let day = domain::LocalDay::new("2024-10-27".parse().unwrap(), &tz).unwrap();
    let intervals: Vec<Interval> = day
        .slots()
        .map(|s| Interval::flat(s, 25_000, Provenance::Settled))
        .collect();
    w.store
        .write(|tx| tx.intervals().write(w.consumption[0], &intervals))
        .unwrap();
    w.clock.set(day.end.start_ms() + 86_400_000);
    let r = router(&w);
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    let csv = send(
        &r,
        get(
            "/api/v1/me/curve?range=day&date=2024-10-27&format=csv",
            &session,
        ),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let rows: Vec<&str> = csv.body.lines().collect();
    assert!(
        rows[0].starts_with("start,end,consumption_w,consumption_kwh,consumption_coverage"),
        "{}",
        rows[0]
    );
    assert_eq!(rows.len(), 101, "100 quarter-hours and a header");
    assert!(rows
        .iter()
        .any(|l| l.starts_with("2024-10-27T02:15:00+02:00")));
    assert!(rows
        .iter()
        .any(|l| l.starts_with("2024-10-27T02:15:00+01:00")));
    assert!(rows[1].contains(",100.0,0.025,1.000"), "{}", rows[1]);
}

#[tokio::test]
async fn privacy_by_subtraction_over_the_api() {
    let w = World::new(
        TestStore::sqlite("web-privacy"),
        WorldSpec {
            private: vec![5],
            ..WorldSpec::default()
        },
    );
    let r = router(&w);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let total = send(&r, get("/api/v1/community", &coord)).await;
    assert_eq!(total.status, StatusCode::OK);
    for m in &w.members[..5] {
        let reply = send(&r, get(&format!("/api/v1/members/{m}/curve"), &coord)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
        assert!(reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("subtraction"));
    }
    let page = send(&r, get("/members", &coord)).await;
    assert!(
        page.body.contains("moins de 5"),
        "the page says why: {}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_are_bounded() {
    let w = world();
    let config = web::WebConfig {
        hashing_concurrency: 1,
        ..web::WebConfig::default()
    };
    let r = router_with(&w, config);
    let form = send(&r, get("/login", "")).await;
    let csrf = form.cookie("voisins_login_csrf").unwrap();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (r, csrf) = (r.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            let req = post_form(
                "/login",
                &format!("voisins_login_csrf={csrf}"),
                &format!("login=nobody{i}&password=wrong-wrong-wrong&csrf={csrf}"),
            );
            send(&r, req).await
        }));
    }
    let mut replies: Vec<Reply> = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    let busy = replies
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(
        busy > 0,
        "beyond the queue, logins are told the server is busy"
    );
    assert!(replies.iter().all(|r| matches!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
    )));
}

#[tokio::test]
async fn energy_routes_follow_the_access_rules_of_the_curves() {
    let w = world();
    let r = router(&w);
    let alice = login(&r, "h1", &pw("h1")).await.unwrap();
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let (a, b) = (w.members[0], w.members[1]);
    assert_eq!(
        send(&r, get("/api/v1/me/energy", "")).await.status,
        StatusCode::UNAUTHORIZED
    );
    for uri in [
        format!("/api/v1/members/{b}/energy"),
        "/api/v1/members/999999/energy".into(),
        "/api/v1/members/-1/energy".into(),
    ] {
        assert_eq!(
            send(&r, get(&uri, &alice)).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    let own = send(&r, get("/api/v1/me/energy?range=day", &alice)).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let j = own.json();
    assert_eq!(j["unit"], "hour");
    // 100 W over the last hour (11:00–12:00): 100 Wh in the 11:00 bar, the bars stop at noon.
    let ts = j["ts"].as_array().unwrap();
    assert_eq!(ts.len(), 12, "{j}");
    assert_eq!(j["consumption_wh"][11], 100.0);
    assert_eq!(j["total"]["consumption_wh"], 100.0);
    // Six households: the community's figures may be shown to each, so the share is given
    // (nobody injected: nothing came from the neighbours).
    assert_eq!(j["from_neighbours_wh"][11], 0.0);
    assert_eq!(j["from_grid_wh"][11], 100.0);
    assert_eq!(
        send(&r, get(&format!("/api/v1/members/{a}/energy"), &coord))
            .await
            .status,
        StatusCode::OK,
        "household 1 shares its curve with coordinators"
    );
    assert_eq!(
        send(&r, get(&format!("/api/v1/members/{b}/energy"), &coord))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "household 2 keeps its curve private"
    );
    let bad = send(
        &r,
        get("/api/v1/me/energy?format=csv&lang=%3Cscript%3E", &alice),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("lang"), "{}", bad.body);
    let empty = send(&r, get("/api/v1/me/energy?lang=", &alice)).await;
    assert_eq!(
        empty.status,
        StatusCode::BAD_REQUEST,
        "an empty lang is not a language"
    );
}

#[tokio::test]
async fn downloads_open_in_a_french_spreadsheet_and_say_what_and_when() {
    let w = world();
    let r = router(&w);
    let alice = login(&r, "h1", &pw("h1")).await.unwrap();
    let fr = send(
        &r,
        get("/api/v1/me/curve?range=day&format=csv&lang=fr", &alice),
    )
    .await;
    assert_eq!(fr.status, StatusCode::OK);
    assert_eq!(
        fr.header("content-disposition").unwrap(),
        "attachment; filename=\"voisins-h1-2024-05-01-day.csv\""
    );
    let rows: Vec<&str> = fr.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        rows[0].starts_with("start;end;consumption_w;consumption_kwh"),
        "{}",
        rows[0]
    );
    // 100 W for a minute is 1,666667 Wh = 0,001667 kWh (rounded to the mWh).
    let last = rows.last().unwrap();
    assert!(last.contains(";100,0;0,001667;1,000"), "{last}");
    assert!(
        last.starts_with("2024-05-01T11:59:00+02:00;2024-05-01T12:00:00+02:00"),
        "{last}"
    );
    let en = send(
        &r,
        get("/api/v1/me/energy?range=day&format=csv&lang=en", &alice),
    )
    .await;
    assert_eq!(
        en.header("content-disposition").unwrap(),
        "attachment; filename=\"voisins-h1-2024-05-01-day-energy.csv\""
    );
    let rows: Vec<&str> = en.body.lines().collect();
    assert_eq!(
        rows.len(),
        13,
        "a header and the 12 hours that have begun: {}",
        en.body
    );
    assert!(
        rows[12].starts_with(
            "2024-05-01T11:00:00+02:00,2024-05-01T12:00:00+02:00,no,0.1,0,0,0,0,0.1,0"
        ),
        "{}",
        rows[12]
    );
}

fn csrf_of(body: &str) -> String {
    body.split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a form with its csrf field")
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn coordinator_pages_are_for_coordinators_only() {
    let w = world();
    let r = router(&w);
    let (a, b) = (w.members[0], w.members[1]);
    let resident = login(&r, "h1", &pw("h1")).await.unwrap();
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let resident_csrf = csrf_of(&send(&r, get("/home", &resident)).await.body);
    let pages = [
        "/members".to_string(),
        format!("/members/{a}/settings"),
        format!("/channels/{}", w.consumption[0]),
        "/tokens".to_string(),
    ];
    for path in &pages {
        assert_eq!(
            send(&r, get(path, &coord)).await.status,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            send(&r, get(path, &resident)).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            send(&r, get(path, "")).await.status,
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
    // Forms a resident sends with their own valid CSRF token are refused all the same.
    let forms = [
        (
            "/members".to_string(),
            "name=Intrus&kind=household".to_string(),
        ),
        (
            format!("/members/{b}/settings"),
            "name=Renamed&kind=shop".to_string(),
        ),
        (format!("/members/{b}/meters"), "meter=extra".to_string()),
        (
            "/tokens".to_string(),
            "label=leak&scope=community".to_string(),
        ),
        ("/tokens/1/revoke".to_string(), String::new()),
    ];
    for (path, body) in &forms {
        let reply = send(
            &r,
            post_form(path, &resident, &format!("csrf={resident_csrf}&{body}")),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    // A coordinator's form without the session's CSRF token does nothing.
    let reply = send(
        &r,
        post_form("/members", &coord, "csrf=forged&name=X&kind=household"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains("rechargez la page"), "{}", reply.body);
    let names: Vec<String> = w
        .app()
        .list_members()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n == "X" || n == "Intrus" || n == "Renamed"),
        "{names:?}"
    );
    // A member of another id space is not found, not an error.
    assert_eq!(
        send(&r, get("/members/999999/settings", &coord))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&r, get("/channels/999999", &coord)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&r, get("/members/abc/settings", &coord)).await.status,
        StatusCode::NOT_FOUND
    );
    // The log: a resident reads what concerns their own home only.
    assert_eq!(
        send(&r, get("/audit", &resident)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&r, get("/audit", "")).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_coordinator_assigns_a_new_channel_and_the_member_reads_it_in_the_log() {
    let w = world();
    let r = router(&w);
    // A gateway sends a series nobody has assigned yet.
    let lines: String = (0..10)
        .map(|i| {
            format!(
                "power,sensor=new-clamp value={}i {}\n",
                300 + i * 10,
                (NOW_MS - 3_600_000 + i * 60_000) * 1_000_000
            )
        })
        .collect();
    let wrote = send(
        &r,
        post(
            "/write",
            Some(&format!("Token {}", w.community_token)),
            lines,
        ),
    )
    .await;
    assert_eq!(wrote.status, StatusCode::NO_CONTENT, "{}", wrote.body);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let list = send(&r, get("/members", &coord)).await;
    let href = list
        .body
        .split("href=\"/channels/")
        .nth(1)
        .expect("the unassigned channel links to its page")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(
        !list.body.contains("channel_"),
        "no catalogue key reaches the page"
    );
    let page = send(&r, get(&format!("/channels/{href}"), &coord)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("new-clamp") && page.body.contains("<path d=\"M0 "),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("10 mesures"),
        "the preview says how many readings it draws"
    );
    let csrf = csrf_of(&page.body);
    let meter = w.meters[1];
    // Bad input is named, and nothing changes.
    let bad = send(
        &r,
        post_form(
            &format!("/channels/{href}"),
            &coord,
            &format!(
                "csrf={csrf}&meter={meter}&kind=consumption&phase=7&valid_from=2024-05-01T00:00"
            ),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("phase"), "{}", bad.body);
    let bad = send(
        &r,
        post_form(
            &format!("/channels/{href}"),
            &coord,
            &format!("csrf={csrf}&meter={meter}&kind=consumption&valid_from=yesterday"),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("valid_from"), "{}", bad.body);
    let ok = send(
        &r,
        post_form(
            &format!("/channels/{href}"),
            &coord,
            &format!(
                "csrf={csrf}&meter={meter}&kind=production&phase=2&valid_from=2024-05-01T00:00"
            ),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let channel = w
        .app()
        .list_channels()
        .unwrap()
        .into_iter()
        .find(|c| c.series_key == "new-clamp")
        .unwrap();
    assert_eq!(channel.meter_id, Some(meter));
    assert_eq!(channel.kind(), Some(domain::ChannelKind::Production));
    assert_eq!(channel.configs.last().unwrap().phase, Some(2));
    assert_eq!(
        channel.configs.last().unwrap().valid_from_ms,
        DAY_START_MS,
        "local midnight in Brussels"
    );
    // The member concerned (household 2) reads it; household 1 does not.
    let h2 = login(&r, "h2", &pw("h2")).await.unwrap();
    let log = send(&r, get("/audit", &h2)).await;
    assert!(
        log.body.contains("a attribué le canal « new-clamp »"),
        "{}",
        log.body
    );
    assert!(log.body.contains("(production)"), "{}", log.body);
    let h1 = login(&r, "h1", &pw("h1")).await.unwrap();
    assert!(!send(&r, get("/audit", &h1))
        .await
        .body
        .contains("new-clamp"));
    // Adding and editing a member are logged with what changed.
    let added = send(
        &r,
        post_form(
            "/members",
            &coord,
            &format!("csrf={csrf}&name=Maison+verte&kind=household"),
        ),
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let settings_path = added.header("location").unwrap().to_string();
    let edited = send(
        &r,
        post_form(
            &settings_path,
            &coord,
            &format!("csrf={csrf}&name=Maison+verte&kind=shop&consent=on"),
        ),
    )
    .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let settings = send(&r, get(&settings_path, &coord)).await;
    assert!(
        settings
            .body
            .contains("a ajouté le membre « Maison verte »"),
        "{}",
        settings.body
    );
    assert!(
        settings
            .body
            .contains("Type : ménage → commerce ; Courbe partagée : non → oui"),
        "{}",
        settings.body
    );
    // Saving the same form again logs nothing.
    let again = send(
        &r,
        post_form(
            &settings_path,
            &coord,
            &format!("csrf={csrf}&name=Maison+verte&kind=shop&consent=on"),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let settings = send(&r, get(&settings_path, &coord)).await;
    assert_eq!(settings.body.matches("a modifié la fiche").count(), 1);
    let empty = send(
        &r,
        post_form(
            "/members",
            &coord,
            &format!("csrf={csrf}&name=+&kind=household"),
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("name: required"), "{}", empty.body);
}

#[tokio::test]
async fn a_token_is_shown_once_and_a_revoked_token_no_longer_writes() {
    let w = world();
    let r = router(&w);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let csrf = csrf_of(&send(&r, get("/tokens", &coord)).await.body);
    let meter = w.meters[0];
    let created = send(
        &r,
        post_form(
            "/tokens",
            &coord,
            &format!("csrf={csrf}&label=Flukso+cave&scope=meter&meter={meter}"),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let secret = created
        .body
        .split("id=\"new-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert!(secret.len() >= 32);
    let listing = send(&r, get("/tokens", &coord)).await;
    assert!(
        listing.body.contains("Flukso cave") && !listing.body.contains(&secret),
        "shown once"
    );
    let line = format!("power,sensor=h1c value=700i {}", NOW_MS * 1_000_000);
    let auth = format!("Token {secret}");
    assert_eq!(
        send(&r, post("/write", Some(&auth), line.clone()))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let id = w
        .app()
        .list_tokens()
        .unwrap()
        .into_iter()
        .find(|t| t.label == "Flukso cave")
        .unwrap()
        .id;
    let revoked = send(
        &r,
        post_form(
            &format!("/tokens/{id}/revoke"),
            &coord,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&r, post("/write", Some(&auth), line)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = send(
        &r,
        post_form(
            &format!("/tokens/{id}/revoke"),
            &coord,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let log = send(&r, get("/audit", &coord)).await;
    assert!(
        log.body
            .contains(&format!("a créé le jeton n° {id} « Flukso cave »")),
        "{}",
        log.body
    );
    assert!(
        log.body.contains(&format!("a révoqué le jeton n° {id}")),
        "{}",
        log.body
    );
    // Household 1 owns that meter: the log is theirs to read too.
    let h1 = login(&r, "h1", &pw("h1")).await.unwrap();
    assert!(send(&r, get("/audit", &h1))
        .await
        .body
        .contains("Flukso cave"));
    let empty = send(
        &r,
        post_form(
            "/tokens",
            &coord,
            &format!("csrf={csrf}&label=&scope=community"),
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn people_get_pages_they_understand_when_something_goes_wrong() {
    let w = world();
    let r = router(&w);
    // An unknown path: the styled page for a browser, JSON for an API client.
    let browser = Request::get("/nowhere")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .body(Body::empty())
        .unwrap();
    let page = send(&r, browser).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body.contains("Cette page n&#x27;existe pas")
            && page.body.contains("<main>")
            && page.body.contains("<p class=\"muted\">Test</p>"),
        "{}",
        page.body
    );
    let api = send(
        &r,
        Request::get("/api/v1/nowhere").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.json()["error"].is_string());
    // A login form missing a field, or past its lifetime: the form again, with the login kept.
    let incomplete = send(&r, post_form("/login", "", "login=h1")).await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.body.contains("Réessayez") && incomplete.body.contains("name=\"password\""));
    let expired = send(
        &r,
        post_form(
            "/login",
            "voisins_login_csrf=old",
            "login=h1&password=x&csrf=old",
        ),
    )
    .await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert!(
        expired.body.contains("resté ouvert trop longtemps")
            && expired.body.contains("value=\"h1\""),
        "{}",
        expired.body
    );
    // Logging out says so.
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    let csrf = csrf_of(&send(&r, get("/home", &session)).await.body);
    let out = send(&r, post_form("/logout", &session, &format!("csrf={csrf}"))).await;
    let to = out.header("location").unwrap().to_string();
    let bye = send(&r, get(&to, "")).await;
    assert!(bye.body.contains("Vous êtes déconnecté"), "{}", bye.body);
}

#[tokio::test]
async fn the_language_is_kept_on_the_profile() {
    let w = world();
    let r = router(&w);
    let laptop = login(&r, "h1", &pw("h1")).await.unwrap();
    let switched = send(&r, get("/lang/nl?next=/home", &laptop)).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    // Another device, without the language cookie, reads Dutch.
    let phone = login(&r, "h1", &pw("h1")).await.unwrap();
    let home = send(&r, get("/home", &phone)).await;
    assert!(home.body.contains("lang=\"nl\""), "{}", &home.body[..200]);
}

#[tokio::test]
async fn static_files_and_api_answers_are_gzipped_and_pages_are_not() {
    use std::io::Read;
    let w = world();
    let r = router(&w);
    let req = Request::get("/static/uPlot.iife.min.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let reply = send(&r, req).await;
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    let plain = send(
        &r,
        Request::get("/static/uPlot.iife.min.js")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        plain.header("content-encoding"),
        None,
        "only for clients that ask"
    );
    let session = login(&r, "h1", &pw("h1")).await.unwrap();
    let mut page = get("/home", &session);
    page.headers_mut()
        .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
    let page = send(&r, page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-encoding"),
        None,
        "a page with a CSRF token stays plain"
    );
    // The gzipped library inflates to the file itself.
    use tower::ServiceExt;
    let req = Request::get("/static/uPlot.iife.min.js")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let response = r.clone().oneshot(req).await.unwrap();
    let raw = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(
        raw.len() * 2 < plain.body.len(),
        "{} bytes gzipped",
        raw.len()
    );
    let mut inflated = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut inflated)
        .unwrap();
    assert_eq!(inflated, plain.body);
}

#[tokio::test]
async fn the_app_installs_with_a_manifest_and_its_icons() {
    use tower::ServiceExt;
    let w = world();
    let r = router(&w);
    let page = send(&r, get("/login", "")).await;
    assert!(page
        .body
        .contains("rel=\"manifest\" href=\"/static/manifest.webmanifest\""));
    let manifest = send(
        &r,
        Request::get("/static/manifest.webmanifest")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(manifest.status, StatusCode::OK);
    assert_eq!(
        manifest.header("content-type"),
        Some("application/manifest+json")
    );
    let m = manifest.json();
    assert_eq!(m["start_url"], "/");
    assert_eq!(m["display"], "standalone");
    let icons = m["icons"].as_array().unwrap();
    assert!(icons.iter().any(|i| i["purpose"] == "maskable"));
    for icon in icons
        .iter()
        .chain([&serde_json::json!({ "src": "/static/icon-180.png", "sizes": "180x180" })])
    {
        let src = icon["src"].as_str().unwrap();
        let response = r
            .clone()
            .oneshot(Request::get(src).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{src}");
        assert_eq!(response.headers()["content-type"], "image/png", "{src}");
        let png = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&png[1..4], b"PNG", "{src}");
        let (width, height) = (
            u32::from_be_bytes(png[16..20].try_into().unwrap()),
            u32::from_be_bytes(png[20..24].try_into().unwrap()),
        );
        assert_eq!(
            format!("{width}x{height}"),
            icon["sizes"].as_str().unwrap(),
            "{src}"
        );
    }
}

fn link_of(body: &str) -> String {
    let url = body
        .split("id=\"new-link\">")
        .nth(1)
        .expect("the new link is shown")
        .split('<')
        .next()
        .unwrap();
    url.split_once("/welcome/")
        .map(|(_, s)| format!("/welcome/{s}"))
        .expect("a welcome link")
}

/// Chooses a password through a one-time link, as the person holding it would.
async fn choose_password(r: &axum::Router, link: &str, password: &str, confirm: &str) -> Reply {
    let form = send(r, get(link, "")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(form.header("cache-control"), Some("no-store"));
    assert_eq!(
        form.header("referrer-policy"),
        Some("same-origin"),
        "the link never leaves for another site"
    );
    let csrf = form.cookie("voisins_login_csrf").expect("form cookie");
    let body = format!(
        "csrf={csrf}&password={}&confirm={}",
        testkit::http::urlencode(password),
        testkit::http::urlencode(confirm)
    );
    send(
        r,
        post_form(link, &format!("voisins_login_csrf={csrf}"), &body),
    )
    .await
}

#[tokio::test]
async fn a_coordinator_invites_a_resident_who_chooses_a_password_once() {
    let w = world();
    let r = router(&w);
    let member = w.members[2];
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let settings = format!("/members/{member}/settings");
    let csrf = csrf_of(&send(&r, get(&settings, &coord)).await.body);
    let invited = send(
        &r,
        post_form(
            &format!("/members/{member}/accounts"),
            &coord,
            &format!("csrf={csrf}&name=Lina+Haddad&login=Lina.H&role=resident"),
        ),
    )
    .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.body);
    assert_eq!(invited.header("cache-control"), Some("no-store"));
    assert!(
        invited.body.contains("Invitation pour « lina.h »"),
        "{}",
        invited.body
    );
    let link = link_of(&invited.body);
    // Shown once: the settings page lists the account as invited, without the link.
    let page = send(&r, get(&settings, &coord)).await.body;
    assert!(page.contains("lina.h") && page.contains("invité, lien valable jusqu"));
    assert!(!page.contains(&link));
    // Until the link is used the account cannot sign in, whatever the password.
    assert!(login(&r, "lina.h", "").await.is_err());
    // Bad choices are said in words, and the link still works after them.
    let short = choose_password(&r, &link, "court", "court").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("Au moins 10 caractères"),
        "{}",
        short.body
    );
    let differ = choose_password(&r, &link, "une longue phrase", "une autre phrase").await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.body.contains("ne sont pas les mêmes"));
    // A form whose token is forged shows the form again.
    let forged = send(
        &r,
        post_form(
            &link,
            "voisins_login_csrf=forged",
            "csrf=forged&password=une+longue+phrase&confirm=une+longue+phrase",
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("Réessayez"));
    let chosen = choose_password(&r, &link, "une longue phrase", "une longue phrase").await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    assert_eq!(chosen.header("location"), Some("/home"));
    let session = chosen.cookie("voisins_session").expect("signed in");
    let home = send(&r, get("/home", &format!("voisins_session={session}"))).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("Household 3"),
        "the invited member's home"
    );
    // The link served once.
    let again = send(&r, get(&link, "")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.body.contains("Ce lien a expiré ou a déjà servi"));
    let unknown = send(&r, get(&link.replace("/welcome/", "/welcome/x"), "")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "an unknown link");
    assert!(login(&r, "lina.h", "une longue phrase").await.is_ok());
    // The member reads both steps in its log.
    let log = send(&r, get("/audit", &format!("voisins_session={session}")))
        .await
        .body;
    assert!(
        log.contains("Coordination a invité « lina.h » (résident).")
            && log.contains("Lina Haddad a choisi son mot de passe"),
        "{log}"
    );
    // A taken login is refused in words.
    let taken = send(
        &r,
        post_form(
            &format!("/members/{member}/accounts"),
            &coord,
            &format!("csrf={csrf}&name=Autre&login=h1&role=resident"),
        ),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
}

#[tokio::test]
async fn a_reset_link_replaces_the_password_and_ends_the_old_sessions() {
    let w = world();
    let r = router(&w);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let old = login(&r, "h1", &pw("h1")).await.unwrap();
    let settings = format!("/members/{}/settings", w.members[0]);
    let page = send(&r, get(&settings, &coord)).await.body;
    let csrf = csrf_of(&page);
    let user = w
        .app()
        .list_users()
        .unwrap()
        .into_iter()
        .find(|u| u.login == "h1")
        .unwrap()
        .id;
    let made = send(
        &r,
        post_form(
            &format!("/accounts/{user}/reset"),
            &coord,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let first = link_of(&made.body);
    // A second link cancels the first; the current password keeps working meanwhile.
    let made = send(
        &r,
        post_form(
            &format!("/accounts/{user}/reset"),
            &coord,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    let link = link_of(&made.body);
    assert_eq!(
        send(&r, get(&first, "")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(send(&r, get("/home", &old)).await.status, StatusCode::OK);
    let chosen = choose_password(
        &r,
        &link,
        "nouvelle phrase secrète",
        "nouvelle phrase secrète",
    )
    .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&r, get("/home", &old)).await.status,
        StatusCode::SEE_OTHER,
        "the old session ended"
    );
    assert!(login(&r, "h1", &pw("h1")).await.is_err());
    assert!(login(&r, "h1", "nouvelle phrase secrète").await.is_ok());
    // A resident cannot make links, even with their own valid form token.
    let resident = login(&r, "h2", &pw("h2")).await.unwrap();
    let rcsrf = csrf_of(&send(&r, get("/home", &resident)).await.body);
    for (path, body) in [
        (format!("/accounts/{user}/reset"), String::new()),
        (
            format!("/accounts/{user}/role"),
            "&role=coordinator".to_string(),
        ),
        (
            format!("/members/{}/accounts", w.members[1]),
            "&name=X&login=x&role=coordinator".to_string(),
        ),
        (
            format!("/members/{}/active", w.members[0]),
            "&active=false".to_string(),
        ),
    ] {
        let reply = send(
            &r,
            post_form(&path, &resident, &format!("csrf={rcsrf}{body}")),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        let anonymous = send(&r, post_form(&path, "", &format!("csrf={rcsrf}{body}"))).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
    }
    // An account id that is not one is not found.
    let reply = send(
        &r,
        post_form("/accounts/999999/reset", &coord, &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn roles_change_from_the_browser_within_the_rules() {
    let w = world();
    let r = router(&w);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let csrf = csrf_of(&send(&r, get("/members", &coord)).await.body);
    let users = w.app().list_users().unwrap();
    let id = |login: &str| users.iter().find(|u| u.login == login).unwrap().id;
    let h2 = login(&r, "h2", &pw("h2")).await.unwrap();
    assert_eq!(
        send(&r, get("/members", &h2)).await.status,
        StatusCode::FORBIDDEN
    );
    let promoted = send(
        &r,
        post_form(
            &format!("/accounts/{}/role", id("h2")),
            &coord,
            &format!("csrf={csrf}&role=coordinator"),
        ),
    )
    .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER, "{}", promoted.body);
    // The new role applies from the next sign-in; the old session ended.
    assert_eq!(
        send(&r, get("/members", &h2)).await.status,
        StatusCode::SEE_OTHER
    );
    let h2 = login(&r, "h2", &pw("h2")).await.unwrap();
    assert_eq!(send(&r, get("/members", &h2)).await.status, StatusCode::OK);
    // Nobody becomes an operator from a coordinator's hands, and a role must exist.
    for role in ["operator", "admin"] {
        let reply = send(
            &r,
            post_form(
                &format!("/accounts/{}/role", id("h3")),
                &coord,
                &format!("csrf={csrf}&role={role}"),
            ),
        )
        .await;
        assert!(
            reply.status == StatusCode::FORBIDDEN || reply.status == StatusCode::BAD_REQUEST,
            "{role}: {}",
            reply.status
        );
    }
    // An account without a member cannot become a resident.
    let reply = send(
        &r,
        post_form(
            &format!("/accounts/{}/role", id("coord")),
            &coord,
            &format!("csrf={csrf}&role=resident"),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("needs the member"), "{}", reply.body);
    let log = send(&r, get("/audit", &coord)).await.body;
    assert!(
        log.contains("a changé le rôle de « h2 » : résident → coordinateur."),
        "{log}"
    );
}

#[tokio::test]
async fn a_member_who_leaves_keeps_their_data_and_their_accounts_stop_signing_in() {
    let w = world();
    let r = router(&w);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let h1 = login(&r, "h1", &pw("h1")).await.unwrap();
    let member = w.members[0];
    let csrf = csrf_of(&send(&r, get("/members", &coord)).await.body);
    let left = send(
        &r,
        post_form(
            &format!("/members/{member}/active"),
            &coord,
            &format!("csrf={csrf}&active=false"),
        ),
    )
    .await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{}", left.body);
    assert_eq!(
        send(&r, get("/home", &h1)).await.status,
        StatusCode::SEE_OTHER
    );
    let refused = login(&r, "h1", &pw("h1")).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("a quitté la communauté"),
        "{}",
        refused.body
    );
    // The member's read token stops too.
    let token = format!("Bearer {}", w.read_tokens[0]);
    assert_eq!(
        send(&r, get_auth("/api/v1/me/live", &token)).await.status,
        StatusCode::FORBIDDEN
    );
    let list = send(&r, get("/members", &coord)).await.body;
    assert!(list.contains(">parti</span>"), "the list says who left");
    let page = send(&r, get(&format!("/members/{member}/settings"), &coord))
        .await
        .body;
    assert!(page.contains("Ce membre a quitté la communauté le"));
    // Back again: the accounts sign in as before.
    let back = send(
        &r,
        post_form(
            &format!("/members/{member}/active"),
            &coord,
            &format!("csrf={csrf}&active=true"),
        ),
    )
    .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let h1 = login(&r, "h1", &pw("h1")).await.unwrap();
    let log = send(&r, get("/audit", &h1)).await.body;
    assert!(
        log.contains("a marqué « Household 1 » comme parti")
            && log.contains("a réactivé « Household 1 »"),
        "{log}"
    );
}

#[tokio::test]
async fn the_members_list_says_today_s_energy_and_coverage_within_consent() {
    let w = world();
    let r = router(&w);
    let coord = login(&r, "coord", &pw("coord")).await.unwrap();
    let list = send(&r, get("/members", &coord))
        .await
        .body
        .replace("&#x27;", "'");
    let row = |name: &str| {
        list.split("<tr>")
            .find(|row| row.contains(&format!(">{name}<")))
            .unwrap_or_else(|| panic!("a row for {name}"))
            .to_string()
    };
    // Noon: 48 complete quarter-hours today. Household 1 shares its curve: 100 W for the last
    // hour is 100 Wh; its production channel sent nothing, so no quarter-hour is complete.
    let h1 = row("Household 1");
    assert!(h1.contains("100 Wh"), "{h1}");
    assert!(h1.contains("0 / 48 quarts d'heure reçus"), "{h1}");
    // Household 2 keeps its curve private: no energy, but its data arrived for 4 quarter-hours.
    let h2 = row("Household 2");
    assert!(h2.contains("courbe privée") && !h2.contains("Wh"), "{h2}");
    assert!(h2.contains("4 / 48 quarts d'heure reçus"), "{h2}");
}

#[tokio::test]
async fn influxdb_clients_find_a_server_that_answers_like_influxdb() {
    let w = world();
    let r = router(&w);
    let ping = send(&r, get("/ping", "")).await;
    assert_eq!(ping.status, StatusCode::NO_CONTENT);
    assert_eq!(ping.header("x-influxdb-version"), Some("1.8.10"));
    let head = send(&r, Request::head("/ping").body(Body::empty()).unwrap()).await;
    assert_eq!(head.status, StatusCode::NO_CONTENT);
    // Every answer carries the version, errors too.
    assert!(send(&r, get("/no-such", ""))
        .await
        .header("x-influxdb-version")
        .is_some());

    // Without credentials, a Basic challenge, as InfluxDB sends.
    for reply in [
        send(&r, get("/query?q=SHOW+DATABASES", "")).await,
        send(&r, post("/write", None, "power,sensor=h1c value=1 1")).await,
    ] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"InfluxDB\"")
        );
        assert!(reply.json()["error"].is_string(), "{}", reply.body);
    }
    let wrong = send(&r, get("/query?q=SHOW+DATABASES&u=x&p=wrong", "")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json(),
        serde_json::json!({ "error": "authorization failed" })
    );

    // With a token as the password: the statements clients send at start-up.
    let token = &w.community_token;
    let dbs = send(
        &r,
        get(
            &format!("/query?q=SHOW+DATABASES&db=home_assistant&u=ha&p={token}"),
            "",
        ),
    )
    .await;
    assert_eq!(dbs.status, StatusCode::OK, "{}", dbs.body);
    assert_eq!(
        dbs.json(),
        serde_json::json!({ "results": [{ "statement_id": 0, "series": [{ "name": "databases", "columns": ["name"], "values": [["voisins"], ["home_assistant"]] }] }] })
    );
    // Telegraf posts CREATE DATABASE as a form, with Basic credentials.
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("telegraf:{token}"))
    );
    let created = send(
        &r,
        Request::post("/query")
            .header(header::AUTHORIZATION, &basic)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("q=CREATE+DATABASE+%22telegraf%22"))
            .unwrap(),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(
        created.json(),
        serde_json::json!({ "results": [{ "statement_id": 0 }] })
    );
    // Home Assistant's read test, then a query Voisins does not answer, in InfluxDB's words.
    let both = send(
        &r,
        get_auth(
            "/query?q=SHOW+SERIES+LIMIT+1%3B+SELECT+*+FROM+W&db=home_assistant",
            &format!("Token {token}"),
        ),
    )
    .await;
    let results = both.json()["results"].clone();
    assert_eq!(results[0], serde_json::json!({ "statement_id": 0 }));
    assert!(results[1]["error"]
        .as_str()
        .unwrap()
        .contains("Voisins only receives data"));
    let missing = send(&r, get_auth("/query", &format!("Token {token}"))).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);

    // A text sensor's line (string fields only) is valid: the batch is stored, the line is
    // counted as ignored.
    let body = format!(
        "power,sensor=h1c value=640i {ns}\nstatus,sensor=washer state=\"running\" {ns}",
        ns = NOW_MS * 1_000_000
    );
    let auth = format!("Token {}", w.meter_tokens[0]);
    let written = send(&r, post("/write", Some(&auth), body)).await;
    assert_eq!(written.status, StatusCode::NO_CONTENT, "{}", written.body);
    assert_eq!(written.header("x-voisins-ignored-lines"), Some("1"));
    let last = w
        .store
        .read(|tx| tx.points().last(w.consumption[0], 1, NOW_MS + 1))
        .unwrap();
    assert_eq!(
        last.last().map(|p| (p.ts_ms, p.value)),
        Some((NOW_MS, 640.0))
    );

    // API v2: the same lines, errors in InfluxDB 2's shape, good lines kept.
    let v2 = send(
        &r,
        post(
            "/api/v2/write?org=voisins&bucket=home&precision=s",
            Some(&auth),
            format!(
                "power,sensor=h1c value=650i {}\npower,sensor=h1c value=oops {}",
                NOW_MS / 1000 + 8,
                NOW_MS / 1000 + 16
            ),
        ),
    )
    .await;
    assert_eq!(v2.status, StatusCode::BAD_REQUEST, "{}", v2.body);
    let body = v2.json();
    assert_eq!(body["code"], "invalid", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("line 2"),
        "{body}"
    );
    let last = w
        .store
        .read(|tx| tx.points().last(w.consumption[0], 1, NOW_MS + 60_000))
        .unwrap();
    assert_eq!(
        last.last().map(|p| (p.ts_ms, p.value)),
        Some((NOW_MS + 8000, 650.0))
    );
    let anonymous = send(&r, post("/api/v2/write?bucket=b", None, "x value=1")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["code"], "unauthorized");
}
