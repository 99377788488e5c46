//! Fuzzes the raw chunk codec: arbitrary bytes decode or fail cleanly, and what decodes
//! encodes back to the same points.
#![no_main]

use libfuzzer_sys::fuzz_target;
use store::encoding::chunks::{decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(points) = decode(data) {
        let sorted = points.windows(2).all(|w| w[0].ts_ms < w[1].ts_ms);
        if sorted {
            let again = decode(&encode(&points)).expect("our own encoding decodes");
            assert_eq!(again.len(), points.len());
            for (a, b) in again.iter().zip(&points) {
                assert_eq!(a.ts_ms, b.ts_ms);
                assert_eq!(a.value.to_bits(), b.value.to_bits());
            }
        }
    }
});
