//! Collective self-consumption at quarter-hour resolution.
//!
//! For each quarter-hour the community consumes `c` and produces `p`; what it uses of its own
//! production is `min(c, p)`. Summing per quarter-hour (never netting over a longer period,
//! which overstates both rates) gives the self-consumption rate (share of production used
//! locally) and the self-sufficiency rate (share of consumption covered locally).

/// Running totals of collective self-consumption.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SelfConsumption {
    pub consumption_wh: f64,
    pub production_wh: f64,
    pub self_consumed_wh: f64,
}

impl SelfConsumption {
    /// Adds one quarter-hour.
    pub fn add(&mut self, consumption_wh: f64, production_wh: f64) {
        let (c, p) = (consumption_wh.max(0.0), production_wh.max(0.0));
        self.consumption_wh += c;
        self.production_wh += p;
        self.self_consumed_wh += c.min(p);
    }

    /// Share of the production consumed in the community, `None` without production.
    pub fn self_consumption_rate(&self) -> Option<f64> {
        (self.production_wh > 0.0).then(|| self.self_consumed_wh / self.production_wh)
    }

    /// Share of the consumption covered by local production, `None` without consumption.
    pub fn self_sufficiency_rate(&self) -> Option<f64> {
        (self.consumption_wh > 0.0).then(|| self.self_consumed_wh / self.consumption_wh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_hour_netting_is_not_annual_netting() {
        let mut sc = SelfConsumption::default();
        sc.add(100.0, 300.0); // midday: 200 Wh injected upstream
        sc.add(300.0, 100.0); // evening: 200 Wh bought
        assert_eq!(sc.self_consumed_wh, 200.0);
        assert_eq!(sc.self_consumption_rate(), Some(0.5));
        assert_eq!(sc.self_sufficiency_rate(), Some(0.5));
        assert_eq!(SelfConsumption::default().self_consumption_rate(), None);
    }
}
