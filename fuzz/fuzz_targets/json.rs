//! Fuzzes the JSON batch decoder: any body is a batch or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((points, _)) = ingest::json::decode(data) {
        for p in points {
            assert!(p.point.value.is_finite());
        }
    }
});
