//! A small community for tests: households with a meter each, a consumption channel each and
//! production channels for some, resident accounts, a coordinator, and tokens of every scope,
//! on a store of either backend, with a clock the test controls.

use std::sync::Arc;

use app::ports::ManualClock;
use app::{App, Settings};
use domain::{
    ChannelId, ChannelKind, CommunityId, MemberId, MemberKind, MeterId, Role, SeriesKey,
    TokenScope, Unit,
};
use store::{NewChannel, NewUser, Store};

use crate::TestStore;

/// 2024-05-01T10:00:00Z, a Wednesday, noon in Brussels.
pub const NOW_MS: i64 = 1_714_557_600_000;

/// What to build.
#[derive(Debug, Clone)]
pub struct WorldSpec {
    pub households: usize,
    /// Households (by index) that do not share their curve with coordinators.
    pub private: Vec<usize>,
    /// Households (by index) with a production channel.
    pub pv: Vec<usize>,
    pub now_ms: i64,
    pub max_gap_ms: i64,
}

impl Default for WorldSpec {
    fn default() -> Self {
        WorldSpec {
            households: 6,
            private: vec![1, 2, 3, 4, 5],
            pv: vec![0],
            now_ms: NOW_MS,
            max_gap_ms: 300_000,
        }
    }
}

/// The community built, with every id a test needs.
pub struct World {
    pub store: Arc<Store>,
    pub clock: Arc<ManualClock>,
    pub community: CommunityId,
    pub members: Vec<MemberId>,
    pub meters: Vec<MeterId>,
    /// `h{n}c`, one per household.
    pub consumption: Vec<ChannelId>,
    /// `h{n}p` for the households with PV.
    pub production: Vec<Option<ChannelId>>,
    /// `h1`, `h2`, …: each household's resident; the password is [`World::password`].
    pub logins: Vec<String>,
    pub coordinator: String,
    pub read_tokens: Vec<String>,
    pub meter_tokens: Vec<String>,
    pub community_token: String,
    _store: TestStore,
}

impl World {
    /// The password of a login in every world.
    pub fn password(login: &str) -> String {
        format!("{login}-password")
    }

    pub fn new(test_store: TestStore, spec: WorldSpec) -> World {
        let store = test_store.store.clone();
        let community = store
            .write(|tx| {
                tx.communities()
                    .create("Test", "Europe/Brussels", spec.max_gap_ms)
            })
            .unwrap();
        let mut w = World {
            store: store.clone(),
            clock: Arc::new(ManualClock::new(spec.now_ms)),
            community,
            members: Vec::new(),
            meters: Vec::new(),
            consumption: Vec::new(),
            production: Vec::new(),
            logins: Vec::new(),
            coordinator: "coord".into(),
            read_tokens: Vec::new(),
            meter_tokens: Vec::new(),
            community_token: String::new(),
            _store: test_store,
        };
        for i in 0..spec.households {
            let n = i + 1;
            let consent = !spec.private.contains(&i);
            let (member, meter, cons, prod) = store
                .write(|tx| {
                    let member = tx.members().add(
                        community,
                        &format!("Household {n}"),
                        MemberKind::Household,
                        consent,
                    )?;
                    let meter = tx
                        .meters()
                        .add(community, Some(member), &format!("flukso-{n}"))?;
                    let channel = |tx: &mut store::Tx<'_>, key: String, kind| {
                        tx.channels().add(
                            &NewChannel {
                                community_id: community,
                                meter_id: Some(meter),
                                series_key: SeriesKey::parse(&key).unwrap(),
                                unit: Unit::Watt,
                                kind: Some(kind),
                                phase: None,
                                valid_from_ms: 0,
                            },
                            spec.now_ms,
                        )
                    };
                    let cons = channel(tx, format!("h{n}c"), ChannelKind::Consumption)?;
                    let prod = if spec.pv.contains(&i) {
                        Some(channel(tx, format!("h{n}p"), ChannelKind::Production)?)
                    } else {
                        None
                    };
                    Ok((member, meter, cons, prod))
                })
                .unwrap();
            w.members.push(member);
            w.meters.push(meter);
            w.consumption.push(cons);
            w.production.push(prod);
            w.logins.push(format!("h{n}"));
        }
        let hash = |login: &str| app::auth::hash_password(&World::password(login));
        let mut users = Vec::new();
        for (i, login) in w.logins.iter().enumerate() {
            let new = NewUser {
                community_id: community,
                login: login.clone(),
                display_name: format!("Resident {}", i + 1),
                password_hash: hash(login),
                role: Role::Resident,
                member_id: Some(w.members[i]),
                lang: "fr".into(),
            };
            users.push(store.write(|tx| tx.users().create(&new)).unwrap());
        }
        let coordinator = NewUser {
            community_id: community,
            login: w.coordinator.clone(),
            display_name: "Coordination".into(),
            password_hash: hash(&w.coordinator),
            role: Role::Coordinator,
            member_id: None,
            lang: "fr".into(),
        };
        store.write(|tx| tx.users().create(&coordinator)).unwrap();
        let app = w.app();
        for u in users {
            w.read_tokens.push(
                app.create_token(TokenScope::UserRead { user_id: u }, "test")
                    .unwrap()
                    .1,
            );
        }
        for m in w.meters.clone() {
            w.meter_tokens.push(
                app.create_token(TokenScope::MeterWrite { meter_id: m }, "test")
                    .unwrap()
                    .1,
            );
        }
        w.community_token = app
            .create_token(TokenScope::CommunityWrite, "test")
            .unwrap()
            .1;
        w
    }

    /// A world of the default shape on SQLite.
    pub fn sqlite() -> World {
        World::new(TestStore::sqlite("world"), WorldSpec::default())
    }

    pub fn settings(&self) -> Settings {
        Settings::new(self.community)
    }

    /// The use cases over this world's store and clock.
    pub fn app(&self) -> App {
        self.app_with(self.settings())
    }

    pub fn app_with(&self, settings: Settings) -> App {
        App::new(self.store.clone(), self.clock.clone(), settings)
    }

    /// Writes constant power on a channel, every `step_ms` over `[from_ms, to_ms]`.
    pub fn constant(&self, channel: ChannelId, from_ms: i64, to_ms: i64, step_ms: i64, w: f64) {
        let points: Vec<domain::Point> = (from_ms..=to_ms)
            .step_by(step_ms as usize)
            .map(|ts_ms| domain::Point { ts_ms, value: w })
            .collect();
        self.store
            .write(|tx| tx.points().write(channel, &points, None))
            .unwrap();
    }
}
