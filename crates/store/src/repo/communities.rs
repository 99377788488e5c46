//! Communities: a name, a time zone for the local calendar, and how gaps are bridged.

use domain::{Community, CommunityId};

use crate::backend::{params, Row};
use crate::{Result, StoreError, Tx};

pub struct Communities<'t, 'c>(pub(crate) &'t mut Tx<'c>);

const SELECT: &str = "SELECT id, name, timezone, max_gap_ms, counter_fill_max_ms FROM communities";

fn from_row(r: &Row) -> Result<Community> {
    Ok(Community {
        id: r.id("id")?,
        name: r.text("name")?,
        timezone: r.text("timezone")?,
        max_gap_ms: r.i64("max_gap_ms")?,
        counter_fill_max_ms: r.i64("counter_fill_max_ms")?,
    })
}

/// The longest gap a quarter-hour may bridge: one minute to one day.
pub const MAX_GAP_RANGE_MS: std::ops::RangeInclusive<i64> = 60_000..=86_400_000;

impl Communities<'_, '_> {
    pub fn create(&mut self, name: &str, timezone: &str, max_gap_ms: i64) -> Result<CommunityId> {
        jiff::tz::TimeZone::get(timezone).map_err(|_| {
            StoreError::invalid(format!(
                "'{timezone}' is not an IANA time zone (such as Europe/Brussels)"
            ))
        })?;
        if !MAX_GAP_RANGE_MS.contains(&max_gap_ms) {
            return Err(StoreError::invalid(format!(
                "the longest bridged gap must be between 1 minute and 1 day, not {max_gap_ms} ms"
            )));
        }
        if name.trim().is_empty() {
            return Err(StoreError::invalid("a community needs a name"));
        }
        let db = self.0.writing()?;
        db.query_one(
            "INSERT INTO communities (name, timezone, max_gap_ms) VALUES (?, ?, ?) RETURNING id",
            params![name.trim(), timezone, max_gap_ms],
        )?
        .id("id")
    }

    pub fn list(&mut self) -> Result<Vec<Community>> {
        self.0
            .db()
            .query(&format!("{SELECT} ORDER BY id"), &[])?
            .iter()
            .map(from_row)
            .collect()
    }

    pub fn get(&mut self, id: CommunityId) -> Result<Community> {
        self.0
            .db()
            .query_opt(&format!("{SELECT} WHERE id = ?"), params![id])?
            .map(|r| from_row(&r))
            .transpose()?
            .ok_or_else(|| StoreError::not_found(format!("community {id}")))
    }

    /// Sets how far counters' deltas are spread across silences.
    pub fn set_counter_fill_max(&mut self, id: CommunityId, fill_max_ms: i64) -> Result<()> {
        if !(0..=366 * 86_400_000).contains(&fill_max_ms) {
            return Err(StoreError::invalid(
                "the counter fill limit must be between 0 and 366 days",
            ));
        }
        let n = self.0.writing()?.exec(
            "UPDATE communities SET counter_fill_max_ms = ? WHERE id = ?",
            params![fill_max_ms, id],
        )?;
        if n == 0 {
            return Err(StoreError::not_found(format!("community {id}")));
        }
        Ok(())
    }
}
