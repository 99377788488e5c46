//! Background control: the one place that spawns tasks. A [`Supervisor`] runs named tasks with
//! a cancellation token, restarts them with backoff when they fail, and stops them within a
//! deadline; [`Blocking`] bounds the blocking work (store access) the async side hands out;
//! [`serve_tcp`] accepts connections within per-client and total limits.
//!
//! Main types: [`Supervisor`], [`Blocking`], [`ConnectionLimits`].

mod blocking;
mod serve;
mod supervisor;

pub use blocking::{Blocking, Busy};
pub use serve::{serve_tcp, ConnectionLimits};
pub use supervisor::Supervisor;
pub use tokio_util::sync::CancellationToken;
