//! Helpers shared by the binary's integration tests: a configuration on a free port, the server
//! as a child process, and a deadline every wait respects.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use testkit::{free_port, TempDir};

/// A program on the `PATH`, if installed.
pub fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

pub fn voisins() -> Command {
    Command::new(env!("CARGO_BIN_EXE_voisins"))
}

/// Writes a config with a SQLite store in `dir` listening on `port`, plus `extra` TOML.
pub fn write_config_with(dir: &Path, port: u16, extra: &str) -> PathBuf {
    let path = dir.join("voisins.toml");
    std::fs::write(
        &path,
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\n{extra}\n[store]\nurl = \"sqlite:data/voisins.db\"\n"),
    )
    .unwrap();
    path
}

pub fn write_config(dir: &Path, port: u16) -> PathBuf {
    write_config_with(dir, port, "")
}

/// A server process, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start_server(config: &Path, log: &Path) -> Server {
    Server(
        voisins()
            .arg("--config")
            .arg(config)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    )
}

/// Waits for `/health`, at most 60 s.
pub fn wait_healthy(port: u16, server: &mut Server) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if ureq::get(&format!("http://127.0.0.1:{port}/health"))
            .call()
            .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("server exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server not healthy after 60 s");
}

/// Fails the test when `deadline` has passed.
pub fn before(deadline: Instant, what: &str) {
    assert!(Instant::now() < deadline, "deadline passed while {what}");
}
