//! The one unit table: how a unit written by a device, a file or a person is stored. Powers are
//! stored in W, energies (counters, quarter-hour volumes) in Wh.

use domain::Unit;

/// How values written in a unit are stored: the channel unit and the factor to apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub unit: Unit,
    pub factor: f64,
}

/// Recognises `W`, `kW`, `Wh`, `kWh` (any case, as devices spell them: `KW`, `kwh`), and
/// `MW`, `MWh` written with a capital M (a lower-case m would be milli).
pub fn parse(text: &str) -> Option<Scale> {
    let t = text.trim();
    let (unit, factor) = match t {
        "MW" => (Unit::Watt, 1e6),
        "MWh" => (Unit::WattHour, 1e6),
        _ => match t.to_ascii_lowercase().as_str() {
            "w" | "watt" | "watts" => (Unit::Watt, 1.0),
            "kw" => (Unit::Watt, 1e3),
            "wh" => (Unit::WattHour, 1.0),
            "kwh" => (Unit::WattHour, 1e3),
            _ => return None,
        },
    };
    Some(Scale { unit, factor })
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
                factor: 1e3
            })
        );
        assert_eq!(
            parse(" W "),
            Some(Scale {
                unit: Unit::Watt,
                factor: 1.0
            })
        );
        assert_eq!(parse("V"), None);
        assert_eq!(parse("mw"), None, "milliwatts are not megawatts");
        assert_eq!(parse("MWh").unwrap().factor, 1e6);
    }
}
