//! Configuration in two phases: the raw file (serde, unknown keys rejected) and the validated
//! `Config` whose sections are handed to each part; `warnings` says what is legal but unwise.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use domain::limits::PowerLimits;
use serde::Deserialize;

pub const EXAMPLE: &str = include_str!("../../../config/example.toml");

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    server: RawServer,
    store: RawStore,
    community: RawCommunity,
    ingest: RawIngest,
    limits: PowerLimits,
    privacy: RawPrivacy,
    web: RawWeb,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SecureSetting {
    Flag(bool),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    listen: String,
    cookie_secure: SecureSetting,
    session_hours: i64,
    max_body_mib: usize,
    header_read_timeout_seconds: u64,
    request_timeout_seconds: u64,
    max_connections: usize,
    max_connections_per_client: usize,
    client_address_header: String,
    password_checks_at_once: usize,
    shutdown_seconds: u64,
}

/// The defaults of the file are those of the parts it configures.
fn app_defaults() -> app::Settings {
    app::Settings::new(domain::CommunityId::new(1))
}

impl Default for RawServer {
    fn default() -> Self {
        let web = web::WebConfig::default();
        let connections = runtime::ConnectionLimits::default();
        RawServer {
            listen: "127.0.0.1:8080".into(),
            cookie_secure: SecureSetting::Word("auto".into()),
            session_hours: app_defaults().session_hours,
            max_body_mib: web.max_body_bytes / (1024 * 1024),
            header_read_timeout_seconds: web::HttpLimits::default().header_read_timeout.as_secs(),
            request_timeout_seconds: web.request_timeout.as_secs(),
            max_connections: connections.max_connections,
            max_connections_per_client: connections.max_per_client,
            client_address_header: String::new(),
            password_checks_at_once: web.hashing_concurrency,
            shutdown_seconds: connections.drain.as_secs(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    url: String,
    raw_retention_days: u32,
    sqlite_cache_mib: u32,
    read_connections: usize,
    check_at_start: bool,
}

impl Default for RawStore {
    fn default() -> Self {
        let store = store::StoreSettings::default();
        RawStore {
            url: "sqlite:data/voisins.db".into(),
            raw_retention_days: store.raw_retention_days.unwrap_or(0),
            sqlite_cache_mib: store.sqlite_cache_kib / 1024,
            read_connections: store.readers,
            check_at_start: store.check_at_open,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCommunity {
    name: String,
    timezone: String,
    max_gap_minutes: i64,
    counter_fill_max_hours: i64,
}

impl Default for RawCommunity {
    fn default() -> Self {
        RawCommunity {
            name: "Ma communauté d'énergie".into(),
            timezone: "Europe/Brussels".into(),
            max_gap_minutes: 5,
            counter_fill_max_hours: 168,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIngest {
    /// A template over the tags (`{sensor}`, `{_measurement}.{device}`); `series_tag = "x"`
    /// (older configurations) is the template `{x}`.
    series: String,
    series_tag: String,
    home_assistant: bool,
    new_series_per_hour: u32,
    max_unassigned_channels: i64,
    on_change_hold_minutes: i64,
}

impl Default for RawIngest {
    fn default() -> Self {
        RawIngest {
            series: String::new(),
            series_tag: String::new(),
            home_assistant: true,
            new_series_per_hour: app_defaults().new_series_per_hour,
            max_unassigned_channels: app_defaults().max_unassigned_channels,
            on_change_hold_minutes: app_defaults().on_change_hold_ms / 60_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPrivacy {
    min_group_size: usize,
}

impl Default for RawPrivacy {
    fn default() -> Self {
        RawPrivacy {
            min_group_size: app_defaults().min_group_size,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawWeb {
    i18n_dir: String,
    silent_after_minutes: i64,
}

impl Default for RawWeb {
    fn default() -> Self {
        RawWeb {
            i18n_dir: String::new(),
            silent_after_minutes: app_defaults().silent_after_minutes,
        }
    }
}

/// The validated configuration (its `Debug` hides a database password).
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub store_url: String,
    pub store: store::StoreSettings,
    pub community_name: String,
    pub timezone: String,
    pub max_gap_ms: i64,
    pub counter_fill_max_ms: i64,
    pub web: web::WebConfig,
    pub http: web::HttpLimits,
    /// Also the shutdown deadline (`drain`).
    pub connections: runtime::ConnectionLimits,
    pub session_hours: i64,
    pub min_group_size: usize,
    pub new_series_per_hour: u32,
    pub max_unassigned_channels: i64,
    pub on_change_hold_ms: i64,
    pub silent_after_minutes: i64,
    /// `cookie_secure` as written: `None` for "auto" (secure unless listening on loopback).
    cookie_secure_setting: Option<bool>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("store_url", &redact_password(&self.store_url))
            .field("store", &self.store)
            .field("community_name", &self.community_name)
            .field("timezone", &self.timezone)
            .field("max_gap_ms", &self.max_gap_ms)
            .field("counter_fill_max_ms", &self.counter_fill_max_ms)
            .field("web", &self.web)
            .field("http", &self.http)
            .field("connections", &self.connections)
            .field("session_hours", &self.session_hours)
            .field("min_group_size", &self.min_group_size)
            .field("new_series_per_hour", &self.new_series_per_hour)
            .field("max_unassigned_channels", &self.max_unassigned_channels)
            .field("on_change_hold_ms", &self.on_change_hold_ms)
            .field("silent_after_minutes", &self.silent_after_minutes)
            .field("cookie_secure_setting", &self.cookie_secure_setting)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether session cookies are marked `Secure`: as written, or ("auto") unless the server
/// listens on loopback only.
fn secure_cookies(setting: Option<bool>, listen: SocketAddr) -> bool {
    setting.unwrap_or(!listen.ip().is_loopback())
}

fn positive(value: u64, name: &str, max: u64) -> anyhow::Result<u64> {
    if !(1..=max).contains(&value) {
        bail!("{name} = {value} must be between 1 and {max}");
    }
    Ok(value)
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration {}", path.display()))?;
        Config::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .with_context(|| format!("configuration {}", path.display()))
    }

    /// Parses and validates; relative paths are relative to `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(text)?;
        let s = &raw.server;
        let listen: SocketAddr = s
            .listen
            .parse()
            .with_context(|| format!("[server] listen = '{}' is not ADDRESS:PORT", s.listen))?;
        jiff::tz::TimeZone::get(&raw.community.timezone).with_context(|| {
            format!(
                "[community] timezone = '{}' is not an IANA time zone",
                raw.community.timezone
            )
        })?;
        if !(1..=1440).contains(&raw.community.max_gap_minutes) {
            bail!(
                "[community] max_gap_minutes = {} must be between 1 and 1440",
                raw.community.max_gap_minutes
            );
        }
        if !(0..=24 * 366).contains(&raw.community.counter_fill_max_hours) {
            bail!("[community] counter_fill_max_hours must be between 0 and 8784");
        }
        if s.session_hours < 1 {
            bail!("[server] session_hours must be at least 1");
        }
        positive(s.max_body_mib as u64, "[server] max_body_mib", 1024)?;
        positive(
            s.header_read_timeout_seconds,
            "[server] header_read_timeout_seconds",
            600,
        )?;
        positive(
            s.request_timeout_seconds,
            "[server] request_timeout_seconds",
            3600,
        )?;
        positive(
            s.max_connections as u64,
            "[server] max_connections",
            1_000_000,
        )?;
        positive(
            s.max_connections_per_client as u64,
            "[server] max_connections_per_client",
            1_000_000,
        )?;
        positive(
            s.password_checks_at_once as u64,
            "[server] password_checks_at_once",
            64,
        )?;
        positive(
            raw.ingest.on_change_hold_minutes.max(0) as u64,
            "[ingest] on_change_hold_minutes",
            7 * 24 * 60,
        )?;
        positive(
            raw.store.read_connections as u64,
            "[store] read_connections",
            256,
        )?;
        if raw.privacy.min_group_size < 1 {
            bail!("[privacy] min_group_size must be at least 1");
        }
        raw.limits
            .validate()
            .map_err(|e| anyhow::anyhow!("[limits] {e}"))?;
        let cookie_secure_setting = match &s.cookie_secure {
            SecureSetting::Flag(b) => Some(*b),
            SecureSetting::Word(w) if w == "auto" => None,
            SecureSetting::Word(w) => {
                bail!("[server] cookie_secure = '{w}': true, false or \"auto\"")
            }
        };
        let store_url = match raw.store.url.strip_prefix("sqlite:") {
            Some(p) if Path::new(p).is_relative() => {
                format!("sqlite:{}", base_dir.join(p).display())
            }
            Some(_) => raw.store.url.clone(),
            None if raw.store.url.starts_with("postgres://")
                || raw.store.url.starts_with("postgresql://") =>
            {
                raw.store.url.clone()
            }
            None => bail!(
                "[store] url = '{}': expected sqlite:PATH or postgres://…",
                raw.store.url
            ),
        };
        let i18n_dir: Option<PathBuf> =
            (!raw.web.i18n_dir.is_empty()).then(|| base_dir.join(&raw.web.i18n_dir));
        let max_body_bytes = s.max_body_mib * 1024 * 1024;
        let naming = ingest::line_protocol::Naming {
            template: match (raw.ingest.series.as_str(), raw.ingest.series_tag.as_str()) {
                ("", "") => ingest::line_protocol::Naming::default().template,
                ("", tag) => ingest::line_protocol::Template::tag(tag),
                (template, "") => ingest::line_protocol::Template::parse(template)
                    .map_err(|e| anyhow::anyhow!("[ingest] series = {e}"))?,
                _ => bail!("[ingest] series and series_tag say the same thing: keep series"),
            },
            home_assistant: raw.ingest.home_assistant,
        };
        Ok(Config {
            listen,
            store_url,
            store: store::StoreSettings {
                raw_retention_days: (raw.store.raw_retention_days > 0)
                    .then_some(raw.store.raw_retention_days),
                sqlite_cache_kib: raw.store.sqlite_cache_mib * 1024,
                readers: raw.store.read_connections,
                pg_writers: raw.store.read_connections,
                check_at_open: raw.store.check_at_start,
                limits: raw.limits,
            },
            community_name: raw.community.name,
            timezone: raw.community.timezone,
            max_gap_ms: raw.community.max_gap_minutes * 60_000,
            counter_fill_max_ms: raw.community.counter_fill_max_hours * 3_600_000,
            web: web::WebConfig {
                cookie_secure: secure_cookies(cookie_secure_setting, listen),
                naming,
                i18n_dir,
                max_body_bytes,
                request_timeout: Duration::from_secs(s.request_timeout_seconds),
                client_address_header: (!s.client_address_header.is_empty())
                    .then(|| s.client_address_header.clone()),
                hashing_concurrency: s.password_checks_at_once,
                ..web::WebConfig::default()
            },
            http: web::HttpLimits {
                header_read_timeout: Duration::from_secs(s.header_read_timeout_seconds),
                ..web::HttpLimits::default()
            },
            connections: runtime::ConnectionLimits {
                max_connections: s.max_connections,
                max_per_client: s.max_connections_per_client,
                drain: Duration::from_secs(s.shutdown_seconds),
            },
            session_hours: s.session_hours,
            min_group_size: raw.privacy.min_group_size,
            new_series_per_hour: raw.ingest.new_series_per_hour,
            max_unassigned_channels: raw.ingest.max_unassigned_channels,
            on_change_hold_ms: raw.ingest.on_change_hold_minutes * 60_000,
            silent_after_minutes: raw.web.silent_after_minutes,
            cookie_secure_setting,
        })
    }

    /// The configuration serving on `addr` instead of `[server] listen` (`--listen`): an
    /// "auto" `cookie_secure` follows the address actually served.
    pub fn listening_on(mut self, addr: SocketAddr) -> Config {
        self.listen = addr;
        self.web.cookie_secure = secure_cookies(self.cookie_secure_setting, addr);
        self
    }

    /// What is legal but worth a second look.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.web.cookie_secure {
            if self.listen.ip().is_loopback() {
                out.push(format!(
                    "session cookies are not marked Secure: fine for plain HTTP on this machine ({}); behind an HTTPS proxy set [server] cookie_secure = true",
                    self.listen
                ));
            } else {
                // Only an explicit `false` leaves cookies insecure off loopback.
                out.push(format!(
                    "session cookies are not marked Secure while the server listens on {}: anyone on the network can read them unless HTTPS is in front",
                    self.listen
                ));
            }
        }
        if self.min_group_size < 5 {
            out.push(format!(
                "[privacy] min_group_size = {}: aggregates of fewer than 5 private members can be shown",
                self.min_group_size
            ));
        }
        out
    }

    /// Opens the store and makes sure the community exists; returns its id.
    pub fn open_store(&self) -> anyhow::Result<(store::Store, domain::CommunityId)> {
        let store = store::Store::open(&self.store_url, self.store.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("opening the store {}", redact_password(&self.store_url)))?;
        let existing = store
            .read(|tx| tx.communities().list())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let community = match existing.first() {
            Some(c) => {
                for w in self.creation_only_differences(c) {
                    eprintln!("warning: {w}");
                }
                if c.counter_fill_max_ms != self.counter_fill_max_ms {
                    store
                        .write(|tx| {
                            tx.communities()
                                .set_counter_fill_max(c.id, self.counter_fill_max_ms)
                        })
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
                c.id
            }
            None => store
                .write(|tx| {
                    let id = tx.communities().create(
                        &self.community_name,
                        &self.timezone,
                        self.max_gap_ms,
                    )?;
                    tx.communities()
                        .set_counter_fill_max(id, self.counter_fill_max_ms)?;
                    Ok(id)
                })
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        Ok((store, community))
    }

    /// Settings of `[community]` that apply when the community is created only, and that the
    /// file now gives differently.
    fn creation_only_differences(&self, c: &domain::Community) -> Vec<String> {
        let mut out = Vec::new();
        let mut differs = |key: &str, file: String, stored: String| {
            if file != stored {
                out.push(format!(
                    "[community] {key} = {file} applies when the community is created; it was created with {stored}, which stays"
                ));
            }
        };
        differs(
            "name",
            format!("'{}'", self.community_name),
            format!("'{}'", c.name),
        );
        differs(
            "timezone",
            format!("'{}'", self.timezone),
            format!("'{}'", c.timezone),
        );
        differs(
            "max_gap_minutes",
            (self.max_gap_ms / 60_000).to_string(),
            (c.max_gap_ms / 60_000).to_string(),
        );
        out
    }

    /// Opens the store and the use cases over it, for one command.
    pub fn open_app(&self) -> anyhow::Result<app::App> {
        let (store, community) = self.open_store()?;
        Ok(app::App::new(
            std::sync::Arc::new(store),
            std::sync::Arc::new(app::SystemClock),
            self.app_settings(community),
        ))
    }

    /// The use cases' settings for the community.
    pub fn app_settings(&self, community: domain::CommunityId) -> app::Settings {
        app::Settings {
            community_id: community,
            limits: self.store.limits,
            min_group_size: self.min_group_size,
            session_hours: self.session_hours,
            new_series_per_hour: self.new_series_per_hour,
            max_unassigned_channels: self.max_unassigned_channels,
            on_change_hold_ms: self.on_change_hold_ms,
            silent_after_minutes: self.silent_after_minutes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_and_matches_defaults() {
        let c = Config::parse(EXAMPLE, Path::new("/srv/voisins")).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.store_url, "sqlite:/srv/voisins/data/voisins.db");
        assert_eq!(c.max_gap_ms, 300_000);
        let defaults = Config::parse("", Path::new("/srv/voisins")).unwrap();
        assert_eq!(
            format!("{c:?}"),
            format!("{defaults:?}"),
            "the example shows the defaults"
        );
    }

    #[test]
    fn older_series_tag_settings_still_name_series() {
        let c = Config::parse("[ingest]\nseries_tag = \"entity_id\"", Path::new(".")).unwrap();
        assert_eq!(c.web.naming.template.to_string(), "{entity_id}");
        let c = Config::parse(
            "[ingest]\nseries = \"{_measurement}.{device}\"\nhome_assistant = false",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(c.web.naming.template.to_string(), "{_measurement}.{device}");
        assert!(!c.web.naming.home_assistant);
    }

    #[test]
    fn auto_secure_cookies_follow_the_address_served() {
        // `serve --listen 0.0.0.0:…` on the default file: cookies must be Secure.
        let c = Config::parse("", Path::new(".")).unwrap();
        assert!(!c.web.cookie_secure, "loopback by default");
        let open = c.listening_on("0.0.0.0:8080".parse().unwrap());
        assert!(open.web.cookie_secure);
        assert!(open.warnings().is_empty(), "{:?}", open.warnings());
        let back = open.listening_on("127.0.0.1:9000".parse().unwrap());
        assert!(!back.web.cookie_secure);
        assert!(back.warnings()[0].contains("127.0.0.1:9000"));
        let explicit = Config::parse("[server]\ncookie_secure = false", Path::new("."))
            .unwrap()
            .listening_on("0.0.0.0:8080".parse().unwrap());
        assert!(!explicit.web.cookie_secure);
        assert!(explicit.warnings()[0].contains("anyone on the network"));
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let c = Config::parse(
            "[store]\nurl = \"postgres://voisins:s3cret@db/voisins\"",
            Path::new("."),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("postgres://voisins:***@db/voisins"),
            "{shown}"
        );
    }

    #[test]
    fn bad_values_are_named() {
        for (text, named) in [
            ("[community]\ntimezone = \"Mars/Olympus\"", "Mars/Olympus"),
            ("[server]\nlisten = \"here\"", "listen"),
            ("[store]\nurl = \"mysql://x\"", "mysql"),
            ("[server]\nport = 80", "port"),
            ("[limits]\ncabin_kw = -1.0", "cabin_kw"),
            ("[server]\ncookie_secure = \"sometimes\"", "cookie_secure"),
            ("[privacy]\nmin_group_size = 0", "min_group_size"),
            (
                "[ingest]\nseries = \"meter\"",
                "[ingest] series = 'meter' names no tag",
            ),
            ("[ingest]\nseries = \"{sensor\"", "not closed"),
            (
                "[ingest]\nseries = \"{a}\"\nseries_tag = \"b\"",
                "series and series_tag",
            ),
        ] {
            let err = Config::parse(text, Path::new(".")).unwrap_err();
            assert!(format!("{err:#}").contains(named), "{text}: {err:#}");
        }
    }

    #[test]
    fn cookies_are_secure_unless_on_loopback_and_check_says_so() {
        let local = Config::parse("", Path::new(".")).unwrap();
        assert!(!local.web.cookie_secure);
        assert!(local.warnings().iter().any(|w| w.contains("Secure")));
        let public = Config::parse("[server]\nlisten = \"0.0.0.0:8080\"", Path::new(".")).unwrap();
        assert!(public.web.cookie_secure);
        let forced = Config::parse(
            "[server]\nlisten = \"0.0.0.0:8080\"\ncookie_secure = false",
            Path::new("."),
        )
        .unwrap();
        assert!(!forced.web.cookie_secure);
        assert!(forced
            .warnings()
            .iter()
            .any(|w| w.contains("anyone on the network")));
    }
}
