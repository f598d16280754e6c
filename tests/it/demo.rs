//! `duban demo`: the binary plays the whole weekly rhythm offline, with no
//! token and nothing but 127.0.0.1 (the demo's own tests are in
//! `src/demo/tests.rs`).

use std::process::Command;

#[test]
fn the_binary_runs_the_demo_offline_and_exits() {
    let out = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(["demo", "--weeks", "1"])
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DUBAN__TELEGRAM__TOKEN")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{stdout}");
    assert!(stdout.contains("最近一期周动态（全文）"), "{stdout}");
    assert!(stdout.contains("督办周动态 · 2026年第48周"), "{stdout}");
    // Its own complaints only: a busy machine may make a dependency warn.
    for complaint in ["no answer from the bot", "did not settle", "did not stop"] {
        assert!(!stderr.contains(complaint), "{stderr}");
    }
}
