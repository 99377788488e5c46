//! The deterministic community generator behind `voisins demo`, `voisins generate` and
//! `voisins bench`.
//!
//! Households have a stochastic appliance model: standby load, fridge cycles, kettle and oven
//! spikes, washing, lighting and television in the evening, heat pumps or electric heating for
//! some. About half have PV, with a solar-geometry clear-sky shape and the day's weather shared by
//! the whole street (cloudy days, passing clouds). Everything is a pure function of the seed,
//! the household and the instant, so any period can be generated in any order.

use std::f64::consts::PI;

use domain::{ChannelKind, LocalDay, Slot};
use jiff::tz::TimeZone;

/// Brussels, for the sun.
const LATITUDE_DEG: f64 = 50.85;
const LONGITUDE_DEG: f64 = 4.35;

/// SplitMix64: small, fast, deterministic.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn hash(parts: &[u64]) -> u64 {
    let mut rng = Rng::new(0x5eed);
    for p in parts {
        rng.0 ^= p.wrapping_mul(0x2545_f491_4f6c_dd1d);
        rng.next_u64();
    }
    rng.next_u64()
}

/// Heating of a household.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Heating {
    Gas,
    HeatPump { rated_w: f64 },
    Electric { rated_w: f64 },
}

/// The fixed traits of one household.
#[derive(Debug, Clone)]
pub struct Household {
    pub number: usize,
    pub standby_w: f64,
    pub fridge_w: f64,
    pub fridge_period_s: f64,
    pub fridge_phase_s: f64,
    pub heating: Heating,
    /// Peak PV power (W), 0 without PV.
    pub pv_peak_w: f64,
    /// How busy the household is (size, habits): scales event frequency.
    pub activity: f64,
    /// The commons of a cohousing (laundry, common room) rather than a home.
    pub commons: bool,
}

/// One series the generator produces.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    pub key: String,
    pub household: usize,
    pub kind: ChannelKind,
}

/// An appliance run on one day: start (s after local midnight), duration, power, duty cycle.
#[derive(Debug, Clone, Copy)]
struct Event {
    start_s: f64,
    duration_s: f64,
    power_w: f64,
    /// Thermostat cycling: on for this share of each 120 s (1.0 = always on).
    duty: f64,
}

/// One household on one local day, ready to be sampled.
pub struct HouseholdDay<'a> {
    household: &'a Household,
    seed: u64,
    day_start_ms: i64,
    events: Vec<Event>,
    weather: Weather,
}

#[derive(Debug, Clone, Copy)]
struct Weather {
    clearness: f64,
    variability: f64,
    phases: [f64; 3],
    temperature_c: f64,
}

/// The community generator.
#[derive(Debug, Clone)]
pub struct Generator {
    pub seed: u64,
    pub households: Vec<Household>,
    tz: TimeZone,
}

impl Generator {
    /// `households` homes, `pv_share` of them with PV, `commons` extra commons meters.
    pub fn new(seed: u64, households: usize, pv_share: f64, commons: usize) -> Generator {
        let mut rng = Rng::new(seed);
        let mut list = Vec::new();
        let pv_every = if pv_share > 0.0 {
            (1.0 / pv_share).round().max(1.0) as usize
        } else {
            usize::MAX
        };
        for i in 0..households + commons {
            let is_commons = i >= households;
            let heating = match rng.unit() {
                x if x < 0.2 && !is_commons => Heating::HeatPump {
                    rated_w: rng.range(1200.0, 2400.0),
                },
                x if x < 0.3 && !is_commons => Heating::Electric {
                    rated_w: rng.range(1500.0, 3000.0),
                },
                _ => Heating::Gas,
            };
            list.push(Household {
                number: i + 1,
                standby_w: rng.range(60.0, 220.0) + if is_commons { 150.0 } else { 0.0 },
                fridge_w: rng.range(80.0, 150.0),
                fridge_period_s: rng.range(2400.0, 3600.0),
                fridge_phase_s: rng.range(0.0, 3600.0),
                heating,
                pv_peak_w: if !is_commons && i % pv_every == 0 {
                    (rng.range(2.5, 6.0) * 10.0).round() * 100.0
                } else if is_commons && i == households {
                    15_000.0
                } else {
                    0.0
                },
                activity: rng.range(0.6, 1.5) * if is_commons { 1.6 } else { 1.0 },
                commons: is_commons,
            });
        }
        Generator {
            seed,
            households: list,
            tz: TimeZone::get("Europe/Brussels").expect("tz database has Europe/Brussels"),
        }
    }

    /// The series in output order: for each household its consumption, then its production.
    pub fn series(&self) -> Vec<SeriesSpec> {
        let mut out = Vec::new();
        for (i, h) in self.households.iter().enumerate() {
            let prefix = if h.commons { "k" } else { "h" };
            out.push(SeriesSpec {
                key: format!("{prefix}{:03}c", h.number),
                household: i,
                kind: ChannelKind::Consumption,
            });
            if h.pv_peak_w > 0.0 {
                out.push(SeriesSpec {
                    key: format!("{prefix}{:03}p", h.number),
                    household: i,
                    kind: ChannelKind::Production,
                });
            }
        }
        out
    }

    /// The local day containing `ts_ms`.
    pub fn local_day(&self, ts_ms: i64) -> LocalDay {
        LocalDay::containing(
            jiff::Timestamp::from_millisecond(ts_ms).expect("in range"),
            &self.tz,
        )
        .expect("valid day")
    }

    /// Plans one household's local day.
    pub fn day<'a>(&'a self, household: usize, day: &LocalDay) -> HouseholdDay<'a> {
        let h = &self.households[household];
        let day_number = day.first.start_ms().div_euclid(86_400_000) as u64;
        let weather = self.weather(day_number, day.date.day_of_year());
        let mut rng = Rng::new(hash(&[self.seed, household as u64, day_number]));
        let weekend = matches!(
            day.date.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        let mut events = Vec::new();
        let a = h.activity;
        // Morning: kettle or coffee, shower pump, toaster.
        let wake = rng.range(6.0, 8.5) + if weekend { 1.5 } else { 0.0 };
        if rng.chance(0.85) {
            events.push(Event {
                start_s: wake * 3600.0 + rng.range(300.0, 1800.0),
                duration_s: rng.range(120.0, 240.0),
                power_w: rng.range(1800.0, 2400.0),
                duty: 1.0,
            });
        }
        if rng.chance(0.4 * a) {
            events.push(Event {
                start_s: wake * 3600.0 + rng.range(600.0, 2400.0),
                duration_s: rng.range(120.0, 300.0),
                power_w: rng.range(800.0, 1200.0),
                duty: 1.0,
            });
        }
        // Midday at home (weekends, commons).
        if weekend || h.commons || rng.chance(0.3) {
            events.push(Event {
                start_s: rng.range(11.5, 13.5) * 3600.0,
                duration_s: rng.range(900.0, 2400.0),
                power_w: rng.range(1200.0, 2200.0),
                duty: 0.6,
            });
        }
        // Afternoon kettle.
        if rng.chance(0.5 * a) {
            events.push(Event {
                start_s: rng.range(15.0, 17.5) * 3600.0,
                duration_s: rng.range(120.0, 200.0),
                power_w: rng.range(1800.0, 2400.0),
                duty: 1.0,
            });
        }
        // Evening cooking: hob and oven with thermostat cycling.
        if rng.chance(0.9) {
            let start = rng.range(17.8, 19.8) * 3600.0;
            events.push(Event {
                start_s: start,
                duration_s: rng.range(1200.0, 3600.0),
                power_w: rng.range(1500.0, 3000.0),
                duty: 0.55,
            });
        }
        // Washing machine or dryer: heating phase then drum.
        if rng.chance(0.25 * a + if weekend { 0.2 } else { 0.0 }) {
            let start = rng.range(9.0, 21.0) * 3600.0;
            events.push(Event {
                start_s: start,
                duration_s: 1200.0,
                power_w: rng.range(1800.0, 2200.0),
                duty: 1.0,
            });
            events.push(Event {
                start_s: start + 1200.0,
                duration_s: rng.range(2400.0, 4200.0),
                power_w: rng.range(150.0, 400.0),
                duty: 0.7,
            });
        }
        // Dishwasher after dinner.
        if rng.chance(0.45 * a) {
            let start = rng.range(20.0, 22.5) * 3600.0;
            events.push(Event {
                start_s: start,
                duration_s: 1500.0,
                power_w: rng.range(1800.0, 2100.0),
                duty: 1.0,
            });
        }
        // Lighting, television, computers: evening plateau, longer in the dark season.
        let darkness = 0.5
            + 0.5
                * (2.0 * PI * (f64::from(day.date.day_of_year()) - 172.0) / 365.0)
                    .cos()
                    .abs()
                    .min(1.0)
                * if (80..265).contains(&day.date.day_of_year()) {
                    0.3
                } else {
                    1.0
                };
        let evening_start = rng.range(16.5, 18.5) - darkness;
        events.push(Event {
            start_s: evening_start * 3600.0,
            duration_s: (rng.range(22.0, 24.0) - evening_start) * 3600.0,
            power_w: rng.range(120.0, 350.0) * (0.6 + darkness) * a,
            duty: 1.0,
        });
        events.push(Event {
            start_s: wake * 3600.0,
            duration_s: rng.range(1800.0, 3600.0),
            power_w: rng.range(60.0, 200.0) * darkness,
            duty: 1.0,
        });
        HouseholdDay {
            household: h,
            seed: self.seed,
            day_start_ms: day.first.start_ms(),
            events,
            weather,
        }
    }

    fn weather(&self, day_number: u64, day_of_year: i16) -> Weather {
        let mut rng = Rng::new(hash(&[self.seed, 0xdead_beef, day_number]));
        let doy = f64::from(day_of_year);
        let summer = 0.5 - 0.5 * (2.0 * PI * (doy - 10.0) / 365.0).cos(); // 0 in January, 1 in July
        let clearness = if rng.chance(0.25 + 0.25 * summer) {
            rng.range(0.8, 1.0)
        } else if rng.chance(0.5) {
            rng.range(0.4, 0.8)
        } else {
            rng.range(0.08, 0.4)
        };
        Weather {
            clearness,
            variability: if clearness > 0.85 {
                0.05
            } else {
                rng.range(0.1, 0.45)
            },
            phases: [
                rng.range(0.0, 2.0 * PI),
                rng.range(0.0, 2.0 * PI),
                rng.range(0.0, 2.0 * PI),
            ],
            temperature_c: 3.0 + 15.0 * summer + rng.range(-4.0, 4.0),
        }
    }

    /// Mean power of a series over a quarter-hour, sampled each minute.
    pub fn slot_mean_w(&self, day: &HouseholdDay<'_>, kind: ChannelKind, slot: Slot) -> f64 {
        let mut total = 0.0;
        for i in 0..15 {
            let ts = slot.start_ms() + i * 60_000 + 30_000;
            total += day.power_w(kind, ts);
        }
        total / 15.0
    }
}

impl HouseholdDay<'_> {
    /// Integer watts of a series at an instant of this day.
    pub fn power_w(&self, kind: ChannelKind, ts_ms: i64) -> f64 {
        match kind {
            ChannelKind::Production => self.production_w(ts_ms),
            _ => self.consumption_w(ts_ms),
        }
    }

    fn noise(&self, ts_ms: i64, salt: u64) -> f64 {
        let mut rng = Rng::new(hash(&[
            self.seed,
            self.household.number as u64,
            ts_ms as u64,
            salt,
        ]));
        rng.unit() - 0.5
    }

    pub fn consumption_w(&self, ts_ms: i64) -> f64 {
        let h = self.household;
        let t_s = (ts_ms - self.day_start_ms) as f64 / 1000.0;
        let abs_s = ts_ms as f64 / 1000.0;
        let mut w = h.standby_w;
        if (abs_s + h.fridge_phase_s) % h.fridge_period_s < 0.35 * h.fridge_period_s {
            w += h.fridge_w;
        }
        for e in &self.events {
            if t_s >= e.start_s
                && t_s < e.start_s + e.duration_s
                && (e.duty >= 1.0 || ((t_s - e.start_s) % 120.0) < e.duty * 120.0)
            {
                w += e.power_w;
            }
        }
        let cold = (15.0 - self.weather.temperature_c).max(0.0);
        match h.heating {
            Heating::HeatPump { rated_w } if cold > 0.0 => {
                // Each heat pump has its own cycle (20 to 40 min), so their sum does not beat.
                let period = 1200.0 + (h.fridge_period_s - 2400.0);
                let duty = (cold / 18.0).min(0.95);
                if ((abs_s + h.fridge_phase_s * 3.0) % period) < duty * period {
                    w += rated_w;
                }
            }
            Heating::Electric { rated_w } if cold > 0.0 => {
                let hour = t_s / 3600.0;
                if (6.0..9.0).contains(&hour) || (17.0..23.0).contains(&hour) {
                    let duty = (cold / 15.0).min(0.9);
                    if ((abs_s + h.fridge_phase_s) % 600.0) < duty * 600.0 {
                        w += rated_w;
                    }
                }
            }
            _ => {}
        }
        (w * (1.0 + 0.03 * self.noise(ts_ms, 1)) + 4.0 * self.noise(ts_ms, 2))
            .round()
            .max(0.0)
    }

    pub fn production_w(&self, ts_ms: i64) -> f64 {
        let h = self.household;
        if h.pv_peak_w <= 0.0 {
            return 0.0;
        }
        let elevation = solar_elevation_sin(ts_ms);
        if elevation <= 0.0 {
            return 0.0;
        }
        let clear_sky = 1000.0 * elevation.powf(1.15) * 0.9;
        let hours = ts_ms as f64 / 3_600_000.0;
        let wx = self.weather;
        let passing = (wx.variability
            * ((hours * 2.3 + wx.phases[0]).sin()
                + 0.6 * (hours * 7.1 + wx.phases[1]).sin()
                + 0.3 * (hours * 17.0 + wx.phases[2]).sin())
            / 1.9)
            .clamp(-0.9, 0.9);
        let sky = (wx.clearness + passing).clamp(0.05, 1.0);
        let w = h.pv_peak_w * clear_sky / 1000.0 * sky * 0.85;
        (w * (1.0 + 0.01 * self.noise(ts_ms, 3))).round().max(0.0)
    }
}

/// Sine of the sun's elevation above the horizon in Brussels at an instant.
pub fn solar_elevation_sin(ts_ms: i64) -> f64 {
    let days = ts_ms as f64 / 86_400_000.0;
    let doy = days.rem_euclid(365.2422);
    let declination = (-23.44f64).to_radians() * (2.0 * PI * (doy + 10.0) / 365.2422).cos();
    let utc_hours = (ts_ms.rem_euclid(86_400_000)) as f64 / 3_600_000.0;
    let solar_hours = utc_hours + LONGITUDE_DEG / 15.0;
    let hour_angle = (solar_hours - 12.0) * 15.0f64.to_radians();
    let lat = LATITUDE_DEG.to_radians();
    lat.sin() * declination.sin() + lat.cos() * declination.cos() * hour_angle.cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let a = Generator::new(7, 10, 0.5, 1);
        let b = Generator::new(7, 10, 0.5, 1);
        let series = a.series();
        assert_eq!(
            series
                .iter()
                .filter(|s| s.kind == ChannelKind::Production)
                .count(),
            6,
            "{series:?}"
        );
        let t = 1_714_557_600_000; // 2024-05-01T10:00Z
        let day = a.local_day(t);
        let mut total_wh = 0.0;
        for (i, _) in a.households.iter().enumerate().take(10) {
            let (da, db) = (a.day(i, &day), b.day(i, &day));
            assert_eq!(da.consumption_w(t), db.consumption_w(t));
            for slot in day.slots() {
                total_wh += a.slot_mean_w(&da, ChannelKind::Consumption, slot) / 4.0;
            }
        }
        let per_home_kwh = total_wh / 10.0 / 1000.0;
        assert!(
            (3.0..20.0).contains(&per_home_kwh),
            "daily consumption {per_home_kwh} kWh"
        );
        let pv = a.day(0, &day);
        assert!(pv.production_w(t) > 0.0);
        assert_eq!(
            pv.production_w(1_714_525_200_000),
            0.0,
            "no sun at 01:00 UTC"
        );
    }
}
