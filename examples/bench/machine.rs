//! The machine a benchmark ran on, printed with its figures: a number means
//! little without the CPU, the memory and how busy the machine was.

use std::process::Command;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn field<'a>(text: &'a str, key: &str, sep: char) -> Option<&'a str> {
    text.lines()
        .filter_map(|l| l.split_once(sep))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('"'))
}

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `cpu: … | cores: … | memory: … | os: … | rustc … | commit …`.
pub fn describe() -> String {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = field(&cpuinfo, "model name", ':').unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = read("/proc/meminfo");
    let mem_gib = field(&meminfo, "MemTotal", ':')
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let os_release = read("/etc/os-release");
    let os = field(&os_release, "PRETTY_NAME", '=').unwrap_or("unknown OS");
    let kernel = read("/proc/sys/kernel/osrelease");
    let rustc = run("rustc", &["-V"]).unwrap_or_else(|| "rustc unknown".into());
    let commit = run("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = run("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    format!(
        "cpu: {cpu} | cores: {cores} | memory: {mem_gib:.1} GiB | os: {os}, Linux {} | {rustc} | commit {commit}{}",
        kernel.trim(),
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    )
}

/// The 1, 5 and 15 minute load averages, as `uptime` shows them: other
/// work on the machine skews every figure.
pub fn load() -> String {
    let avg = read("/proc/loadavg");
    let parts: Vec<&str> = avg.split_whitespace().take(3).collect();
    format!("load average: {}", parts.join(", "))
}
