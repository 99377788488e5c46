//! A channel's best quarter-hours, one UTC day (96 slots) per row of `interval_days`.
//!
//! Layout of a day block, version 2 (integers are little-endian varints; "zz" = zigzag):
//! ```text
//! version:u8  presence bitmap: 12 bytes (bit i = slot i of the day is stored)
//! tag runs: count, then (run length, tag:u8) pairs in slot order, where
//!           tag = provenance rank (bits 0-3) | from points (bit 4) | has displaced versions (bit 5)
//! per stored slot: zz(energy_mwh - previous energy_mwh)  zz(ref_mw - min_mw)
//!                  zz(max_mw - ref_mw)  zz(900000 - covered_ms)
//! ```
//! `ref_mw` is the mean power over the covered time (over the whole slot when nothing was
//! covered, as for an interpolated quarter-hour); it is not stored but derived. A day of a
//! measured channel takes about 0.7 KiB instead of 96 rows. Version 1 blocks (no source and no
//! displaced bits) are still read: their measured and interpolated quarter-hours are taken as
//! computed from points, and every slot as possibly having displaced versions.

use domain::{mean_mw, Interval, Provenance, Slot, SLOT_MS};

use super::chunks::{put_varint, unzigzag, zigzag, CodecError, Reader};

pub(crate) const SLOTS_PER_DAY: i64 = 96;
const VERSION: u8 = 2;
const FROM_POINTS: u8 = 1 << 4;
const DISPLACED: u8 = 1 << 5;

/// One stored version of a quarter-hour, in integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stored {
    pub provenance: Provenance,
    pub from_points: bool,
    pub energy_mwh: i64,
    pub min_mw: i64,
    pub max_mw: i64,
    pub covered_ms: i64,
}

impl Stored {
    pub fn from_interval(i: &Interval) -> Stored {
        Stored {
            provenance: i.provenance,
            from_points: i.from_points,
            energy_mwh: i.energy_mwh,
            min_mw: i.min_mw,
            max_mw: i.max_mw,
            covered_ms: i.covered_ms.clamp(0, SLOT_MS),
        }
    }

    pub fn to_interval(self, slot: Slot) -> Interval {
        Interval {
            slot,
            energy_mwh: self.energy_mwh,
            min_mw: self.min_mw,
            max_mw: self.max_mw,
            covered_ms: self.covered_ms,
            provenance: self.provenance,
            from_points: self.from_points,
        }
    }

    /// Which version wins: the higher provenance; at equal provenance, the one imported as
    /// such over the one computed from points.
    pub fn rank(&self) -> (Provenance, bool) {
        (self.provenance, !self.from_points)
    }

    fn reference_mw(&self) -> i64 {
        let over = if self.covered_ms > 0 {
            self.covered_ms
        } else {
            SLOT_MS
        };
        mean_mw(self.energy_mwh, over)
    }
}

/// The best stored quarter-hours of one channel on one UTC day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DayBlock {
    pub day: i64,
    pub slots: [Option<Stored>; SLOTS_PER_DAY as usize],
    /// Bit i: slot i has displaced versions in `intervals_superseded`.
    pub displaced: u128,
}

pub(crate) fn day_of(slot: Slot) -> i64 {
    slot.index().div_euclid(SLOTS_PER_DAY)
}

fn index_in_day(slot: Slot) -> usize {
    slot.index().rem_euclid(SLOTS_PER_DAY) as usize
}

impl DayBlock {
    pub fn empty(day: i64) -> DayBlock {
        DayBlock {
            day,
            slots: [None; SLOTS_PER_DAY as usize],
            displaced: 0,
        }
    }

    pub fn get(&self, slot: Slot) -> Option<Stored> {
        self.slots[index_in_day(slot)]
    }

    pub fn set(&mut self, slot: Slot, value: Option<Stored>) {
        debug_assert_eq!(day_of(slot), self.day);
        self.slots[index_in_day(slot)] = value;
    }

    pub fn has_displaced(&self, slot: Slot) -> bool {
        self.displaced & (1u128 << index_in_day(slot)) != 0
    }

    pub fn set_displaced(&mut self, slot: Slot, yes: bool) {
        let bit = 1u128 << index_in_day(slot);
        if yes {
            self.displaced |= bit;
        } else {
            self.displaced &= !bit;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// Stored slots with their values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Slot, Stored)> + '_ {
        self.slots.iter().enumerate().filter_map(move |(i, s)| {
            s.map(|v| (Slot::from_index(self.day * SLOTS_PER_DAY + i as i64), v))
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 8 * SLOTS_PER_DAY as usize);
        out.push(VERSION);
        let mut bitmap = [0u8; 12];
        for (i, s) in self.slots.iter().enumerate() {
            if s.is_some() {
                bitmap[i / 8] |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&bitmap);
        let mut runs: Vec<(u64, u8)> = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            let Some(s) = s else { continue };
            let tag = s.provenance.rank() as u8
                | if s.from_points { FROM_POINTS } else { 0 }
                | if self.displaced & (1u128 << i) != 0 {
                    DISPLACED
                } else {
                    0
                };
            match runs.last_mut() {
                Some((n, t)) if *t == tag => *n += 1,
                _ => runs.push((1, tag)),
            }
        }
        put_varint(&mut out, runs.len() as u64);
        for (n, tag) in runs {
            put_varint(&mut out, n);
            out.push(tag);
        }
        let mut prev_energy = 0i64;
        for s in self.slots.iter().flatten() {
            let reference = s.reference_mw();
            put_varint(&mut out, zigzag(s.energy_mwh.wrapping_sub(prev_energy)));
            put_varint(&mut out, zigzag(reference.wrapping_sub(s.min_mw)));
            put_varint(&mut out, zigzag(s.max_mw.wrapping_sub(reference)));
            put_varint(&mut out, zigzag(SLOT_MS - s.covered_ms));
            prev_energy = s.energy_mwh;
        }
        out
    }

    pub fn decode(day: i64, bytes: &[u8]) -> Result<DayBlock, CodecError> {
        let mut r = Reader::new(bytes);
        let version = r.byte()?;
        if version != 1 && version != VERSION {
            return Err(CodecError::Version(version));
        }
        let mut present = Vec::new();
        for i in 0..12 {
            let b = r.byte()?;
            for bit in 0..8 {
                if b & (1 << bit) != 0 {
                    present.push(i * 8 + bit);
                }
            }
        }
        let mut tags = Vec::with_capacity(present.len());
        let runs = r.varint()?;
        for _ in 0..runs {
            let n = r.varint()?;
            let tag = r.byte()?;
            if n > (present.len() - tags.len()) as u64 {
                return Err(CodecError::Corrupt("provenance runs"));
            }
            tags.extend(std::iter::repeat_n(tag, n as usize));
        }
        if tags.len() != present.len() {
            return Err(CodecError::Corrupt("provenance runs"));
        }
        let mut block = DayBlock::empty(day);
        let mut prev_energy = 0i64;
        for (i, tag) in present.into_iter().zip(tags) {
            let rank = i64::from(tag & 0x0f);
            let provenance =
                Provenance::from_rank(rank).ok_or(CodecError::Corrupt("provenance"))?;
            let (from_points, displaced) = if version == 1 {
                (
                    matches!(provenance, Provenance::Measured | Provenance::Interpolated),
                    true,
                )
            } else {
                (tag & FROM_POINTS != 0, tag & DISPLACED != 0)
            };
            let energy_mwh = prev_energy.wrapping_add(unzigzag(r.varint()?));
            let below = unzigzag(r.varint()?);
            let above = unzigzag(r.varint()?);
            let covered_ms = SLOT_MS.wrapping_sub(unzigzag(r.varint()?));
            if !(0..=SLOT_MS).contains(&covered_ms) {
                return Err(CodecError::Corrupt("covered time"));
            }
            let mut s = Stored {
                provenance,
                from_points,
                energy_mwh,
                min_mw: 0,
                max_mw: 0,
                covered_ms,
            };
            let reference = s.reference_mw();
            s.min_mw = reference.wrapping_sub(below);
            s.max_mw = reference.wrapping_add(above);
            block.slots[i] = Some(s);
            if displaced {
                block.displaced |= 1u128 << i;
            }
            prev_energy = energy_mwh;
        }
        Ok(block)
    }
}

/// Decodes a day block, encodes it again and decodes that: whether the block came back the
/// same (any block the decoder accepts must). For the fuzz target.
pub fn round_trips(bytes: &[u8]) -> Result<bool, CodecError> {
    let block = DayBlock::decode(0, bytes)?;
    Ok(DayBlock::decode(0, &block.encode())? == block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stored(provenance: Provenance, from_points: bool, energy: i64, covered: i64) -> Stored {
        let mut s = Stored {
            provenance,
            from_points,
            energy_mwh: energy,
            min_mw: 0,
            max_mw: 0,
            covered_ms: covered,
        };
        let r = s.reference_mw();
        s.min_mw = r - 100_000;
        s.max_mw = r + 1_500_000;
        s
    }

    #[test]
    fn a_measured_day_is_small_and_exact() {
        let mut block = DayBlock::empty(19_844);
        for i in 0..96 {
            let slot = Slot::from_index(19_844 * 96 + i);
            let energy = 50_000 + (i * 7919) % 20_000;
            block.set(
                slot,
                Some(stored(Provenance::Measured, true, energy, SLOT_MS)),
            );
        }
        let bytes = block.encode();
        assert!(bytes.len() < 96 * 12, "{} bytes", bytes.len());
        assert_eq!(DayBlock::decode(19_844, &bytes).unwrap(), block);
    }

    #[test]
    fn sources_and_displaced_flags_round_trip() {
        let mut block = DayBlock::empty(0);
        block.set(
            Slot::from_index(3),
            Some(stored(Provenance::Settled, false, 1234, SLOT_MS)),
        );
        block.set(
            Slot::from_index(4),
            Some(stored(Provenance::Interpolated, true, 99, 0)),
        );
        block.set_displaced(Slot::from_index(3), true);
        let back = DayBlock::decode(0, &block.encode()).unwrap();
        assert_eq!(back, block);
        assert!(back.has_displaced(Slot::from_index(3)));
        assert!(!back.has_displaced(Slot::from_index(4)));
    }

    #[test]
    fn truncation_is_an_error() {
        let mut block = DayBlock::empty(0);
        block.set(
            Slot::from_index(5),
            Some(stored(Provenance::Settled, false, 1234, 300_000)),
        );
        let bytes = block.encode();
        for cut in 0..bytes.len() {
            assert!(DayBlock::decode(0, &bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn a_huge_provenance_run_is_corrupt_not_an_overflow() {
        // Found by `cargo fuzz run day_blocks`: a run length near u64::MAX overflowed the check.
        let found = [
            0x02, 0x2a, 0xf2, 0x4d, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3d,
            0x3a, 0xff, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3d, 0x3a,
        ];
        assert!(DayBlock::decode(0, &found).is_err());
        let mut bytes = vec![VERSION];
        bytes.extend([0xff; 12]);
        bytes.push(2); // two runs
        bytes.extend([0x01, 0x03]); // one slot, settled
        bytes.extend([
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x03,
        ]);
        assert_eq!(
            DayBlock::decode(0, &bytes),
            Err(CodecError::Corrupt("provenance runs"))
        );
    }

    proptest! {
        #[test]
        fn any_block_round_trips(entries in proptest::collection::vec((0usize..96, 1i64..5, any::<bool>(), any::<bool>(), -10_000_000i64..10_000_000, 0i64..900_001, 0i64..5_000_000, 0i64..5_000_000), 0..96)) {
            let mut block = DayBlock::empty(-3);
            for (i, p, from_points, displaced, e, c, below, above) in entries {
                let mut s = Stored { provenance: Provenance::from_rank(p).unwrap(), from_points, energy_mwh: e, min_mw: 0, max_mw: 0, covered_ms: c };
                let r = s.reference_mw();
                s.min_mw = r - below;
                s.max_mw = r + above;
                block.slots[i] = Some(s);
                if displaced { block.displaced |= 1u128 << i } else { block.displaced &= !(1u128 << i) }
            }
            prop_assert_eq!(DayBlock::decode(-3, &block.encode()).unwrap(), block);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = DayBlock::decode(0, &bytes);
        }
    }
}
