//! Test helpers for the whole workspace (a dev-dependency only): unique temporary directories,
//! stores on both backends ([`store_test!`] runs one test on SQLite and on PostgreSQL), a
//! [`World`] of households with meters, channels, accounts and tokens, and HTTP helpers that
//! drive a router in process.
//!
//! Services: PostgreSQL comes from `VOISINS_TEST_PG`; with `VOISINS_REQUIRE_SERVICES=1` a
//! missing service fails the test instead of skipping it.

pub mod http;
pub mod postgres;
mod world;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use store::{Store, StoreSettings};

pub use world::{World, WorldSpec, NOW_MS};

/// The community's running totals equal the totals recomputed from its best quarter-hours.
#[track_caller]
pub fn assert_totals_consistent(store: &Store, community: domain::CommunityId, context: &str) {
    let (stored, recomputed) = store
        .read(|tx| {
            Ok((
                tx.totals().stored(community)?,
                tx.totals().recompute(community)?,
            ))
        })
        .unwrap();
    assert_eq!(
        stored, recomputed,
        "community totals drifted from the quarter-hours: {context}"
    );
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A TCP port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A name no other test of any process uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("voisins-{}", unique(prefix)));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether missing services must fail tests.
pub fn services_required() -> bool {
    std::env::var("VOISINS_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// The PostgreSQL URL for tests, or `None` (and a note) when there is none.
pub fn pg_url() -> Option<String> {
    match std::env::var("VOISINS_TEST_PG") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !services_required(),
                "VOISINS_REQUIRE_SERVICES=1 but VOISINS_TEST_PG is not set"
            );
            eprintln!("VOISINS_TEST_PG not set: PostgreSQL test skipped");
            None
        }
    }
}

enum Guard {
    Dir(TempDir),
    Schema { url: String, schema: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Schema { url, schema } = self {
            let _ = Store::drop_postgres_schema(url, schema);
        }
    }
}

/// A store for one test, removed afterwards.
pub struct TestStore {
    pub store: Arc<Store>,
    _guard: Guard,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestStore {
    pub fn sqlite(name: &str) -> TestStore {
        TestStore::sqlite_with(name, StoreSettings::default())
    }

    pub fn sqlite_with(name: &str, settings: StoreSettings) -> TestStore {
        let dir = TempDir::new(name);
        let store =
            Store::open_sqlite(&dir.path().join("voisins.db"), settings).expect("sqlite store");
        TestStore {
            store: Arc::new(store),
            _guard: Guard::Dir(dir),
        }
    }

    /// Another store on the same database (a second process, as far as the database can
    /// tell): the same SQLite file, or the same PostgreSQL schema.
    pub fn second(&self) -> Store {
        match &self._guard {
            Guard::Dir(dir) => Store::open_sqlite(
                &dir.path().join("voisins.db"),
                self.store.settings().clone(),
            ),
            Guard::Schema { url, schema } => {
                Store::open_postgres(url, Some(schema), self.store.settings().clone())
            }
        }
        .expect("second store")
    }

    /// A PostgreSQL store in a schema of its own, or `None` without PostgreSQL.
    pub fn postgres(name: &str) -> Option<TestStore> {
        TestStore::postgres_with(name, StoreSettings::default())
    }

    pub fn postgres_with(name: &str, settings: StoreSettings) -> Option<TestStore> {
        let url = pg_url()?;
        let short: String = name.chars().take(24).collect();
        let schema = unique(&short).to_lowercase();
        let store =
            Store::open_postgres(&url, Some(&schema), settings).expect("VOISINS_TEST_PG reachable");
        Some(TestStore {
            store: Arc::new(store),
            _guard: Guard::Schema { url, schema },
        })
    }
}

/// One test, run on SQLite always and on PostgreSQL when it is available:
/// `store_test!(name, |store: &TestStore| { … });` defines `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! store_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn sqlite() {
                let store = $crate::TestStore::sqlite(stringify!($name));
                let run: &dyn Fn(&$crate::TestStore) = &$body;
                run(&store);
            }

            #[test]
            fn postgres() {
                if let Some(store) = $crate::TestStore::postgres(stringify!($name)) {
                    let run: &dyn Fn(&$crate::TestStore) = &$body;
                    run(&store);
                }
            }
        }
    };
}
