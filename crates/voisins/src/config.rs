//! Configuration in two phases: the raw file (serde, unknown keys rejected) and the validated
//! `Config` whose sections are handed to each part.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

pub const EXAMPLE: &str = include_str!("../../../config/example.toml");

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    server: RawServer,
    store: RawStore,
    community: RawCommunity,
    ingest: RawIngest,
    web: RawWeb,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    listen: String,
    cookie_secure: bool,
    session_hours: i64,
    max_body_mib: usize,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            cookie_secure: false,
            session_hours: 336,
            max_body_mib: 64,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    url: String,
    raw_retention_days: u32,
    sqlite_cache_mib: u32,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            url: "sqlite:data/voisins.db".into(),
            raw_retention_days: 0,
            sqlite_cache_mib: 8,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCommunity {
    name: String,
    timezone: String,
    max_gap_minutes: i64,
}

impl Default for RawCommunity {
    fn default() -> Self {
        RawCommunity {
            name: "Ma communauté d'énergie".into(),
            timezone: "Europe/Brussels".into(),
            max_gap_minutes: 5,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIngest {
    series_tag: String,
}

impl Default for RawIngest {
    fn default() -> Self {
        RawIngest {
            series_tag: "sensor".into(),
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
            silent_after_minutes: 30,
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
    pub web: WebSection,
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
            .field("web", &self.web)
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

#[derive(Debug, Clone)]
pub struct WebSection {
    pub cookie_secure: bool,
    pub session_hours: i64,
    pub series_tag: String,
    pub i18n_dir: Option<PathBuf>,
    pub silent_after_minutes: i64,
    pub max_body_bytes: usize,
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        Config::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .with_context(|| format!("config {}", path.display()))
    }

    /// Parses and validates; relative paths are relative to `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(text)?;
        let listen: SocketAddr = raw.server.listen.parse().with_context(|| {
            format!(
                "[server] listen = '{}' is not ADDRESS:PORT",
                raw.server.listen
            )
        })?;
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
        if raw.server.session_hours < 1 {
            bail!("[server] session_hours must be at least 1");
        }
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
        let i18n_dir = (!raw.web.i18n_dir.is_empty()).then(|| base_dir.join(&raw.web.i18n_dir));
        Ok(Config {
            listen,
            store_url,
            store: store::StoreSettings {
                raw_retention_days: (raw.store.raw_retention_days > 0)
                    .then_some(raw.store.raw_retention_days),
                sqlite_cache_kib: raw.store.sqlite_cache_mib * 1024,
            },
            community_name: raw.community.name,
            timezone: raw.community.timezone,
            max_gap_ms: raw.community.max_gap_minutes * 60_000,
            web: WebSection {
                cookie_secure: raw.server.cookie_secure,
                session_hours: raw.server.session_hours,
                series_tag: raw.ingest.series_tag,
                i18n_dir,
                silent_after_minutes: raw.web.silent_after_minutes,
                max_body_bytes: raw.server.max_body_mib * 1024 * 1024,
            },
        })
    }

    /// Opens the store and makes sure the community exists; returns its id.
    pub fn open_store(&self) -> anyhow::Result<(store::Store, i64)> {
        let store = store::Store::open(&self.store_url, self.store.clone())
            .with_context(|| format!("opening store {}", self.store_url))?;
        let community_id = match store.communities()?.first() {
            Some(c) => c.id,
            None => {
                store.create_community(&self.community_name, &self.timezone, self.max_gap_ms)?
            }
        };
        Ok((store, community_id))
    }

    pub fn web_config(&self, community_id: i64) -> web::WebConfig {
        let mut w = web::WebConfig::new(community_id);
        w.cookie_secure = self.web.cookie_secure;
        w.session_hours = self.web.session_hours;
        w.series_tag = self.web.series_tag.clone();
        w.i18n_dir = self.web.i18n_dir.clone();
        w.silent_after_minutes = self.web.silent_after_minutes;
        w.max_body_bytes = self.web.max_body_bytes;
        w
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
        let err =
            Config::parse("[community]\ntimezone = \"Mars/Olympus\"", Path::new(".")).unwrap_err();
        assert!(format!("{err:#}").contains("Mars/Olympus"), "{err:#}");
        let err = Config::parse("[server]\nlisten = \"here\"", Path::new(".")).unwrap_err();
        assert!(format!("{err:#}").contains("listen"), "{err:#}");
        let err = Config::parse("[store]\nurl = \"mysql://x\"", Path::new(".")).unwrap_err();
        assert!(format!("{err:#}").contains("mysql"), "{err:#}");
        let err = Config::parse("[server]\nport = 80", Path::new(".")).unwrap_err();
        assert!(format!("{err:#}").contains("port"), "{err:#}");
    }
}
