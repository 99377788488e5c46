//! The one unit table: how a unit written by a device, a file or a person is stored. Powers are
//! stored in W, energies (counters, quarter-hour volumes) in Wh.
//!
//! Prefixed units are scaled exactly: the decimal a device wrote is shifted by the prefix's
//! power of ten and read once, so `0.001 kWh` is `1 Wh` and `1.005 kW` is `1005 W`, integers
//! that the chunk codec stores as such (multiplying the float by 1000 misses about one
//! three-decimal value in seventy: `1.005 * 1000.0` is `1004.9999999999999`).

use domain::Unit;

/// How values written in a unit are stored: the channel unit and the power of ten to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub unit: Unit,
    /// The stored value is the written one times 10^`pow10` (3 for kW and kWh, 6 for M).
    pub pow10: u8,
}

impl Scale {
    /// The stored value of a written one, as exact as the decimal it was written as: `value`
    /// is taken at its shortest decimal form (the digits the device or file gave), shifted, and
    /// read again with correct rounding.
    pub fn apply(&self, value: f64) -> f64 {
        if self.pow10 == 0 || !value.is_finite() {
            return value;
        }
        // `{:e}` is the shortest representation that reads back to the same f64.
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').expect("`{:e}` writes an exponent");
        let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
        format!("{mantissa}e{}", exponent + i32::from(self.pow10))
            .parse()
            .expect("a float's digits with a shifted exponent are a float")
    }
}

/// Recognises `W`, `kW`, `Wh`, `kWh` (any case, as devices spell them: `KW`, `kwh`), and
/// `MW`, `MWh` written with a capital M (a lower-case m would be milli).
pub fn parse(text: &str) -> Option<Scale> {
    let t = text.trim();
    let (unit, pow10) = match t {
        "MW" => (Unit::Watt, 6),
        "MWh" => (Unit::WattHour, 6),
        _ => match t.to_ascii_lowercase().as_str() {
            "w" | "watt" | "watts" => (Unit::Watt, 0),
            "kw" => (Unit::Watt, 3),
            "wh" => (Unit::WattHour, 0),
            "kwh" => (Unit::WattHour, 3),
            _ => return None,
        },
    };
    Some(Scale { unit, pow10 })
}

/// The units [`parse`] knows, for error messages.
pub const KNOWN: &str = "W, kW, MW, Wh, kWh, MWh";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_to_watts_and_watt_hours() {
        assert_eq!(
            parse("kWh"),
            Some(Scale {
                unit: Unit::WattHour,
                pow10: 3
            })
        );
        assert_eq!(
            parse(" W "),
            Some(Scale {
                unit: Unit::Watt,
                pow10: 0
            })
        );
        assert_eq!(parse("V"), None);
        assert_eq!(parse("mw"), None, "milliwatts are not megawatts");
        assert_eq!(parse("MWh").unwrap().pow10, 6);
    }

    #[test]
    fn every_three_decimal_kilo_value_scales_to_an_exact_integer() {
        let kilo = parse("kWh").unwrap();
        let mut inexact_by_multiplication = 0;
        for thousandths in 0..200_000i64 {
            let written: f64 = format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
                .parse()
                .unwrap();
            assert_eq!(kilo.apply(written), thousandths as f64, "{written}");
            assert_eq!(kilo.apply(-written), -thousandths as f64, "-{written}");
            if written * 1000.0 != thousandths as f64 {
                inexact_by_multiplication += 1;
            }
        }
        // What the shift avoids: plain multiplication misses a share of them.
        assert!(
            inexact_by_multiplication > 1_000,
            "{inexact_by_multiplication}"
        );
        // A P1 telegram's register, six digits and three decimals.
        assert_eq!(kilo.apply("001234.567".parse().unwrap()), 1_234_567.0);
        assert_eq!(parse("MW").unwrap().apply(1.2345678), 1_234_567.8);
        assert_eq!(kilo.apply(2.5e-4), 0.25);
        assert_eq!(kilo.apply(1e300), 1e303);
        assert_eq!(
            kilo.apply(f64::MAX),
            f64::INFINITY,
            "refused later as implausible"
        );
        assert!(kilo.apply(f64::NAN).is_nan());
    }
}
