//! Use cases shared by the web server and the command line: recording readings, importing
//! files, signing in, the dashboards' figures with their access rules, and administration.
//!
//! `app` is synchronous and deterministic: every use case takes its time from the [`Clock`]
//! port, runs in one store transaction, and never spawns, sleeps or opens a socket.
//!
//! Main types: [`App`] (the use cases), [`Settings`], [`AppError`], [`access::Viewer`],
//! [`dashboard::Curve`], [`dashboard::PeriodTotals`].

pub mod access;
pub mod accounts;
pub mod admin;
pub mod auth;
pub mod coord;
pub mod dashboard;
pub mod energy;
mod flows;
pub mod housekeeping;
pub mod import;
pub mod members;
pub mod period;
pub mod ports;
pub mod record;
pub mod throttle;

use std::sync::Arc;

use domain::limits::PowerLimits;
use domain::CommunityId;
use store::{ErrorKind, Store, StoreError};

pub use ports::{Clock, SystemClock};

/// What the use cases are configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The community this instance serves.
    pub community_id: CommunityId,
    /// Physical limits of channels, by kind.
    pub limits: PowerLimits,
    /// No view may reveal an aggregate of fewer hidden members than this.
    pub min_group_size: usize,
    pub session_hours: i64,
    /// New series one write token may register per hour.
    pub new_series_per_hour: u32,
    /// Unassigned channels a community may hold; beyond, new series are refused.
    pub max_unassigned_channels: i64,
    /// How long a value written on change (Home Assistant) holds without a new one.
    pub on_change_hold_ms: i64,
    /// A meter is silent after this long without live data.
    pub silent_after_minutes: i64,
}

impl Settings {
    pub fn new(community_id: CommunityId) -> Settings {
        Settings {
            community_id,
            limits: PowerLimits::default(),
            min_group_size: 5,
            session_hours: 24 * 14,
            new_series_per_hour: 60,
            max_unassigned_channels: 500,
            on_change_hold_ms: 3_600_000,
            silent_after_minutes: 30,
        }
    }
}

/// The use cases, over one store and one clock.
pub struct App {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    series: record::SeriesCache,
    sign_in: auth::SignIn,
}

impl App {
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>, settings: Settings) -> App {
        App {
            store,
            clock,
            settings,
            series: record::SeriesCache::default(),
            sign_in: auth::SignIn::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Runs `f` in one read transaction: a use case's figures come from one snapshot.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut store::Tx<'_>) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.store.read(|tx| Ok(f(tx)))?
    }

    pub fn community_id(&self) -> CommunityId {
        self.settings.community_id
    }

    /// The community's time zone.
    pub fn time_zone(&self) -> Result<jiff::tz::TimeZone, AppError> {
        Ok(self.read(|tx| self.community_in(tx))?.1)
    }
}

/// What went wrong, by kind (the HTTP edge maps kinds to statuses in one place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request is malformed or names something impossible.
    Invalid,
    /// No credentials, or unknown ones.
    Unauthenticated,
    /// Known credentials that do not allow this.
    Forbidden,
    /// Does not exist, or is not the viewer's to know about.
    NotFound,
    Conflict,
    /// Too many attempts or too much at once; `retry_after_s` says when to come back.
    TooMany,
    /// A body or a batch beyond the limits.
    TooLarge,
    /// The store is unreachable or busy.
    Unavailable,
    /// Stored data cannot be read.
    Corrupt,
    Internal,
}

/// A use case's error: a kind, a message that can be shown, and (for internal errors) the cause
/// to log.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: Kind,
    pub message: String,
    /// Seconds to wait before trying again (`TooMany`, `Unavailable`).
    pub retry_after_s: Option<u64>,
    /// Detail for the log, never shown.
    pub detail: Option<String>,
}

impl AppError {
    pub fn new(kind: Kind, message: impl Into<String>) -> AppError {
        AppError {
            kind,
            message: message.into(),
            retry_after_s: None,
            detail: None,
        }
    }
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(Kind::Invalid, message)
    }
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(Kind::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(Kind::NotFound, message)
    }
    pub fn unauthenticated() -> AppError {
        AppError::new(Kind::Unauthenticated, "authentication required")
    }
    pub fn too_many(message: impl Into<String>, retry_after_s: u64) -> AppError {
        AppError {
            retry_after_s: Some(retry_after_s.max(1)),
            ..AppError::new(Kind::TooMany, message)
        }
    }
    pub fn internal(detail: impl Into<String>) -> AppError {
        AppError {
            detail: Some(detail.into()),
            ..AppError::new(Kind::Internal, "internal error")
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let kind = match e.kind() {
            ErrorKind::InvalidInput => Kind::Invalid,
            ErrorKind::NotFound => Kind::NotFound,
            ErrorKind::Conflict => Kind::Conflict,
            ErrorKind::Corrupt => Kind::Corrupt,
            ErrorKind::Unavailable => Kind::Unavailable,
            ErrorKind::Internal => Kind::Internal,
        };
        match kind {
            Kind::Corrupt | Kind::Internal | Kind::Unavailable => AppError {
                kind,
                message: match kind {
                    Kind::Unavailable => "the database is unavailable; try again shortly".into(),
                    _ => "internal error".into(),
                },
                retry_after_s: (kind == Kind::Unavailable).then_some(5),
                detail: Some(format!("{e:?}")),
            },
            _ => AppError::new(kind, e.message()),
        }
    }
}

impl From<domain::DomainError> for AppError {
    fn from(e: domain::DomainError) -> Self {
        AppError::invalid(e.to_string())
    }
}
