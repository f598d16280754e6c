//! The bulletin's picture: a PNG through `sendPhoto` to every leadership
//! chat, once a week, with a ledger row of its own, also across a crash
//! between its claim and its send.

use tgsim::{BotApiSim, Sent};

use crate::bot::{ADMIN, GROUP, LEAD_CHAT, Running, WAIT, ask, settings_for, setup_project, world};
use crate::helpers::{TestDb, sh};
use crate::instance::Instance;

/// The bulletin's pictures (not the monthly analysis's).
fn photos(sim: &BotApiSim) -> Vec<Sent> {
    pictures_named(sim, "duban-2026-W")
}

fn pictures_named(sim: &BotApiSim, prefix: &str) -> Vec<Sent> {
    sim.sent_to(LEAD_CHAT)
        .into_iter()
        .filter(|s| s.method == "sendPhoto")
        .filter(|s| {
            s.file_name
                .as_deref()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect()
}

fn texts(sim: &BotApiSim) -> Vec<Sent> {
    sim.sent_to(LEAD_CHAT)
        .into_iter()
        .filter(|s| s.method == "sendMessage")
        .collect()
}

async fn photo_count(sim: &BotApiSim, n: usize) -> Vec<Sent> {
    let deadline = std::time::Instant::now() + WAIT;
    while photos(sim).len() < n && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    photos(sim)
}

/// The picture's content as the simulator stored the upload: a PNG whose
/// size is read from its header.
fn png_size(sim: &BotApiSim, photo: &Sent) -> (u32, u32) {
    let bytes = sim
        .file_content(photo.file_id.as_deref().expect("a file id"))
        .expect("the uploaded bytes");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test]
async fn the_bulletin_reaches_leadership_with_its_picture_once_a_week() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 26, 19, 0)).await;
        setup_project(&sim).await;
        bot.clock.set(sh(2026, 11, 27, 16, 0));
        let first = photo_count(&sim, 1).await;
        assert_eq!(first.len(), 1, "{}: {:#?}", db.label, sim.sent());
        assert!(first[0].text.contains("2026年第48周"), "{}", first[0].text);
        assert_eq!(first[0].file_name.as_deref(), Some("duban-2026-W48.png"));
        let (w, h) = png_size(&sim, &first[0]);
        assert!(w >= 800 && h >= 300, "{w}×{h}");
        // The text comes first, the picture after it.
        let text = &texts(&sim)[0];
        assert!(text.text.contains("督办周动态"), "{}", text.text);
        assert!(text.seq < first[0].seq);

        bot.clock.set(sh(2026, 12, 4, 16, 0));
        let both = photo_count(&sim, 2).await;
        assert!(both[1].text.contains("2026年第49周"), "{}", both[1].text);
        // On the way the 1st of December passed: November's analysis, with
        // its picture of the rates week by week.
        let trend = pictures_named(&sim, "duban-2026-11.png");
        assert_eq!(trend.len(), 1, "{:#?}", sim.sent_to(LEAD_CHAT));
        assert!(trend[0].text.contains("逐周走势"), "{}", trend[0].text);
        png_size(&sim, &trend[0]);
        ask(&sim, GROUP, ADMIN, "/help").await;
        bot.stop().await;
        // A restart the same evening sends neither again.
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 12, 4, 16, 30)).await;
        ask(&sim, GROUP, ADMIN, "/help").await;
        bot.stop().await;
        assert_eq!(photos(&sim).len(), 2, "{}", db.label);
        // Two bulletins and November's analysis.
        assert_eq!(texts(&sim).len(), 3, "{}", db.label);
        assert_eq!(pictures_named(&sim, "duban-2026-11").len(), 1);
    }
}

#[tokio::test]
async fn a_crash_between_claiming_the_picture_and_sending_it_sends_it_once() {
    for db in TestDb::all().await {
        let sim = world().await;
        let settings = settings_for(&db, &sim, &[]);
        let clock = duban::clock::ManualClock::new(sh(2026, 11, 27, 15, 0));
        let bot = Instance::start(settings.clone(), clock.clone());
        assert!(sim.wait_polling(WAIT).await);
        setup_project(&sim).await;
        // The bulletin's text is the run's first claim, its picture the
        // second: the bot freezes once both are committed, before sending.
        bot.hooks.stall_after_claims(2);
        clock.set(sh(2026, 11, 27, 16, 0));
        tokio::time::timeout(WAIT, bot.hooks.stalled())
            .await
            .expect("stalled after the claims");
        bot.kill();
        assert!(photos(&sim).is_empty(), "{:#?}", sim.sent());

        // Back after the dead claims' lease: each is sent, once.
        clock.set(sh(2026, 11, 27, 16, 3));
        let bot = Instance::start(settings.clone(), clock.clone());
        assert!(sim.wait_polling(WAIT).await);
        assert_eq!(photo_count(&sim, 1).await.len(), 1, "{}", db.label);
        clock.set(sh(2026, 11, 27, 16, 30));
        ask(&sim, GROUP, ADMIN, "/help").await;
        bot.kill();
        assert_eq!(photos(&sim).len(), 1, "{}: {:#?}", db.label, photos(&sim));
        assert_eq!(texts(&sim).len(), 1, "{}: {:#?}", db.label, texts(&sim));
    }
}
