//! `voisins demo`: a realistic community on the embedded store, served with live meters that
//! push readings through the real ingest path.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use app::demo::{DemoPlan, Generator, SeriesSpec};
use clap::Args;

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
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::cli::init_logging();
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating {}", args.data.display()))?;
    let db = args.data.join("demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store = Arc::new(store::Store::open_sqlite(
        &db,
        store::StoreSettings::default(),
    )?);
    let generator = Generator::new(args.seed, args.households, 0.5, 1);
    let step_ms = args.step_seconds * 1000;
    let now = jiff::Timestamp::now().as_millisecond() / step_ms * step_ms;
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
    let demo = app::demo::seed(&store, &generator, &plan, &mut |step, done, total| {
        bar.set_message(step.to_string());
        bar.set_position(if step == "raw" {
            (total + done) as u64
        } else {
            done as u64
        });
    })?;
    bar.finish_and_clear();
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
    println!(
        "\n  write token for /write and /api/v1/readings: {}\n",
        demo.feed_token
    );
    let web_config = web::WebConfig::new(demo.community_id);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let feed = tokio::spawn(async move {
            if let Ok(addr) = rx.await {
                live_feed(addr, demo.feed_token, generator, demo.series, now, step_ms).await;
            }
        });
        let result = crate::serve::serve(store, web_config, args.listen, Some(tx)).await;
        feed.abort();
        result
    })
}

/// Every step, the meters send what they measured since their last message, as line protocol.
async fn live_feed(
    addr: SocketAddr,
    token: String,
    generator: Generator,
    series: Vec<SeriesSpec>,
    mut last_ms: i64,
    step_ms: i64,
) {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build();
    let url = format!("http://{addr}/write?precision=ms");
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(step_ms as u64));
    loop {
        tick.tick().await;
        let now = jiff::Timestamp::now().as_millisecond() / step_ms * step_ms;
        if now <= last_ms {
            continue;
        }
        let mut body = String::new();
        let mut t = last_ms + step_ms;
        while t <= now {
            let day = generator.local_day(t);
            for s in &series {
                let w = generator.day(s.household, &day).power_w(s.kind, t);
                body.push_str(&format!("power,sensor={} value={}i {t}\n", s.key, w as i64));
            }
            t += step_ms;
        }
        let (agent, url, token) = (agent.clone(), url.clone(), token.clone());
        let sent = tokio::task::spawn_blocking(move || {
            agent
                .post(&url)
                .set("Authorization", &format!("Token {token}"))
                .send_string(&body)
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .await;
        match sent {
            Ok(Ok(_)) => last_ms = now,
            Ok(Err(e)) => tracing::warn!(error = %e, "live feed write failed; will retry"),
            Err(e) => tracing::warn!(error = %e, "live feed task failed"),
        }
    }
}
