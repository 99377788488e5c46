//! The web edge through `router().oneshot()`: login, pages in three languages, CSRF, access
//! rules (resident A never reads resident B), write tokens and partial writes.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use domain::{ChannelKind, MemberKind, Point, Role, Unit};
use store::{ChannelPoints, NewChannel, NewUser, Store, StoreSettings, TokenScope};
use tower::ServiceExt;

const NOW_MS: i64 = 1_714_557_600_000; // 2024-05-01T10:00:00Z

struct World {
    _dir: TempDir,
    store: Arc<Store>,
    router: axum::Router,
    member_a: i64,
    member_b: i64,
    meter_a: i64,
    read_token_a: String,
    meter_token_a: String,
    community_token: String,
}

struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn token(store: &Store, community: i64, scope: TokenScope) -> String {
    let t = app::auth::new_secret();
    store
        .create_token(&app::auth::secret_hash(&t), community, scope, "test")
        .unwrap();
    t
}

fn world() -> World {
    let dir = std::env::temp_dir().join(format!(
        "voisins-web-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open_sqlite(&dir.join("v.db"), StoreSettings::default()).unwrap());
    let c = store
        .create_community("Test", "Europe/Brussels", 300_000)
        .unwrap();
    let member_a = store
        .add_member(c, "Alice", MemberKind::Household, true)
        .unwrap();
    let member_b = store
        .add_member(c, "Bob", MemberKind::Household, false)
        .unwrap();
    let meter_a = store.add_meter(c, Some(member_a), "flukso-a").unwrap();
    let meter_b = store.add_meter(c, Some(member_b), "flukso-b").unwrap();
    let mut users = Vec::new();
    for (login, role, member) in [
        ("alice", Role::Resident, Some(member_a)),
        ("bob", Role::Resident, Some(member_b)),
        ("coord", Role::Coordinator, None),
    ] {
        users.push(
            store
                .create_user(&NewUser {
                    community_id: c,
                    login: login.into(),
                    display_name: login.into(),
                    password_hash: app::auth::hash_password(&format!("{login}-password")),
                    role,
                    member_id: member,
                    lang: "fr".into(),
                })
                .unwrap(),
        );
    }
    for (meter, key, value) in [(meter_a, "a-cons", 500.0), (meter_b, "b-cons", 900.0)] {
        let ch = store
            .add_channel(&NewChannel {
                community_id: c,
                meter_id: Some(meter),
                series_key: key.into(),
                unit: Unit::Watt,
                kind: Some(ChannelKind::Consumption),
                phase: None,
                valid_from_ms: 0,
            })
            .unwrap();
        let points = (0..450)
            .map(|i| Point {
                ts_ms: NOW_MS - 3_600_000 + i * 8000,
                value,
            })
            .collect();
        store
            .write_points(
                &[ChannelPoints {
                    channel_id: ch,
                    points,
                }],
                NOW_MS,
            )
            .unwrap();
    }
    let read_token_a = token(&store, c, TokenScope::UserRead { user_id: users[0] });
    let meter_token_a = token(&store, c, TokenScope::MeterWrite { meter_id: meter_a });
    let community_token = token(&store, c, TokenScope::CommunityWrite);
    let state =
        web::AppState::new(store.clone(), web::WebConfig::new(c), Arc::new(|| NOW_MS)).unwrap();
    World {
        _dir: TempDir(dir),
        store,
        router: web::router(state),
        member_a,
        member_b,
        meter_a,
        read_token_a,
        meter_token_a,
        community_token,
    }
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(w: &World, req: Request<Body>) -> Reply {
    let response = w.router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).replace("&#x2f;", "/"), // templates escape "/" in attributes
    }
}

fn get(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn get_auth(uri: &str, auth: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, auth)
        .body(Body::empty())
        .unwrap()
}

fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|r| r.split(';').next().unwrap().to_string())
        })
}

/// Logs in and returns the session cookie header value.
async fn login(w: &World, user: &str, password: &str) -> Result<String, Reply> {
    let form = send(w, get("/login", "")).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = set_cookie(&form, "voisins_login_csrf").expect("login CSRF cookie");
    assert!(form.body.contains(&csrf), "the form carries the CSRF token");
    let body = format!("login={user}&password={password}&csrf={csrf}");
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("voisins_login_csrf={csrf}"))
        .body(Body::from(body))
        .unwrap();
    let reply = send(w, req).await;
    match set_cookie(&reply, "voisins_session").filter(|s| !s.is_empty()) {
        Some(session) => Ok(format!("voisins_session={session}")),
        None => Err(reply),
    }
}

#[tokio::test]
async fn resident_logs_in_and_sees_home_in_three_languages() {
    let w = world();
    let session = login(&w, "alice", "alice-password").await.unwrap();
    let home = send(&w, get("/home", &session)).await;
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
    assert!(home.body.contains("500 W"), "live power of Alice");
    assert!(!home.body.contains("900 W"), "nothing of Bob");
    for (lang, text) in [("nl", "Mijn woning"), ("en", "My home")] {
        let page = send(&w, get("/home", &format!("{session}; voisins_lang={lang}"))).await;
        assert!(page.body.contains(text), "{lang}");
        assert!(page.body.contains(&format!("lang=\"{lang}\"")));
    }
    let community = send(&w, get("/community", &session)).await;
    assert_eq!(community.status, StatusCode::OK);
    assert!(
        community.body.contains("Taux d&#x27;autoconsommation")
            || community.body.contains("Taux d'autoconsommation"),
        "{}",
        community.body
    );
    assert_eq!(
        send(&w, get(&format!("/members/{}", w.member_b), &session))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "Alice never sees Bob's page"
    );
    assert_eq!(
        send(&w, get(&format!("/members/{}", w.member_a), &session))
            .await
            .status,
        StatusCode::OK,
        "her own page"
    );
    let members = send(&w, get("/members", &session)).await;
    assert_eq!(
        members.status,
        StatusCode::FORBIDDEN,
        "residents do not see the member list"
    );
    let anonymous = send(&w, get("/home", "")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn coordinator_sees_members_and_last_contact() {
    let w = world();
    let session = login(&w, "coord", "coord-password").await.unwrap();
    let page = send(&w, get("/members", &session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let (a, b) = (w.member_a, w.member_b);
    assert!(
        page.body.contains(&format!("href=\"/members/{a}\"")),
        "Alice consented: her name links to her curve"
    );
    assert!(
        !page.body.contains(&format!("href=\"/members/{b}\"")),
        "Bob did not"
    );
    let alice = send(&w, get(&format!("/members/{a}"), &session)).await;
    assert_eq!(alice.status, StatusCode::OK);
    assert!(
        alice.body.contains("Alice")
            && alice.body.contains("Courbe de charge")
            && alice.body.contains("500 W")
    );
    assert_eq!(
        send(&w, get(&format!("/members/{b}"), &session))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(page.body.contains("flukso-a") && page.body.contains("Bob"));
    assert!(
        page.body.contains("instant"),
        "last contact shown relative to now"
    );
}

#[tokio::test]
async fn wrong_password_and_missing_csrf_are_refused() {
    let w = world();
    let reply = login(&w, "alice", "nope").await.unwrap_err();
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("Identifiant ou mot de passe incorrect"));
    let forged = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("login=alice&password=alice-password&csrf=x"))
        .unwrap();
    assert_eq!(send(&w, forged).await.status, StatusCode::FORBIDDEN);
    let session = login(&w, "alice", "alice-password").await.unwrap();
    let logout = Request::post("/logout")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &session)
        .body(Body::from("csrf=wrong"))
        .unwrap();
    assert_eq!(
        send(&w, logout).await.status,
        StatusCode::FORBIDDEN,
        "logout needs the session's CSRF token"
    );
    assert_eq!(
        send(&w, get("/home", &session)).await.status,
        StatusCode::OK,
        "still logged in"
    );
}

#[tokio::test]
async fn resident_a_cannot_read_resident_b() {
    let w = world();
    let alice = login(&w, "alice", "alice-password").await.unwrap();
    let (a, b) = (w.member_a, w.member_b);
    for uri in [
        format!("/api/v1/members/{b}/curve"),
        format!("/api/v1/members/{b}/live"),
        "/api/v1/members".to_string(),
    ] {
        assert_eq!(
            send(&w, get(&uri, &alice)).await.status,
            StatusCode::FORBIDDEN,
            "session: {uri}"
        );
        let bearer = format!("Bearer {}", w.read_token_a);
        assert_eq!(
            send(&w, get_auth(&uri, &bearer)).await.status,
            StatusCode::FORBIDDEN,
            "token: {uri}"
        );
    }
    let own = send(&w, get("/api/v1/me/live", &alice)).await;
    assert_eq!(own.status, StatusCode::OK);
    let live: serde_json::Value = serde_json::from_str(&own.body).unwrap();
    assert_eq!(live["power_w"], 500.0);
    let curve = send(
        &w,
        get(&format!("/api/v1/members/{a}/curve?range=day"), &alice),
    )
    .await;
    assert_eq!(curve.status, StatusCode::OK);
    let curve: serde_json::Value = serde_json::from_str(&curve.body).unwrap();
    let values: Vec<f64> = curve["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert!(
        !values.is_empty() && values.iter().all(|v| *v == 500.0),
        "only Alice's 500 W, never Bob's 900 W: {values:?}"
    );
    // Coordinators: individual curves only with consent (Alice yes, Bob no).
    let coord = login(&w, "coord", "coord-password").await.unwrap();
    assert_eq!(
        send(&w, get(&format!("/api/v1/members/{a}/curve"), &coord))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&w, get(&format!("/api/v1/members/{b}/curve"), &coord))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Write tokens never read; no credentials is 401.
    assert_eq!(
        send(
            &w,
            get_auth("/api/v1/me", &format!("Token {}", w.meter_token_a))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&w, get("/api/v1/me", "")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&w, get_auth("/api/v1/me", "Bearer not-a-token"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // CSV download of one's own curve.
    let csv = send(&w, get("/api/v1/me/curve?range=day&format=csv", &alice)).await;
    assert!(
        csv.body.starts_with("timestamp,consumption_w\n"),
        "{}",
        csv.body
    );
}

fn write(uri: &str, auth: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post(uri);
    if let Some(a) = auth {
        r = r.header(header::AUTHORIZATION, a);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn writes_need_the_right_token_and_keep_good_lines() {
    let w = world();
    let line = format!("power,sensor=a-cons value=700i {}", NOW_MS * 1_000_000);
    assert_eq!(
        send(&w, write("/write", None, &line)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&w, write("/write", Some("Token wrong"), &line))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(
            &w,
            write("/write", Some(&format!("Bearer {}", w.read_token_a)), &line)
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "a read token cannot write"
    );
    let other = format!("power,sensor=b-cons value=1i {}", NOW_MS * 1_000_000);
    assert_eq!(
        send(
            &w,
            write(
                "/write",
                Some(&format!("Token {}", w.meter_token_a)),
                &other
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "meter A's token cannot write meter B's channel"
    );
    assert_eq!(
        send(
            &w,
            write("/write", Some(&format!("Token {}", w.meter_token_a)), &line)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // InfluxDB-style credentials in the query string.
    let q = format!("/write?u=meter&p={}&precision=s", w.meter_token_a);
    assert_eq!(
        send(
            &w,
            write(
                &q,
                None,
                &format!("power,sensor=a-cons value=710i {}", NOW_MS / 1000 + 8)
            )
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );

    // A batch with bad lines: they are named, the good ones are stored.
    let t = NOW_MS * 1_000_000;
    let body = format!("power,sensor=new1 value=5i {}\npower,sensor=new1 value=oops {}\ngarbage\npower,sensor=new1 value=6i {}\n", t + 16_000_000_000, t + 24_000_000_000, t + 32_000_000_000);
    let reply = send(
        &w,
        write(
            "/write",
            Some(&format!("Token {}", w.community_token)),
            &body,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body.contains("partial write")
            && reply.body.contains("line 2")
            && reply.body.contains("line 3")
            && reply.body.contains("dropped=2"),
        "{}",
        reply.body
    );
    let channel = w
        .store
        .channel_by_key(w.store.communities().unwrap()[0].id, "new1")
        .unwrap()
        .expect("unknown series registered");
    assert!(channel.configs.is_empty(), "registered unassigned");
    assert_eq!(
        w.store.raw_points(channel.id, 0, i64::MAX).unwrap().len(),
        2,
        "good lines kept"
    );

    // Impossible clocks are refused and named.
    let reply = send(
        &w,
        write(
            "/write?precision=s",
            Some(&format!("Token {}", w.community_token)),
            "power,sensor=new1 value=1i 1000000000",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body.contains("impossible timestamp"),
        "{}",
        reply.body
    );

    // JSON batches.
    let json = format!(
        r#"{{"readings":[{{"channel":"a-cons","points":[[{}, 650]]}}]}}"#,
        NOW_MS / 1000 + 40
    );
    let reply = send(
        &w,
        Request::post("/api/v1/readings")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.meter_token_a))
            .body(Body::from(json))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let bad = send(
        &w,
        Request::post("/api/v1/readings")
            .header(header::AUTHORIZATION, format!("Bearer {}", w.meter_token_a))
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("readings"), "{}", bad.body);
    assert_eq!(
        w.store.meter(w.meter_a).unwrap().last_contact_ms,
        Some(NOW_MS)
    );
}

#[tokio::test]
async fn every_api_route_is_documented() {
    let w = world();
    let reply = send(&w, get("/api/v1/openapi.json", "")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let router_source = include_str!("../src/lib.rs");
    let mut routes = 0;
    for line in router_source
        .lines()
        .filter(|l| l.contains(".route(\"/api/") || l.contains(".route(\"/write\""))
    {
        let path = line.split('"').nth(1).unwrap();
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is served but not in openapi.json"
        );
        routes += 1;
    }
    assert!(routes >= 10, "{routes} routes found");
}
