//! Seeding a store with the demo community: members and their meters and channels, accounts,
//! two groups, a low-voltage cabin that sees every home (the unmetered ones too), a year of
//! quarter-hours and the last days of raw readings.

use std::collections::BTreeMap;

use domain::{
    ChannelId, ChannelKind, CommunityId, Interval, LocalDay, MemberKind, Point, Provenance, Role,
    SeriesKey, Slot, Unit,
};
use store::{NewChannel, NewUser, Store, StoreError};

use crate::{Generator, SeriesSpec};

/// A demo account, printed when the demo starts.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: String,
    pub password: String,
    pub role: Role,
    pub member: Option<String>,
}

/// What [`seed`] created.
#[derive(Debug, Clone)]
pub struct DemoCommunity {
    pub community_id: CommunityId,
    pub accounts: Vec<DemoAccount>,
    pub series: Vec<SeriesSpec>,
}

/// How much demo data to create.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub households: usize,
    /// Days of quarter-hours before the raw period.
    pub history_days: i64,
    /// Days of raw points at `step_ms`, ending at `now_ms`.
    pub raw_days: i64,
    pub step_ms: i64,
    pub now_ms: i64,
}

const SURNAMES: &[&str] = &[
    "Dubois",
    "Peeters",
    "Janssens",
    "Lambert",
    "El Amrani",
    "Maes",
    "Dupont",
    "Claes",
    "Martin",
    "Goossens",
    "Wouters",
    "Lejeune",
    "Benali",
    "De Smet",
    "Renard",
    "Nguyen",
    "Mertens",
    "Vandenberghe",
    "Leroy",
    "Kowalski",
    "Diallo",
    "Hermans",
    "Simon",
    "Jacobs",
    "Fontaine",
    "Aydin",
    "Michel",
    "Willems",
    "Laurent",
    "Costa",
];

fn mwh_of_mean_w(mean_w: f64) -> i64 {
    (mean_w * 250.0).round() as i64 // W over 900 s = W/4 Wh = 250·W mWh
}

/// Creates the demo community in `store`. `progress(step, done, total)` reports the work.
pub fn seed(
    store: &Store,
    generator: &Generator,
    plan: &DemoPlan,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<DemoCommunity, StoreError> {
    let community = store.write(|tx| {
        tx.communities()
            .create("L'Échappée & voisins", "Europe/Brussels", 300_000)
    })?;
    let series = generator.series();
    let start_ms = plan.now_ms - (plan.history_days + plan.raw_days) * 86_400_000;
    let mut accounts = Vec::new();
    let mut member_ids = Vec::new();
    let mut meter_of_household = Vec::new();
    for (i, h) in generator.households.iter().enumerate() {
        let name = if h.commons {
            "Espaces communs".to_string()
        } else {
            format!("{} — {}", SURNAMES[i % SURNAMES.len()], h.number)
        };
        let kind = if h.commons {
            MemberKind::Commons
        } else {
            MemberKind::Household
        };
        let consent = h.commons || i % 5 != 2;
        let login = if h.commons {
            format!("communs{}", h.number)
        } else {
            format!("h{:03}", h.number)
        };
        let password = format!("demo-{login}");
        let hash = app::auth::hash_password(&password);
        let (member, meter) = store.write(|tx| {
            let member = tx.members().add(community, &name, kind, consent)?;
            let meter =
                tx.meters()
                    .add(community, Some(member), &format!("flukso-{:03}", h.number))?;
            tx.users().create(&NewUser {
                community_id: community,
                login: login.clone(),
                display_name: name.clone(),
                password_hash: hash.clone(),
                role: Role::Resident,
                member_id: Some(member),
                lang: "fr".into(),
            })?;
            Ok((member, meter))
        })?;
        member_ids.push(member);
        meter_of_household.push(meter);
        accounts.push(DemoAccount {
            login,
            password,
            role: Role::Resident,
            member: Some(name),
        });
    }
    let key = |k: &str| SeriesKey::parse(k).map_err(|e| StoreError::invalid(e.to_string()));
    let mut channel_ids: Vec<ChannelId> = Vec::new(); // parallel to `series`
    for s in &series {
        let series_key = key(&s.key)?;
        channel_ids.push(store.write(|tx| {
            tx.channels().add(
                &NewChannel {
                    community_id: community,
                    meter_id: Some(meter_of_household[s.household]),
                    series_key: series_key.clone(),
                    unit: Unit::Watt,
                    kind: Some(s.kind),
                    phase: None,
                    valid_from_ms: start_ms - 86_400_000,
                },
                plan.now_ms,
            )
        })?);
    }
    let cabin_key = key("cabine1")?;
    let coordinator_hash = app::auth::hash_password("demo-coordination");
    let half = member_ids.len() / 2;
    let cabin = store.write(|tx| {
        let meter = tx.meters().add(community, None, "cabine-BT-1")?;
        let cabin = tx.channels().add(
            &NewChannel {
                community_id: community,
                meter_id: Some(meter),
                series_key: cabin_key.clone(),
                unit: Unit::WattHour,
                kind: Some(ChannelKind::Cabin),
                phase: None,
                valid_from_ms: start_ms - 86_400_000,
            },
            plan.now_ms,
        )?;
        tx.groups()
            .add(community, "Rue des Tilleuls", &member_ids[..half])?;
        tx.groups()
            .add(community, "Clos du Balai", &member_ids[half..])?;
        tx.users().create(&NewUser {
            community_id: community,
            login: "coordination".into(),
            display_name: "Coordination".into(),
            password_hash: coordinator_hash.clone(),
            role: Role::Coordinator,
            member_id: None,
            lang: "fr".into(),
        })?;
        Ok(cabin)
    })?;
    accounts.insert(
        0,
        DemoAccount {
            login: "coordination".into(),
            password: "demo-coordination".into(),
            role: Role::Coordinator,
            member: None,
        },
    );

    // Unmetered homes behind the cabin: more of the same model.
    let unmetered = Generator::new(generator.seed ^ 0xcab1, 8, 0.0, 0);
    let raw_start_ms = Slot::containing_ms(plan.now_ms - plan.raw_days * 86_400_000).start_ms();
    let first_slot = Slot::containing_ms(start_ms);
    let days: Vec<LocalDay> = {
        let mut out = Vec::new();
        let mut t = first_slot.start_ms();
        while t < plan.now_ms {
            let d = generator.local_day(t);
            t = d.end.start_ms();
            out.push(d);
        }
        out
    };
    let in_range = |sl: &Slot| sl.start_ms() >= first_slot.start_ms() && sl.end_ms() <= plan.now_ms;
    let mut cabin_by_slot: BTreeMap<i64, i64> = BTreeMap::new();
    let total = series.len();
    for (n, s) in series.iter().enumerate() {
        progress("history", n, total);
        let mut intervals = Vec::new();
        let sign = if s.kind == ChannelKind::Production {
            -1
        } else {
            1
        };
        for d in &days {
            let day = generator.day(s.household, d);
            for slot in d.slots().filter(in_range) {
                let mwh = mwh_of_mean_w(generator.slot_mean_w(&day, s.kind, slot));
                *cabin_by_slot.entry(slot.index()).or_insert(0) += sign * mwh;
                if slot.start_ms() < raw_start_ms {
                    intervals.push(Interval::flat(slot, mwh, Provenance::Measured));
                }
            }
        }
        store.write(|tx| tx.intervals().write(channel_ids[n], &intervals))?;
    }
    for (i, _) in unmetered.households.iter().enumerate() {
        for d in &days {
            let day = unmetered.day(i, d);
            for slot in d.slots().filter(in_range) {
                *cabin_by_slot.entry(slot.index()).or_insert(0) +=
                    mwh_of_mean_w(unmetered.slot_mean_w(&day, ChannelKind::Consumption, slot));
            }
        }
    }
    let cabin_intervals: Vec<Interval> = cabin_by_slot
        .iter()
        .map(|(&idx, &mwh)| {
            // Line and transformer losses.
            let mwh = if mwh > 0 {
                mwh * 103 / 100
            } else {
                mwh * 98 / 100
            };
            Interval::flat(Slot::from_index(idx), mwh, Provenance::Measured)
        })
        .collect();
    store.write(|tx| tx.intervals().write(cabin, &cabin_intervals))?;

    // Raw readings of the last days, a day per transaction per channel.
    let raw_days: Vec<&LocalDay> = days
        .iter()
        .filter(|d| d.end.start_ms() > raw_start_ms)
        .collect();
    for (n, s) in series.iter().enumerate() {
        progress("raw", n, total);
        for d in &raw_days {
            let day = generator.day(s.household, d);
            let from = d.first.start_ms().max(raw_start_ms);
            let to = d.end.start_ms().min(plan.now_ms + 1);
            let first = from + (plan.step_ms - from.rem_euclid(plan.step_ms)) % plan.step_ms;
            let points: Vec<Point> = (first..to)
                .step_by(plan.step_ms as usize)
                .map(|ts_ms| Point {
                    ts_ms,
                    value: day.power_w(s.kind, ts_ms),
                })
                .collect();
            store.write(|tx| {
                tx.points()
                    .write(channel_ids[n], &points, Some(plan.now_ms))
            })?;
        }
    }
    progress("raw", total, total);
    Ok(DemoCommunity {
        community_id: community,
        accounts,
        series,
    })
}
