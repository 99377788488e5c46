//! `voisins bench`: the benchmark of the specification. Generates the standard dataset (100
//! households, half with PV, 7 days from 2024-05-01T00:00Z at 8 s: 11.34 M points) or reads a
//! line-protocol file, starts `voisins serve` on a temporary store, sends the file over HTTP
//! with 2 concurrent clients in 50,000-line batches to `/write`, asks the community quarter-hour
//! consumption total over the whole period 5 times, and prints one JSON object.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use domain::{ChannelKind, MemberKind, Role, SeriesKey, TokenScope, Unit};
use store::{NewChannel, NewUser, Store, StoreSettings};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A line-protocol file (`power,sensor=h007c value=263i <ns>`); default: the standard dataset.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[arg(long, default_value_t = 2)]
    pub clients: usize,
    #[arg(long, default_value_t = 50_000)]
    pub batch_lines: usize,
    /// Keep the temporary directory (data, server log) and print its path.
    #[arg(long)]
    pub keep: bool,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("voisins-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = bench(&args, &work);
    if args.keep {
        eprintln!("kept {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

fn bench(args: &BenchArgs, work: &Path) -> anyhow::Result<()> {
    let input = match &args.input {
        Some(p) => p.clone(),
        None => {
            let path = work.join("standard.lp");
            eprintln!("generating the standard dataset …");
            let generate = crate::generate::GenerateArgs {
                households: 100,
                days: 7,
                step_seconds: 8,
                start: "2024-05-01T00:00:00Z".into(),
                pv_share: 0.5,
                seed: 42,
                format: crate::generate::Format::LineProtocol,
                out: path.clone(),
            };
            crate::generate::run(generate)?;
            path
        }
    };
    let data = std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
    let (batches, keys, first_ns, last_ns, points) = scan(&data, args.batch_lines)?;
    eprintln!(
        "{points} points, {} series, {} batches",
        keys.len(),
        batches.len()
    );

    // A store with one member, meter and channel per series; consumption = sensors ending in c.
    let data_dir = work.join("data");
    let (write_token, read_token) = prepare_store(&data_dir.join("voisins.db"), &keys)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = work.join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite:data/voisins.db\"\n"
        ),
    )?;
    let log = std::fs::File::create(work.join("server.log"))?;
    let mut server = Command::new(std::env::current_exe()?)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting voisins serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let outcome = drive(
        &base,
        &mut server,
        &data,
        &batches,
        args.clients,
        &write_token,
        &read_token,
        first_ns,
        last_ns,
    );
    let rss_kb = rss_kb(server.id()).unwrap_or(0);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = wait_timeout(&mut server, Duration::from_secs(60));
    let (ingest_s, query_ms) = outcome?;
    let disk = dir_size(&data_dir)?;
    let report = serde_json::json!({
        "peer": "voisins",
        "points": points,
        "ingest_seconds": (ingest_s * 1000.0).round() / 1000.0,
        "ingest_points_per_s": (points as f64 / ingest_s).round(),
        "disk_bytes": disk,
        "bytes_per_point": ((disk as f64 / points as f64) * 1000.0).round() / 1000.0,
        "query_ms_median": (query_ms * 10.0).round() / 10.0,
        "rss_mb": (rss_kb as f64 / 1024.0).round(),
    });
    println!("{report}");
    Ok(())
}

type Scan = (Vec<(usize, usize)>, BTreeSet<String>, i64, i64, usize);

/// Batch boundaries, series keys, first and last timestamps (ns) and the line count.
fn scan(data: &[u8], batch_lines: usize) -> anyhow::Result<Scan> {
    let mut batches = Vec::new();
    let mut keys = BTreeSet::new();
    let (mut start, mut lines, mut total) = (0usize, 0usize, 0usize);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut pos = 0;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| pos + i);
        let line = &data[pos..end];
        if !line.is_empty() {
            if let Some(i) = find(line, b"sensor=") {
                let rest = &line[i + 7..];
                let stop = rest
                    .iter()
                    .position(|&b| b == b' ' || b == b',')
                    .unwrap_or(rest.len());
                if keys.len() < 100_000 {
                    keys.insert(String::from_utf8_lossy(&rest[..stop]).into_owned());
                }
            }
            if let Some(ts) = line
                .rsplit(|&b| b == b' ')
                .next()
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| t.parse::<i64>().ok())
            {
                first = first.min(ts);
                last = last.max(ts);
            }
            lines += 1;
            total += 1;
        }
        pos = end + 1;
        if lines == batch_lines || pos >= data.len() {
            if lines > 0 {
                batches.push((start, pos.min(data.len())));
            }
            start = pos;
            lines = 0;
        }
    }
    if total == 0 {
        bail!("the input has no lines");
    }
    Ok((batches, keys, first, last, total))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn prepare_store(path: &Path, keys: &BTreeSet<String>) -> anyhow::Result<(String, String)> {
    let store =
        Store::open_sqlite(path, StoreSettings::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let write = app::auth::new_secret();
    let read = app::auth::new_secret();
    let hash = app::auth::hash_password("bench-password");
    store
        .write(|tx| {
            let community = tx
                .communities()
                .create("bench", "Europe/Brussels", 300_000)?;
            for key in keys {
                let series_key =
                    SeriesKey::parse(key).map_err(|e| store::StoreError::invalid(e.to_string()))?;
                let member = tx
                    .members()
                    .add(community, key, MemberKind::Household, true)?;
                let meter = tx.meters().add(community, Some(member), key)?;
                let kind = if key.ends_with('p') {
                    ChannelKind::Production
                } else if key.ends_with('c') {
                    ChannelKind::Consumption
                } else {
                    ChannelKind::GridImport
                };
                tx.channels().add(
                    &NewChannel {
                        community_id: community,
                        meter_id: Some(meter),
                        series_key,
                        unit: Unit::Watt,
                        kind: Some(kind),
                        phase: None,
                        valid_from_ms: 0,
                    },
                    0,
                )?;
            }
            let user = tx.users().create(&NewUser {
                community_id: community,
                login: "bench".into(),
                display_name: "bench".into(),
                password_hash: hash.clone(),
                role: Role::Coordinator,
                member_id: None,
                lang: "fr".into(),
            })?;
            tx.tokens().create(
                &app::auth::secret_hash(&write),
                community,
                TokenScope::CommunityWrite,
                "bench write",
                0,
            )?;
            tx.tokens().create(
                &app::auth::secret_hash(&read),
                community,
                TokenScope::UserRead { user_id: user },
                "bench read",
                0,
            )?;
            Ok(())
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((write, read))
}

#[allow(clippy::too_many_arguments)]
fn drive(
    base: &str,
    server: &mut Child,
    data: &[u8],
    batches: &[(usize, usize)],
    clients: usize,
    write_token: &str,
    read_token: &str,
    first_ns: i64,
    last_ns: i64,
) -> anyhow::Result<(f64, f64)> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(600))
        .build();
    let ready = Instant::now();
    loop {
        if agent.get(&format!("{base}/health")).call().is_ok() {
            break;
        }
        if let Ok(Some(status)) = server.try_wait() {
            bail!("the server exited during start-up ({status})");
        }
        if ready.elapsed() > Duration::from_secs(60) {
            bail!("the server did not answer /health within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let next = AtomicUsize::new(0);
    let url = format!("{base}/write?precision=ns");
    let t0 = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..clients.max(1))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(a, b)) = batches.get(i) else {
                            return Ok(());
                        };
                        let response = agent
                            .post(&url)
                            .set("Authorization", &format!("Token {write_token}"))
                            .send_bytes(&data[a..b]);
                        match response {
                            Ok(r) if r.status() == 204 => {}
                            Ok(r) => bail!("batch {i}: HTTP {}", r.status()),
                            Err(ureq::Error::Status(code, r)) => bail!(
                                "batch {i}: HTTP {code}: {}",
                                r.into_string().unwrap_or_default()
                            ),
                            Err(e) => bail!("batch {i}: {e}"),
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("client thread panicked"))??;
        }
        Ok(())
    })?;
    let ingest_s = t0.elapsed().as_secs_f64();
    let from_s = first_ns / 1_000_000_000;
    let to_s = last_ns / 1_000_000_000 + 1;
    let query =
        format!("{base}/api/v1/community/quarter-hours?kind=consumption&from={from_s}&to={to_s}");
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let body = agent
            .get(&query)
            .set("Authorization", &format!("Bearer {read_token}"))
            .call()?
            .into_string()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let parsed: serde_json::Value = serde_json::from_str(&body)?;
        let slots = parsed["slots"].as_array().map_or(0, Vec::len);
        if slots == 0 {
            bail!("the community query returned no quarter-hours");
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((ingest_s, times[2]))
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn wait_timeout(child: &mut Child, timeout: Duration) -> std::io::Result<()> {
    let t = Instant::now();
    while t.elapsed() < timeout {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill()
}

fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        total += if meta.is_dir() { 0 } else { meta.len() };
    }
    Ok(total)
}
