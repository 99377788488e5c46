//! Fuzzes the CSV decoders (grid-operator, quarter-hour and generic readings): any text decodes
//! or is refused without panicking, and every item names a line of the file.
#![no_main]

use ingest::csv::{decode_grid, decode_points, decode_slots, ColumnMapping};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tz = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
    let mapping = ColumnMapping::default();
    let lines = text.lines().count() + 1;
    if let Ok(out) = decode_grid(text, &mapping, &tz) {
        for s in out.items {
            assert!(s.intervals.iter().all(|i| i.line <= lines));
        }
    }
    if let Ok(out) = decode_points(text, &mapping, &tz) {
        assert!(out
            .items
            .iter()
            .all(|p| p.item.value.is_finite() && p.line <= lines));
    }
    let _ = decode_slots(text, &mapping, &tz, domain::Provenance::Measured);
});
