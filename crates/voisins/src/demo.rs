//! `voisins demo`: a realistic community on the embedded store, served with live meters that
//! push readings through the real ingest path (HTTP line protocol with a write token).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Args;
use sim::{DemoPlan, Generator};

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the demo store is created (replaced at each start).
    #[arg(long, default_value = "voisins-demo")]
    pub data: PathBuf,
    #[arg(long, default_value_t = 24)]
    pub households: usize,
    /// Days of quarter-hours before the raw period.
    #[arg(long, default_value_t = 358)]
    pub history_days: i64,
    /// Days of raw readings, ending now.
    #[arg(long, default_value_t = 7)]
    pub raw_days: i64,
    #[arg(long, default_value_t = 8)]
    pub step_seconds: i64,
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// Only create the store and print the accounts (the server seeds in a process of its
    /// own, so the memory seeding takes goes back to the system before serving starts).
    #[arg(long, hide = true)]
    pub seed_only: bool,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::cli::init_logging();
    anyhow::ensure!(args.step_seconds > 0, "--step-seconds must be positive");
    let db = args.data.join("demo.db");
    let mut config = crate::config::Config::parse("", &args.data)?.listening_on(args.listen);
    config.store_url = format!("sqlite:{}", db.display());
    let generator = Generator::new(args.seed, args.households, 0.5, 1);
    let step_ms = args.step_seconds * 1000;
    if args.seed_only {
        return seed_store(&args, &config, &generator);
    }
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .arg("--seed-only")
        .status()
        .context("seeding the demo store")?;
    anyhow::ensure!(status.success(), "seeding the demo store failed ({status})");
    // The store was checked when the seeding process created it a moment ago.
    let settings = store::StoreSettings {
        check_at_open: false,
        ..config.store.clone()
    };
    let store =
        Arc::new(store::Store::open_sqlite(&db, settings).map_err(|e| anyhow::anyhow!("{e}"))?);
    let community = store
        .read(|tx| tx.communities().list())
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .first()
        .map(|c| c.id)
        .context("the demo store has no community")?;
    let app = app::App::new(
        store.clone(),
        Arc::new(app::SystemClock),
        config.app_settings(community),
    );
    let (_, token) = app
        .create_token(domain::TokenScope::CommunityWrite, "demo live feed")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("  write token for /write and /api/v1/readings: {token}\n");
    let now = app::Clock::now_ms(&app::SystemClock) / step_ms * step_ms;
    crate::serve::tokio_runtime(&config)?.block_on(crate::serve::serve(
        store,
        &config,
        community,
        move |supervisor, addr| {
            let feed = Feed {
                url: format!("http://{addr}/write"),
                token,
                generator: Arc::new(generator),
                last_ms: Arc::new(Mutex::new(now)),
                step_ms,
                // Its own thread for the HTTP call: the server's blocking pool is for the store.
                blocking: runtime::Blocking::new(1, 1),
            };
            supervisor.spawn("demo meters", move |shutdown| {
                let feed = feed.clone();
                async move { feed.run(shutdown).await }
            });
        },
    ))
}

/// Creates the demo community in the store and prints its accounts.
fn seed_store(
    args: &DemoArgs,
    config: &crate::config::Config,
    generator: &Generator,
) -> anyhow::Result<()> {
    let db = args.data.join("demo.db");
    let store =
        store::Store::open_sqlite(&db, config.store.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let step_ms = args.step_seconds * 1000;
    let now = app::Clock::now_ms(&app::SystemClock) / step_ms * step_ms;
    let plan = DemoPlan {
        households: args.households,
        history_days: args.history_days,
        raw_days: args.raw_days,
        step_ms,
        now_ms: now,
    };
    eprintln!("Creating the demo community in {} …", args.data.display());
    let bar = indicatif::ProgressBar::new(generator.series().len() as u64 * 2);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>8} {bar:40} {pos}/{len}").expect("template"),
    );
    let demo = sim::seed(&store, generator, &plan, &mut |step, done, total| {
        bar.set_message(step.to_string());
        bar.set_position(if step == "raw" {
            (total + done) as u64
        } else {
            done as u64
        });
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    store.checkpoint().map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("\nVoisins demo: http://{}\n", args.listen);
    println!("  {:<14} {:<22} {:<12} member", "login", "password", "role");
    for a in &demo.accounts {
        println!(
            "  {:<14} {:<22} {:<12} {}",
            a.login,
            a.password,
            a.role.as_str(),
            a.member.as_deref().unwrap_or("—")
        );
    }
    println!();
    Ok(())
}

/// The demo's meters: every step, what they measured since their last message, as line
/// protocol.
#[derive(Clone)]
struct Feed {
    url: String,
    token: String,
    generator: Arc<Generator>,
    last_ms: Arc<Mutex<i64>>,
    step_ms: i64,
    blocking: runtime::Blocking,
}

impl Feed {
    async fn run(self, shutdown: runtime::CancellationToken) -> Result<(), String> {
        let agent = ureq::AgentBuilder::new()
            .timeout(std::time::Duration::from_secs(30))
            .build();
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(self.step_ms as u64));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tick.tick() => {}
            }
            let now = app::Clock::now_ms(&app::SystemClock) / self.step_ms * self.step_ms;
            let last = *self.last_ms.lock().unwrap_or_else(|e| e.into_inner());
            if now <= last {
                continue;
            }
            // The instants after the last one sent, up to now.
            let mut body = Vec::new();
            if let Err(e) = sim::write_line_protocol(
                &self.generator,
                last + self.step_ms,
                now + self.step_ms,
                self.step_ms,
                sim::Format::LineProtocol,
                &mut body,
                &mut |_, _| {},
            ) {
                return Err(format!("demo meters: {e}"));
            }
            let (agent, url, token) = (agent.clone(), self.url.clone(), self.token.clone());
            let sent = self
                .blocking
                .run(move || {
                    agent
                        .post(&url)
                        .set("Authorization", &format!("Token {token}"))
                        .send_bytes(&body)
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
                .await;
            match sent {
                Ok(Ok(())) => *self.last_ms.lock().unwrap_or_else(|e| e.into_inner()) = now,
                Ok(Err(e)) => tracing::warn!(error = %e, "demo meters: write failed; will retry"),
                Err(_) => tracing::warn!("demo meters: the server is busy; will retry"),
            }
        }
    }
}
