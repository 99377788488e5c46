//! The raw chunk codec: a run of points of one channel, sorted by time, in a few bytes.
//!
//! Layout (all integers little-endian varints unless said otherwise):
//! ```text
//! version:u8  mode:u8 (0 = integer values, 1 = float values)  n
//! timestamps: first (zigzag)  [first delta (zigzag)]  delta-of-delta tokens
//!             token t: t & 1 == 1 → run of (t >> 1) zero delta-of-deltas
//!                      t & 1 == 0 → one delta-of-delta, zigzag(t >> 1)
//! values, integer mode: first (zigzag), then zigzag deltas in blocks of 128 (patched frame of
//!             reference): a byte (bit 7: the block has exceptions; bits 0..6: width w, 0..=64),
//!             the low w bits of every delta bit-packed, then, with exceptions, their count - 1
//!             and for each its index (u8) and the bits above w (varint). The width is the one
//!             that makes the block smallest, so a rare jump (a kettle switching on) costs one
//!             exception instead of widening the whole block
//! values, float mode: first as 8 raw bytes, then per value the XOR with the previous bits:
//!             0 → one byte 0; else a byte (leading zeros + 1), a byte (significant bits)
//!             and the significant bits in whole bytes
//! ```
//! Integer mode is used when every value is an integer below 2^53 in magnitude (and not -0.0),
//! the common case of watts and watt-hours; float mode round-trips every `f64` bit for bit.

use domain::Point;

const VERSION: u8 = 2;
const BLOCK: usize = 128;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodecError {
    #[error("chunk truncated")]
    Truncated,
    #[error("unknown chunk version {0}")]
    Version(u8),
    #[error("corrupt chunk: {0}")]
    Corrupt(&'static str),
}

/// Encodes points sorted by strictly increasing time.
pub fn encode(points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + points.len());
    let integer = points.iter().all(|p| is_exact_integer(p.value));
    out.push(VERSION);
    out.push(if integer { 0 } else { 1 });
    put_varint(&mut out, points.len() as u64);
    if points.is_empty() {
        return out;
    }
    encode_timestamps(&mut out, points);
    if integer {
        encode_integers(&mut out, points);
    } else {
        encode_floats(&mut out, points);
    }
    out
}

/// Decodes a chunk made by [`encode`], appending to `out`.
pub fn decode_into(bytes: &[u8], out: &mut Vec<Point>) -> Result<(), CodecError> {
    let mut r = Reader { bytes, pos: 0 };
    let version = r.byte()?;
    if version != VERSION {
        return Err(CodecError::Version(version));
    }
    let mode = r.byte()?;
    let n = r.varint()? as usize;
    if n == 0 {
        return Ok(());
    }
    if n > bytes.len() * 1024 {
        return Err(CodecError::Corrupt("point count"));
    }
    let base = out.len();
    out.reserve(n);
    decode_timestamps(&mut r, n, out)?;
    match mode {
        0 => decode_integers(&mut r, &mut out[base..])?,
        1 => decode_floats(&mut r, &mut out[base..])?,
        _ => return Err(CodecError::Corrupt("value mode")),
    }
    Ok(())
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Point>, CodecError> {
    let mut out = Vec::new();
    decode_into(bytes, &mut out)?;
    Ok(out)
}

fn is_exact_integer(v: f64) -> bool {
    v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 && !(v == 0.0 && v.is_sign_negative())
}

fn encode_timestamps(out: &mut Vec<u8>, points: &[Point]) {
    put_varint(out, zigzag(points[0].ts_ms));
    if points.len() == 1 {
        return;
    }
    // Wrapping arithmetic on both sides: any i64 timestamps round-trip, however far apart.
    let mut prev_delta = points[1].ts_ms.wrapping_sub(points[0].ts_ms);
    put_varint(out, zigzag(prev_delta));
    let mut zeros = 0u64;
    for pair in points[1..].windows(2) {
        let delta = pair[1].ts_ms.wrapping_sub(pair[0].ts_ms);
        let dod = delta.wrapping_sub(prev_delta);
        prev_delta = delta;
        if dod == 0 {
            zeros += 1;
            continue;
        }
        if zeros > 0 {
            put_varint(out, (zeros << 1) | 1);
            zeros = 0;
        }
        put_varint(out, zigzag(dod) << 1);
    }
    if zeros > 0 {
        put_varint(out, (zeros << 1) | 1);
    }
}

fn decode_timestamps(r: &mut Reader, n: usize, out: &mut Vec<Point>) -> Result<(), CodecError> {
    let mut ts = unzigzag(r.varint()?);
    out.push(Point {
        ts_ms: ts,
        value: 0.0,
    });
    if n == 1 {
        return Ok(());
    }
    let mut delta = unzigzag(r.varint()?);
    ts = ts.wrapping_add(delta);
    out.push(Point {
        ts_ms: ts,
        value: 0.0,
    });
    let mut remaining = n - 2;
    while remaining > 0 {
        let token = r.varint()?;
        if token & 1 == 1 {
            let run = (token >> 1) as usize;
            if run == 0 || run > remaining {
                return Err(CodecError::Corrupt("timestamp run"));
            }
            for _ in 0..run {
                ts = ts.wrapping_add(delta);
                out.push(Point {
                    ts_ms: ts,
                    value: 0.0,
                });
            }
            remaining -= run;
        } else {
            delta = delta.wrapping_add(unzigzag(token >> 1));
            ts = ts.wrapping_add(delta);
            out.push(Point {
                ts_ms: ts,
                value: 0.0,
            });
            remaining -= 1;
        }
    }
    Ok(())
}

fn encode_integers(out: &mut Vec<u8>, points: &[Point]) {
    let mut prev = points[0].value as i64;
    put_varint(out, zigzag(prev));
    let mut block = [0u64; BLOCK];
    for chunk in points[1..].chunks(BLOCK) {
        let mut lengths = [0usize; 65]; // how many deltas need exactly this many bits
        for (slot, p) in block.iter_mut().zip(chunk) {
            let v = p.value as i64;
            *slot = zigzag(v.wrapping_sub(prev));
            prev = v;
            lengths[(64 - slot.leading_zeros()) as usize] += 1;
        }
        let deltas = &block[..chunk.len()];
        let width = best_width(&lengths, deltas);
        let mask = low_mask(width);
        let exceptions: Vec<(usize, u64)> = deltas
            .iter()
            .enumerate()
            .filter(|(_, &z)| z & !mask != 0)
            .map(|(i, &z)| (i, z >> width))
            .collect();
        out.push(width as u8 | if exceptions.is_empty() { 0 } else { 0x80 });
        let mut writer = BitWriter::new(out);
        for &z in deltas {
            writer.put(z & mask, width);
        }
        writer.finish();
        if !exceptions.is_empty() {
            out.push((exceptions.len() - 1) as u8);
            for (i, high) in exceptions {
                out.push(i as u8);
                put_varint(out, high);
            }
        }
    }
}

fn low_mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

fn varint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).max(1).div_ceil(7)
}

/// The width that minimises the block's size in bits (packed part plus exceptions).
fn best_width(lengths: &[usize; 65], deltas: &[u64]) -> u32 {
    let n = deltas.len();
    let max = (0..=64).rev().find(|&b| lengths[b] > 0).unwrap_or(0);
    let mut best = (n * max, max as u32);
    let mut above = 0usize; // deltas longer than the candidate width
    for w in (0..max).rev() {
        above += lengths[w + 1];
        if above > BLOCK / 4 {
            break;
        }
        let exception_bits: usize = deltas
            .iter()
            .filter(|&&z| z >> w != 0)
            .map(|&z| 8 + 8 * varint_len(z >> w))
            .sum();
        let cost = n * w + 8 + exception_bits;
        if cost < best.0 {
            best = (cost, w as u32);
        }
    }
    best.1
}

fn decode_integers(r: &mut Reader, out: &mut [Point]) -> Result<(), CodecError> {
    let mut prev = unzigzag(r.varint()?);
    out[0].value = prev as f64;
    let mut block = [0u64; BLOCK];
    for chunk in out[1..].chunks_mut(BLOCK) {
        let head = r.byte()?;
        let width = (head & 0x7f) as u32;
        if width > 64 {
            return Err(CodecError::Corrupt("bit width"));
        }
        let nbytes = (chunk.len() * width as usize).div_ceil(8);
        let packed = r.take(nbytes)?;
        let mut bits = BitReader::new(packed);
        let deltas = &mut block[..chunk.len()];
        for z in deltas.iter_mut() {
            *z = bits.get(width);
        }
        if head & 0x80 != 0 {
            let count = r.byte()? as usize + 1;
            for _ in 0..count {
                let i = r.byte()? as usize;
                let high = r.varint()?;
                if i >= deltas.len() || width >= 64 {
                    return Err(CodecError::Corrupt("exception"));
                }
                deltas[i] |= high << width;
            }
        }
        for (p, &z) in chunk.iter_mut().zip(deltas.iter()) {
            prev = prev.wrapping_add(unzigzag(z));
            p.value = prev as f64;
        }
    }
    Ok(())
}

fn encode_floats(out: &mut Vec<u8>, points: &[Point]) {
    let mut prev = points[0].value.to_bits();
    out.extend_from_slice(&prev.to_le_bytes());
    for p in &points[1..] {
        let bits = p.value.to_bits();
        let xor = bits ^ prev;
        prev = bits;
        if xor == 0 {
            out.push(0);
            continue;
        }
        let lz = xor.leading_zeros();
        let tz = xor.trailing_zeros();
        let len = 64 - lz - tz;
        out.push(lz as u8 + 1);
        out.push(len as u8);
        let significant = xor >> tz;
        out.extend_from_slice(&significant.to_le_bytes()[..len.div_ceil(8) as usize]);
    }
}

fn decode_floats(r: &mut Reader, out: &mut [Point]) -> Result<(), CodecError> {
    let first: [u8; 8] = r.take(8)?.try_into().expect("8 bytes");
    let mut prev = u64::from_le_bytes(first);
    out[0].value = f64::from_bits(prev);
    for p in out[1..].iter_mut() {
        let tag = r.byte()?;
        if tag != 0 {
            let lz = tag as u32 - 1;
            let len = r.byte()? as u32;
            if len == 0 || lz + len > 64 {
                return Err(CodecError::Corrupt("float xor"));
            }
            let mut buf = [0u8; 8];
            let bytes = r.take(len.div_ceil(8) as usize)?;
            buf[..bytes.len()].copy_from_slice(bytes);
            let tz = 64 - lz - len;
            prev ^= u64::from_le_bytes(buf) << tz;
        }
        p.value = f64::from_bits(prev);
    }
    Ok(())
}

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads bytes and varints from an encoded buffer, every read bounds-checked.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self.bytes.get(self.pos).ok_or(CodecError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Truncated)?;
        let s = self.bytes.get(self.pos..end).ok_or(CodecError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Corrupt("varint too long"))
    }
}

struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u128,
    nbits: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            nbits: 0,
        }
    }

    fn put(&mut self, value: u64, width: u32) {
        if width == 0 {
            return;
        }
        self.acc |= (value as u128) << self.nbits;
        self.nbits += width;
        while self.nbits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits -= 8;
        }
    }

    fn finish(self) {
        if self.nbits > 0 {
            self.out.push(self.acc as u8);
        }
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    acc: u128,
    nbits: u32,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader {
            bytes,
            pos: 0,
            acc: 0,
            nbits: 0,
        }
    }

    fn get(&mut self, width: u32) -> u64 {
        if width == 0 {
            return 0;
        }
        while self.nbits < width {
            let b = self.bytes.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
            self.acc |= (b as u128) << self.nbits;
            self.nbits += 8;
        }
        let mask = if width == 64 {
            u64::MAX as u128
        } else {
            (1u128 << width) - 1
        };
        let v = (self.acc & mask) as u64;
        self.acc >>= width;
        self.nbits -= width;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn points(ts: &[i64], values: &[f64]) -> Vec<Point> {
        ts.iter()
            .zip(values)
            .map(|(&ts_ms, &value)| Point { ts_ms, value })
            .collect()
    }

    fn assert_round_trip(input: &[Point]) {
        let decoded = decode(&encode(input)).unwrap();
        assert_eq!(decoded.len(), input.len());
        for (a, b) in input.iter().zip(&decoded) {
            assert_eq!(a.ts_ms, b.ts_ms);
            assert_eq!(
                a.value.to_bits(),
                b.value.to_bits(),
                "{} vs {}",
                a.value,
                b.value
            );
        }
    }

    #[test]
    fn regular_integer_watts_take_under_a_byte_per_point() {
        let input: Vec<Point> = (0..10_000)
            .map(|i| Point {
                ts_ms: 1_714_521_600_000 + i * 8000,
                value: (300 + (i * 7919) % 23) as f64,
            })
            .collect();
        let bytes = encode(&input);
        assert!(
            bytes.len() < input.len(),
            "{} bytes for {} points",
            bytes.len(),
            input.len()
        );
        assert_round_trip(&input);
    }

    #[test]
    fn special_floats_round_trip() {
        let values = [
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-310,
            230.125,
            -5.5,
            f64::MAX,
        ];
        let ts: Vec<i64> = (0..values.len() as i64).map(|i| i * 1000).collect();
        assert_round_trip(&points(&ts, &values));
        assert_round_trip(&[]);
        assert_round_trip(&points(&[i64::MIN / 4], &[42.0]));
    }

    #[test]
    fn timestamps_at_the_ends_of_i64_round_trip() {
        // Found by `cargo fuzz run chunks`: a decoded chunk spanning i64::MIN..i64::MAX made the
        // encoder's first delta overflow.
        let found = [
            2, 0, 2, 255, 255, 255, 255, 255, 255, 255, 255, 255, 7, 255, 0, 0, 0, 0, 0, 0, 0, 0,
            255, 2, 255,
        ];
        if let Ok(decoded) = decode(&found) {
            if decoded.windows(2).all(|w| w[0].ts_ms < w[1].ts_ms) {
                assert_round_trip(&decoded);
            }
        }
        assert_round_trip(&points(&[i64::MIN, 0, i64::MAX], &[1.0, 2.0, 3.0]));
        assert_round_trip(&points(&[i64::MIN, i64::MAX], &[0.5, -0.5]));
    }

    #[test]
    fn truncated_chunks_are_errors_not_panics() {
        let input = points(&[0, 8000, 16_000, 30_000], &[1.5, 2.5, 3.25, 4.0]);
        let bytes = encode(&input);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    proptest! {
        #[test]
        fn any_sorted_points_round_trip(
            start in -1_000_000_000_000i64..4_000_000_000_000,
            steps in proptest::collection::vec(1i64..100_000, 0..400),
            ints in proptest::collection::vec(-100_000i64..100_000, 400),
            floats in proptest::collection::vec(any::<f64>(), 400),
            use_floats in any::<bool>(),
        ) {
            let mut ts = start;
            let input: Vec<Point> = steps.iter().enumerate().map(|(i, step)| {
                ts += step;
                let value = if use_floats { floats[i] } else { ints[i] as f64 };
                Point { ts_ms: ts, value }
            }).collect();
            let decoded = decode(&encode(&input)).unwrap();
            prop_assert_eq!(decoded.len(), input.len());
            for (a, b) in input.iter().zip(&decoded) {
                prop_assert_eq!(a.ts_ms, b.ts_ms);
                prop_assert_eq!(a.value.to_bits(), b.value.to_bits());
            }
        }
    }
}
