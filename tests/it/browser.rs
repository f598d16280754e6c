//! The dashboard in a real headless Chromium: the battle map and a
//! project's timeline rendered, checked, and kept as screenshots under
//! `target/tmp/screenshots/`. Skips with a notice where no Chromium is
//! installed (`.ci/run` installs Debian's `chromium` where it can).

use std::path::{Path, PathBuf};
use std::process::Command;

use duban::service::links::Scope;

use crate::helpers::TestDb;
use crate::web::{Dashboard, LEADER, now};

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("DUBAN_TEST_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Runs Chromium headless on `url` with `profile` (which keeps the session
/// cookie between runs) and `args`; its standard output.
async fn browse(chrome: &Path, profile: &Path, url: &str, args: &[String]) -> String {
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(url);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run chromium"))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_battle_map_and_a_project_timeline_render_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        println!("NOTICE: no Chromium installed (apt-get install chromium): browser test skipped");
        return;
    };
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let token = d.token(LEADER, Scope::All, now()).await;
    let base = format!("http://127.0.0.1:{}", d.port);
    let profile = tempfile::tempdir().unwrap();
    // Opening the link sets the cookie and lands on the battle map.
    let map = browse(
        &chrome,
        profile.path(),
        &format!("{base}/login?t={token}"),
        &["--dump-dom".into()],
    )
    .await;
    assert!(map.contains("挂图作战"), "{map}");
    assert!(
        map.contains("P2026-001") && map.contains("class=\"light "),
        "{map}"
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (page, name) in [
        ("/", "battle-map.png"),
        ("/projects/P2026-003", "project.png"),
    ] {
        let file = shots.join(name);
        let _ = std::fs::remove_file(&file);
        browse(
            &chrome,
            profile.path(),
            &format!("{base}{page}"),
            &[
                "--window-size=1200,1400".into(),
                format!("--screenshot={}", file.display()),
            ],
        )
        .await;
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 20_000,
            "{name}: a rendered page, not a blank one ({size} bytes)"
        );
    }
    // The project page in the browser, as rendered from the same session.
    let project = browse(
        &chrome,
        profile.path(),
        &format!("{base}/projects/P2026-003"),
        &["--dump-dom".into()],
    )
    .await;
    assert!(
        project.contains("2026-10-15") && project.contains("<svg"),
        "{project}"
    );
    println!("screenshots in {}", shots.display());
}
