//! A PostgreSQL server of the test's own, in a temporary directory on a free port, that the
//! test can stop and restart (a restart in the middle of a stream must lose nothing). It runs
//! Debian's `initdb` and `pg_ctl` as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::TempDir;

pub struct PrivatePostgres {
    dir: TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn as_postgres(bin: &Path, program: &str, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(program))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"))
}

impl PrivatePostgres {
    /// A fresh server, or `None` (skipped, unless services are required) when PostgreSQL's
    /// programs or the `postgres` user are missing.
    pub fn start() -> Option<PrivatePostgres> {
        let usable = find_bin().filter(|_| {
            Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        let Some(bin) = usable else {
            assert!(
                !crate::services_required(),
                "PostgreSQL's initdb and the postgres user are required"
            );
            eprintln!("initdb not found: private PostgreSQL test skipped");
            return None;
        };
        let dir = TempDir::new("pg");
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(status.success(), "chown the data directory to postgres");
        let data = dir.path().join("data");
        let out = as_postgres(
            &bin,
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pg = PrivatePostgres {
            dir,
            bin,
            port: crate::free_port(),
        };
        pg.pg_ctl("start");
        Some(pg)
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let out = as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                action,
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl {action}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    pub fn stop(&self) {
        self.pg_ctl("stop");
    }

    pub fn restart(&self) {
        self.pg_ctl("restart");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
