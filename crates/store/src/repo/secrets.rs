//! Server keys kept in the store, so every process serving a community signs and checks forms
//! with the same key.

use crate::backend::params;
use crate::{Result, StoreError, Tx};

pub struct Secrets<'t, 'c>(pub(crate) &'t mut Tx<'c>);

impl Secrets<'_, '_> {
    /// The secret called `name`, created with `generate` if there is none yet (in a write
    /// transaction; a read transaction only finds existing ones).
    pub fn get_or_create(
        &mut self,
        name: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<String> {
        let found = self
            .0
            .db()
            .query_opt("SELECT value FROM secrets WHERE name = ?", params![name])?;
        if let Some(r) = found {
            return r.text("value");
        }
        let value = generate();
        let db = self.0.writing()?;
        db.exec(
            "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            params![name, value.as_str()],
        )?;
        db.query_opt("SELECT value FROM secrets WHERE name = ?", params![name])?
            .ok_or_else(|| StoreError::internal(format!("secret {name} not stored")))?
            .text("value")
    }
}
