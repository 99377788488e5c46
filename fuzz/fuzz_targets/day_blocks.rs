//! Fuzzes the quarter-hour day block decoder: arbitrary bytes decode or fail cleanly, and a
//! block that decodes encodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(same) = store::encoding::days::round_trips(data) {
        assert!(same, "a decoded day block encodes back to itself");
    }
});
