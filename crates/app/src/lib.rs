//! Use-cases shared by the web server and the command line: recording readings, importing
//! files, authentication secrets, the dashboards' figures, and the demo community.
//!
//! Main types: [`record::Recorder`], [`import::ImportSummary`], [`dashboard::CommunityView`],
//! [`demo::Generator`].

pub mod auth;
pub mod dashboard;
pub mod demo;
pub mod import;
pub mod record;

/// Errors of the use-cases.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
}
