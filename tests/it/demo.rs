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

#[test]
fn the_binary_runs_the_demo_on_feishu_with_the_platform_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args([
            "--lang",
            "en",
            "demo",
            "--platform",
            "feishu",
            "--weeks",
            "1",
        ])
        // A developer's own Feishu app stays out of it: the demo brings
        // the simulator's.
        .env_remove("DUBAN__FEISHU__APP_SECRET")
        .env_remove("DUBAN__PLATFORMS")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{stdout}");
    assert!(stdout.contains("a simulated Feishu (飞书)"), "{stdout}");
    assert!(
        stdout.contains("Weekly bulletin · week 48 of 2026"),
        "{stdout}"
    );
    // An owner's report by reply to the prompt, @ the bot, and its echo.
    assert!(stdout.contains("Wang Jianguo: @督办 progress"), "{stdout}");
    assert!(
        stdout.contains("Recorded the 2026-W48 report of P2026-001"),
        "{stdout}"
    );
    for complaint in ["no answer from the bot", "did not settle", "did not stop"] {
        assert!(!stderr.contains(complaint), "{stderr}");
    }
}

#[tokio::test]
async fn demo_serve_keeps_the_dashboard_up_with_a_link_until_ctrl_c() {
    use std::io::BufRead;
    let port = crate::helpers::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(["demo", "--weeks", "1", "--serve"])
        .env("DUBAN__WEB__LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let link = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("http://") && l.contains("/login?t="))
    })
    .await
    .unwrap()
    .expect("a link printed after the transcript");
    let path = link
        .split_once(&format!("127.0.0.1:{port}"))
        .unwrap()
        .1
        .to_string();
    let (status, _, _) = crate::helpers::http_get_with(port, &path, &[]).await;
    assert_eq!(status, 303, "the link opens");
    let cookie = format!("duban_session={}", path.split_once("t=").unwrap().1);
    let (status, _, map) = crate::helpers::http_get_with(port, "/", &[("Cookie", &cookie)]).await;
    assert_eq!(status, 200);
    assert!(map.contains("P2026-001"), "the demo's portfolio: {map}");
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "Ctrl-C ends the demo: {status:?}");
}
