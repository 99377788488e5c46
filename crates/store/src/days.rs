//! A channel's best quarter-hours, stored one UTC day (96 slots) per row of `interval_days`.
//!
//! Layout of a day block (integers are little-endian varints; "zz" = zigzag):
//! ```text
//! version:u8  presence bitmap: 12 bytes (bit i = slot i of the day is stored)
//! provenance runs: count, then (run length, provenance rank:u8) pairs, in slot order
//! per stored slot: zz(energy_mwh - previous energy_mwh)  zz(mean_mw - min_mw)
//!                  zz(max_mw - mean_mw)  zz(900000 - covered_ms)
//! ```
//! The mean power is not stored: it is the energy over the covered time. A day of a measured
//! channel takes about 0.7 KiB instead of 96 rows.

use crate::codec::{put_varint, unzigzag, zigzag, CodecError, Reader};
use crate::sql::{params, Sql};
use crate::{Result, StoreError};
use domain::{Interval, Provenance, Slot, SLOT_MS};

pub(crate) const SLOTS_PER_DAY: i64 = 96;
const VERSION: u8 = 1;

/// Integer form of an interval, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stored {
    pub provenance: i64,
    pub energy_mwh: i64,
    pub min_mw: i64,
    pub max_mw: i64,
    pub covered_ms: i64,
}

impl Stored {
    pub fn from_interval(i: &Interval) -> Stored {
        let mw = |w: f64| (w * 1000.0).round() as i64;
        Stored {
            provenance: i.provenance.rank(),
            energy_mwh: (i.energy_wh * 1000.0).round() as i64,
            min_mw: mw(i.min_w),
            max_mw: mw(i.max_w),
            covered_ms: (i.coverage * SLOT_MS as f64)
                .round()
                .clamp(0.0, SLOT_MS as f64) as i64,
        }
    }

    /// Mean power over the covered time, in mW.
    pub fn mean_mw(&self) -> i64 {
        if self.covered_ms <= 0 {
            return 0;
        }
        ((self.energy_mwh as i128 * 3_600_000) as f64 / self.covered_ms as f64).round() as i64
    }

    pub fn to_interval(self, slot: Slot) -> Interval {
        Interval {
            slot,
            provenance: Provenance::from_rank(self.provenance).unwrap_or(Provenance::Measured),
            energy_wh: self.energy_mwh as f64 / 1000.0,
            mean_w: self.mean_mw() as f64 / 1000.0,
            min_w: self.min_mw as f64 / 1000.0,
            max_w: self.max_mw as f64 / 1000.0,
            coverage: self.covered_ms as f64 / SLOT_MS as f64,
        }
    }
}

/// The stored quarter-hours of one channel on one UTC day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DayBlock {
    pub day: i64,
    pub slots: [Option<Stored>; SLOTS_PER_DAY as usize],
}

pub(crate) fn day_of(slot: Slot) -> i64 {
    slot.index().div_euclid(SLOTS_PER_DAY)
}

impl DayBlock {
    pub fn empty(day: i64) -> DayBlock {
        DayBlock {
            day,
            slots: [None; SLOTS_PER_DAY as usize],
        }
    }

    pub fn get(&self, slot: Slot) -> Option<Stored> {
        self.slots[slot.index().rem_euclid(SLOTS_PER_DAY) as usize]
    }

    pub fn set(&mut self, slot: Slot, value: Stored) {
        debug_assert_eq!(day_of(slot), self.day);
        self.slots[slot.index().rem_euclid(SLOTS_PER_DAY) as usize] = Some(value);
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
        let present: Vec<Stored> = self.slots.iter().flatten().copied().collect();
        let mut runs: Vec<(u64, u8)> = Vec::new();
        for s in &present {
            match runs.last_mut() {
                Some((n, p)) if *p as i64 == s.provenance => *n += 1,
                _ => runs.push((1, s.provenance as u8)),
            }
        }
        put_varint(&mut out, runs.len() as u64);
        for (n, p) in runs {
            put_varint(&mut out, n);
            out.push(p);
        }
        let mut prev_energy = 0i64;
        for s in present {
            let mean = s.mean_mw();
            put_varint(&mut out, zigzag(s.energy_mwh - prev_energy));
            put_varint(&mut out, zigzag(mean - s.min_mw));
            put_varint(&mut out, zigzag(s.max_mw - mean));
            put_varint(&mut out, zigzag(SLOT_MS - s.covered_ms));
            prev_energy = s.energy_mwh;
        }
        out
    }

    pub fn decode(day: i64, bytes: &[u8]) -> Result<DayBlock, CodecError> {
        let mut r = Reader::new(bytes);
        let version = r.byte()?;
        if version != VERSION {
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
        let mut provenances = Vec::with_capacity(present.len());
        let runs = r.varint()?;
        for _ in 0..runs {
            let n = r.varint()?;
            let p = r.byte()? as i64;
            if provenances.len() as u64 + n > present.len() as u64 {
                return Err(CodecError::Corrupt("provenance runs"));
            }
            provenances.extend(std::iter::repeat_n(p, n as usize));
        }
        if provenances.len() != present.len() {
            return Err(CodecError::Corrupt("provenance runs"));
        }
        let mut block = DayBlock::empty(day);
        let mut prev_energy = 0i64;
        for (i, provenance) in present.into_iter().zip(provenances) {
            let energy_mwh = prev_energy.wrapping_add(unzigzag(r.varint()?));
            let below = unzigzag(r.varint()?);
            let above = unzigzag(r.varint()?);
            let covered_ms = SLOT_MS - unzigzag(r.varint()?);
            let mut s = Stored {
                provenance,
                energy_mwh,
                min_mw: 0,
                max_mw: 0,
                covered_ms,
            };
            let mean = s.mean_mw();
            s.min_mw = mean - below;
            s.max_mw = mean + above;
            block.slots[i] = Some(s);
            prev_energy = energy_mwh;
        }
        Ok(block)
    }

    /// The blocks of a channel for days `[first, last]`, missing days empty.
    pub fn load_range(
        db: &mut dyn Sql,
        channel_id: i64,
        first: i64,
        last: i64,
    ) -> Result<Vec<DayBlock>> {
        let rows = db.query(
            "SELECT day, data FROM interval_days WHERE channel_id = ? AND day >= ? AND day <= ? ORDER BY day",
            params![channel_id, first, last],
        )?;
        rows.iter()
            .map(|r| {
                DayBlock::decode(r.i64(0), r.blob(1))
                    .map_err(|source| StoreError::Codec { channel_id, source })
            })
            .collect()
    }

    pub fn load(db: &mut dyn Sql, channel_id: i64, day: i64) -> Result<DayBlock> {
        Ok(DayBlock::load_range(db, channel_id, day, day)?
            .pop()
            .unwrap_or_else(|| DayBlock::empty(day)))
    }

    pub fn save(&self, db: &mut dyn Sql, channel_id: i64) -> Result<()> {
        db.exec(
            "INSERT INTO interval_days (channel_id, day, data) VALUES (?, ?, ?)
             ON CONFLICT (channel_id, day) DO UPDATE SET data = excluded.data",
            params![channel_id, self.day, self.encode()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_measured_day_is_small_and_exact() {
        let mut block = DayBlock::empty(19_844);
        for i in 0..96 {
            let slot = Slot::from_index(19_844 * 96 + i);
            let energy = 50_000 + (i * 7919) % 20_000;
            let s = Stored {
                provenance: 3,
                energy_mwh: energy,
                min_mw: 0,
                max_mw: 0,
                covered_ms: SLOT_MS,
            };
            let mean = s.mean_mw();
            block.set(
                slot,
                Stored {
                    min_mw: mean - 100_000,
                    max_mw: mean + 1_500_000,
                    ..s
                },
            );
        }
        let bytes = block.encode();
        assert!(bytes.len() < 96 * 12, "{} bytes", bytes.len());
        assert_eq!(DayBlock::decode(19_844, &bytes).unwrap(), block);
    }

    #[test]
    fn truncation_is_an_error() {
        let mut block = DayBlock::empty(0);
        block.set(
            Slot::from_index(5),
            Stored {
                provenance: 4,
                energy_mwh: 1234,
                min_mw: 0,
                max_mw: 9_000_000,
                covered_ms: 300_000,
            },
        );
        let bytes = block.encode();
        for cut in 0..bytes.len() {
            assert!(DayBlock::decode(0, &bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    proptest! {
        #[test]
        fn any_block_round_trips(entries in proptest::collection::vec((0usize..96, 1i64..5, -10_000_000i64..10_000_000, 0i64..900_001, 0i64..5_000_000, 0i64..5_000_000), 0..96)) {
            let mut block = DayBlock::empty(-3);
            for (i, p, e, c, below, above) in entries {
                let s = Stored { provenance: p, energy_mwh: e, min_mw: 0, max_mw: 0, covered_ms: c };
                let mean = s.mean_mw();
                block.slots[i] = Some(Stored { min_mw: mean - below, max_mw: mean + above, ..s });
            }
            prop_assert_eq!(DayBlock::decode(-3, &block.encode()).unwrap(), block);
        }
    }
}
