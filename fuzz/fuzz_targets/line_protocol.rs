//! Fuzzes the line-protocol decoder: any body decodes without panicking, every point is finite
//! and names its line, and a line is never half-stored.
#![no_main]

use ingest::line_protocol::{decode, Naming, Precision};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for precision in [Precision::Nanoseconds, Precision::Seconds, Precision::Hours] {
        let (points, errors) = decode(data, precision, &Naming::default(), 1_714_521_600_000);
        let lines = data.split(|&b| b == b'\n').count();
        for p in &points {
            assert!(p.point.value.is_finite());
            assert!(p.line >= 1 && p.line <= lines);
            assert!(
                !errors.iter().any(|e| e.line == p.line),
                "line {} both stored and refused",
                p.line
            );
        }
    }
});
