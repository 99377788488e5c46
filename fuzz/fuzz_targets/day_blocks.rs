//! Fuzzes the quarter-hour day block decoder: arbitrary bytes decode or fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = store::encoding::days::decoded_slots(data) {
        assert!(n <= 96);
    }
});
