//! Background chores the runtime calls on a schedule: raw points past retention, expired
//! sessions.

use crate::{App, AppError};

/// What one round of housekeeping did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Chores {
    pub raw_chunks_deleted: u64,
    pub sessions_purged: u64,
}

impl App {
    pub fn housekeeping(&self) -> Result<Chores, AppError> {
        let now = self.now_ms();
        let raw_chunks_deleted = self.store.write(|tx| tx.points().prune(now))?;
        let sessions_purged = self.store.write(|tx| tx.sessions().purge(now))?;
        Ok(Chores {
            raw_chunks_deleted,
            sessions_purged,
        })
    }
}
