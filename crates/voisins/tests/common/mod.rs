//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!("voisins-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn voisins() -> Command {
    Command::new(env!("CARGO_BIN_EXE_voisins"))
}

/// Writes a config with a SQLite store in `dir` listening on `port`.
pub fn write_config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("voisins.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[store]\nurl = \"sqlite:data/voisins.db\"\n"
        ),
    )
    .unwrap();
    path
}

pub fn start_server(config: &Path, log: &Path) -> Child {
    voisins()
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

pub fn wait_healthy(port: u16, child: &mut Child) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if ureq::get(&format!("http://127.0.0.1:{port}/health"))
            .call()
            .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server not healthy after 60 s");
}
