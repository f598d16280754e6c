//! The release `duban run` binary as a child process of the benchmark, so
//! the bot's CPU time is read apart from the simulator's (which stays in
//! the benchmark's process): user+system time from `/proc/PID/stat`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::time::Instant;

/// The `duban` binary built beside this example (`target/release/duban`).
pub fn duban_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("duban"))
        .context("no folder for the duban binary")?;
    if !bin.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release`",
            bin.display()
        );
    }
    Ok(bin)
}

/// A running `duban run`, its log in `log`.
pub struct Bot {
    child: Child,
    log: PathBuf,
}

impl Bot {
    /// Starts `duban run` in `dir` with `env` (and `--now`, when given).
    /// It logs at info, as in production, unless BENCH_BOT_LOG says
    /// otherwise (`sqlx=debug,info` lists every statement).
    pub fn start(dir: &Path, env: &[(String, String)], now: Option<&str>) -> Result<Bot> {
        let bin = duban_binary()?;
        let log = dir.join("duban.log");
        let mut cmd = Command::new(&bin);
        if let Some(now) = now {
            cmd.args(["--now", now]);
        }
        cmd.arg("run")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        cmd.envs(env.iter().map(|(k, v)| (k, v))).env(
            "RUST_LOG",
            std::env::var("BENCH_BOT_LOG").unwrap_or_else(|_| "info".to_string()),
        );
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        Ok(Bot { child, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's user+system CPU time so far.
    pub fn cpu(&self) -> Result<Duration> {
        cpu_of(&format!("/proc/{}/stat", self.pid()))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// SIGKILL: the process dies where it stands, as in a crash.
    pub async fn kill(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, then waits up to 20 s; what became of it, in words.
    pub async fn stop(mut self) -> Result<String> {
        let pid = self.pid().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(if status.success() {
                    "exited cleanly".to_string()
                } else {
                    format!("exited with {status}")
                });
            }
            if Instant::now() > deadline {
                self.child.kill()?;
                return Ok("did not stop in 20 s; killed".to_string());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// This process's user+system CPU time so far (the simulator's, and the
/// benchmark's own bookkeeping).
pub fn own_cpu() -> Result<Duration> {
    cpu_of("/proc/self/stat")
}

/// Fields 14 and 15 of `/proc/…/stat` (utime, stime) in clock ticks.
fn cpu_of(path: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may hold spaces; fields are counted after it.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("unexpected /proc stat format")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("field {} of {path}", i + 3))
    };
    // After ")", field 3 (state) is index 0: utime is field 14, stime 15.
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(total as f64 / ticks_per_second()))
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `VmRSS:`, `VmHWM:`… of `/proc/PID/status`, in KiB.
pub fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
