//! Dashboard figures on a small hand-made community: collective self-consumption per
//! quarter-hour and the low-voltage cabin against the metered members.

use domain::{ChannelKind, Interval, MemberKind, Provenance, Slot, Unit};
use store::{NewChannel, Store, StoreSettings};

fn q(slot: i64, wh: f64) -> Interval {
    Interval::flat(Slot::from_index(slot), wh, Provenance::Measured)
}

#[test]
fn self_consumption_and_cabin_figures() {
    let dir = std::env::temp_dir().join(format!("voisins-dash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_sqlite(&dir.join("v.db"), StoreSettings::default()).unwrap();
    let c = store
        .create_community("T", "Europe/Brussels", 300_000)
        .unwrap();
    let m = store
        .add_member(c, "A", MemberKind::Household, true)
        .unwrap();
    let meter = store.add_meter(c, Some(m), "m").unwrap();
    let channel = |key: &str, kind| {
        store
            .add_channel(&NewChannel {
                community_id: c,
                meter_id: Some(meter),
                series_key: key.into(),
                unit: Unit::Watt,
                kind: Some(kind),
                phase: None,
                valid_from_ms: 0,
            })
            .unwrap()
    };
    let (cons, prod, cabin) = (
        channel("c", ChannelKind::Consumption),
        channel("p", ChannelKind::Production),
        channel("cab", ChannelKind::Cabin),
    );
    let s0 = 1_906_000; // any slot index
    store
        .write_intervals(cons, &[q(s0, 100.0), q(s0 + 1, 300.0)])
        .unwrap();
    store
        .write_intervals(prod, &[q(s0, 300.0), q(s0 + 1, 100.0)])
        .unwrap();
    store
        .write_intervals(cabin, &[q(s0, -190.0), q(s0 + 1, 250.0)])
        .unwrap();
    let (from, to) = (Slot::from_index(s0), Slot::from_index(s0 + 2));

    let totals = app::dashboard::community_totals(&store, c, from, to).unwrap();
    assert_eq!(
        totals.self_consumed_wh, 200.0,
        "min(c, p) per quarter-hour, not over the period"
    );
    assert_eq!(totals.self_consumption_rate, Some(0.5));

    let view = app::dashboard::cabin_view(&store, c, from, to)
        .unwrap()
        .unwrap();
    assert_eq!(view.measured_wh, 60.0);
    assert_eq!(view.members_net_wh, 0.0);
    assert_eq!(view.reverse_flow_slots, 1);
    assert_eq!(view.slots, 2);
    assert!(
        app::dashboard::cabin_view(&store, c, Slot::from_index(0), Slot::from_index(1))
            .unwrap()
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
