//! The soak test: N projects, several simulated weeks on a manual clock,
//! owners replying at random times (some late, some malformed, some twice),
//! random Telegram faults, and the bot killed and restarted at random
//! points: between an outbox claim and its send, in the middle of a batch of
//! updates, in the middle of an import. At the end it checks, and prints:
//! every well-formed report stored once with its latest version, every
//! prompt, nudge, deadline ping and bulletin sent exactly once per (job,
//! period, chat), nothing lost, no panic.
//!
//! CI size: `cargo test --test it soak` (200 projects, 4 weeks).
//! By hand: `SOAK_PROJECTS=5000 SOAK_WEEKS=4 cargo test --release --test it soak -- --nocapture`
//! (`SOAK_SEED` repeats a run; `SOAK_PG=1` runs it on PostgreSQL).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Days, Utc};
use duban::clock::ManualClock;
use duban::domain::model::Role;
use duban::store::{Store, people};
use tgsim::{BotApiSim, ChatKind, Fault};

use crate::bot::{TOKEN, settings_for};
use crate::helpers::{TestDb, bind_group, sh, tg_person};
use crate::instance::{DYING, Instance};

const LEAD_CHAT: i64 = -9_000_000;
const WAIT: Duration = Duration::from_secs(60);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so a seed repeats a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub(crate) fn group_of(i: usize) -> i64 {
    -1_000_000 - i as i64
}
pub(crate) fn owner_of(i: usize) -> i64 {
    2_000_000 + i as i64
}
fn liaison_of(i: usize) -> i64 {
    3_000_000 + (i % 10) as i64
}

#[derive(Default)]
struct Tally {
    reports_sent: usize,
    malformed: usize,
    twice: usize,
    late: usize,
    faults: usize,
    restarts: usize,
    kills_after_claim: usize,
    kills_mid_batch: usize,
    kills_mid_import: usize,
    redeliveries: usize,
}

/// What the test expects in the database at the end: per (project, week)
/// the progress values of the well-formed reports, in order.
type Expected = BTreeMap<(usize, String), Vec<u8>>;

pub(crate) async fn setup(store: &Store, sim: &BotApiSim, n: usize, now: DateTime<Utc>) {
    let mut csv = String::from("code,name,owner,stage,investment,milestone,pledged\n");
    for i in 0..n {
        // A third of the projects have a start milestone already overdue.
        let pledged = if i % 3 == 0 {
            "2026-11-10"
        } else {
            "2027-03-01"
        };
        csv.push_str(&format!(
            "S{i:05},项目{i},业主{i},landed,2亿,开工,{pledged}\n"
        ));
    }
    duban::service::import::import_csv(
        store,
        csv.as_bytes(),
        "soak",
        now,
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    for i in 0..n {
        sim.add_user(owner_of(i), &format!("业主{i}"), None);
        let project = bind_group(
            &mut tx,
            sim,
            group_of(i),
            ChatKind::Group,
            &format!("S{i:05}"),
        )
        .await;
        for (who, role) in [(owner_of(i), Role::Owner), (liaison_of(i), Role::Liaison)] {
            let person = people::upsert(&mut tx, &tg_person(who), &format!("u{who}"), None)
                .await
                .unwrap();
            people::add_role(&mut tx, project, person.id, role)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    for l in 0..10 {
        let id = 3_000_000 + l;
        sim.add_user(id, &format!("联络员{l}"), None);
        // Half the liaisons never opened a private chat: their pings go to the groups.
        if l % 2 == 0 {
            sim.open_private(id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak() {
    let n = env_or("SOAK_PROJECTS", 200) as usize;
    let weeks = env_or("SOAK_WEEKS", 4) as i64;
    let seed = env_or("SOAK_SEED", 0x5eed_cafe);
    let db = if std::env::var_os("SOAK_PG").is_some() {
        match TestDb::postgres().await {
            Some(db) => db,
            None => return,
        }
    } else {
        TestDb::sqlite()
    };
    let mut rng = Rng(seed | 1);
    let panics = Arc::new(AtomicUsize::new(0));
    let counter = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let dying = thread
            .name()
            .is_some_and(|n| DYING.lock().is_ok_and(|d| d.iter().any(|i| i == n)));
        if !dying {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));

    // The bot's own log, at warn, to check for errors and panics at the end.
    let log_path = std::env::temp_dir().join(format!("duban-soak-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log_path).unwrap();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn,duban=info"))
        .with_writer(std::sync::Mutex::new(log_file))
        .with_ansi(false)
        .try_init();
    eprintln!("soak log: {}", log_path.display());
    let started = Instant::now();
    let sim = BotApiSim::start(TOKEN).await.unwrap();
    sim.add_chat(LEAD_CHAT, ChatKind::Group, "领导群");
    let store = db.store().await;
    let t0 = sh(2026, 11, 22, 20, 0); // a Sunday evening
    setup(&store, &sim, n, t0).await;
    // Paced as in production unless SOAK_PACE=0: the pacer is what keeps a
    // crash from catching more than a message or two in the air.
    let paced = env_or("SOAK_PACE", 1) == 1;
    let settings = settings_for(
        &db,
        &sim,
        &[
            (
                "DUBAN__TELEGRAM__THROTTLE",
                if paced { "true" } else { "false" },
            ),
            ("DUBAN__LEADERSHIP_CHATS", &LEAD_CHAT.to_string()),
            ("DUBAN__LIAISONS", ""),
        ],
    );
    let clock = ManualClock::new(t0);
    sim.set_now(t0.timestamp());
    let mut tally = Tally::default();
    let mut expected: Expected = BTreeMap::new();
    let mut instance = Instance::start(settings.clone(), clock.clone());
    assert!(sim.wait_polling(WAIT).await);

    let restart = |instance: Instance, tally: &mut Tally| {
        instance.kill();
        tally.restarts += 1;
        Instance::start(settings.clone(), clock.clone())
    };

    for week in 0..weeks {
        eprintln!(
            "week {week} starts at {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let monday = t0 + Days::days(1 + 7 * week) - Days::hours(20);
        let at = |day: i64, hour: i64| monday + Days::days(day) + Days::hours(hour);
        let week_label =
            duban::domain::time::ReportingWeek::of_instant(monday, chrono_tz::Asia::Shanghai)
                .to_string();

        // Monday 09:00: the prompt fan-out; in week 1 the bot is killed
        // between a claim and its send.
        let crash_now = week == 1;
        if crash_now {
            instance
                .hooks
                .stall_after_claims(1 + rng.below(n as u64) as i64);
        }
        if rng.chance(50) {
            sim.fail_next(
                "sendMessage",
                1 + rng.below(3) as usize,
                Fault::TooManyRequests { retry_after: 1 },
            );
            tally.faults += 1;
        }
        if rng.chance(50) {
            let slow = Fault::Slow {
                delay: Duration::from_millis(300),
            };
            sim.fail_next("sendMessage", 2, slow);
            tally.faults += 1;
        }
        move_to(&clock, &sim, at(0, 9)).await;
        if crash_now {
            tokio::time::timeout(WAIT, instance.hooks.stalled())
                .await
                .expect("stalled after a claim");
            tally.kills_after_claim += 1;
            instance = restart(instance, &mut tally);
            assert!(sim.wait_polling(WAIT).await);
            // Past the dead claim's lease, so it is retried, once.
            move_to(&clock, &sim, at(0, 9) + Days::minutes(3)).await;
        }
        let prompts = wait_count(&sim, n, |s| {
            s.text.contains("请直接回复本消息提交本周周报")
                && s.text.contains(&week_title(&week_label))
        })
        .await;
        assert_eq!(prompts, n, "week {week_label}: prompts");

        // Owners' reports, Monday to Friday, at random hours.
        let mut plan: Vec<(DateTime<Utc>, usize, u8, Behaviour)> = Vec::new();
        for i in 0..n {
            if rng.chance(8) {
                continue; // forgets entirely
            }
            let late = rng.chance(10);
            let when = if late {
                at(4, 10)
            } else {
                at(rng.below(4) as i64, 10 + rng.below(7) as i64)
            };
            let progress = rng.below(101) as u8;
            let behaviour = match rng.below(10) {
                0 => Behaviour::MalformedFirst,
                1 => Behaviour::Twice,
                _ => Behaviour::Once,
            };
            tally.late += usize::from(late);
            plan.push((when, i, progress, behaviour));
        }
        plan.sort_by_key(|(t, i, _, _)| (*t, *i));
        let mut hours: Vec<DateTime<Utc>> = plan.iter().map(|(t, ..)| *t).collect();
        hours.dedup();
        for (k, hour) in hours.iter().enumerate() {
            move_to(&clock, &sim, *hour).await;
            if rng.chance(30) {
                sim.redeliver_next_batch();
                tally.redeliveries += 1;
            }
            if rng.chance(30) {
                sim.fail_next("getUpdates", 1, Fault::Disconnect);
                tally.faults += 1;
            }
            // One batch per week is cut short by a kill before handling.
            let kill_mid_batch = k == hours.len() / 2;
            if kill_mid_batch {
                let batch = plan.iter().filter(|(t, ..)| t == hour).count() as u64;
                instance
                    .hooks
                    .stall_before_handling(1 + rng.below(batch) as i64);
            }
            let mut awaited = Vec::new();
            for (_, i, progress, behaviour) in plan.iter().filter(|(t, ..)| t == hour) {
                let g = group_of(*i);
                let good = format!("/report 进度: {progress}%\n本周完成: 第{week}周施工");
                let key = (*i, week_label.clone());
                match behaviour {
                    Behaviour::MalformedFirst => {
                        awaited.push((
                            g,
                            sim.push_text(g, owner_of(*i), "/report 进度: 很多")
                                .message_id,
                        ));
                        tally.malformed += 1;
                    }
                    Behaviour::Twice => {
                        let first = progress.saturating_sub(10);
                        awaited.push((
                            g,
                            sim.push_text(g, owner_of(*i), &format!("/report 进度: {first}%"))
                                .message_id,
                        ));
                        expected.entry(key.clone()).or_default().push(first);
                        tally.twice += 1;
                        tally.reports_sent += 1;
                    }
                    Behaviour::Once => {}
                }
                awaited.push((g, sim.push_text(g, owner_of(*i), &good).message_id));
                expected.entry(key).or_default().push(*progress);
                tally.reports_sent += 1;
            }
            if kill_mid_batch {
                tokio::time::timeout(WAIT, instance.hooks.stalled())
                    .await
                    .expect("stalled mid-batch");
                tally.kills_mid_batch += 1;
                instance = restart(instance, &mut tally);
            }
            for (g, id) in awaited {
                sim.wait_sent(WAIT, |s| s.chat_id == g && s.reply_to == Some(id))
                    .await
                    .unwrap_or_else(|| panic!("no answer to message {id} in {g}"));
            }
        }

        // Wednesday nudge, Thursday deadline, Friday bulletin (in week 2 the
        // bot is down over Friday and catches up on Saturday).
        move_to(&clock, &sim, at(2, 9).max(clock_now(&clock))).await;
        wait_job(&store, "nudge", at(2, 9)).await;
        move_to(&clock, &sim, at(3, 18).max(clock_now(&clock))).await;
        wait_job(&store, "deadline", at(3, 18)).await;
        if week == 2 {
            instance.kill();
            tally.restarts += 1;
            // Meanwhile an import is killed half-way: all of it or none.
            kill_an_import(&db, &store, &mut tally).await;
            move_to(&clock, &sim, at(5, 10)).await;
            instance = Instance::start(settings.clone(), clock.clone());
            assert!(sim.wait_polling(WAIT).await);
        } else {
            move_to(&clock, &sim, at(4, 16).max(clock_now(&clock))).await;
        }
        let title = week_title(&week_label);
        let bulletins = wait_count(&sim, 1, |s| {
            s.chat_id == LEAD_CHAT && s.text.contains("<b>督办周动态") && s.text.contains(&title)
        })
        .await;
        assert_eq!(bulletins, 1, "week {week_label}: bulletin");
        wait_job(&store, "bulletin", at(4, 16)).await;
        move_to(&clock, &sim, at(6, 12)).await;
    }
    // Let the lease of any claim left unsent run out, so its retry happens.
    move_to(&clock, &sim, clock_now(&clock) + Days::hours(1)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    instance.kill();

    let report = verify(&store, &sim, &expected, n, weeks).await;
    let elapsed = started.elapsed();
    let panics = panics.load(Ordering::SeqCst);
    println!(
        "\nsoak: {n} projects, {weeks} weeks, seed {seed:#x}, {:.1} s",
        elapsed.as_secs_f64()
    );
    println!("| figure | value |\n| --- | --- |");
    for (k, v) in [
        ("reports sent (well-formed)", tally.reports_sent.to_string()),
        ("reports sent malformed first", tally.malformed.to_string()),
        ("reports sent twice", tally.twice.to_string()),
        ("reports sent late", tally.late.to_string()),
        (
            "reports per second over the whole run",
            format!("{:.1}", tally.reports_sent as f64 / elapsed.as_secs_f64()),
        ),
        ("messages sent by the bot", report.messages.to_string()),
        (
            "faults injected (429, slow answers, dropped connections)",
            tally.faults.to_string(),
        ),
        ("batches delivered twice", tally.redeliveries.to_string()),
        ("restarts", tally.restarts.to_string()),
        (
            "killed between claim and send",
            tally.kills_after_claim.to_string(),
        ),
        ("killed mid-batch", tally.kills_mid_batch.to_string()),
        ("killed mid-import", tally.kills_mid_import.to_string()),
        (
            "delivered but left unrecorded by a crash after the send",
            report.unrecorded.to_string(),
        ),
        ("losses", report.losses.len().to_string()),
        (
            "sent twice because a crash caught the first send in the air",
            report.resent_twice.to_string(),
        ),
        (
            "duplicates (any other message sent twice)",
            report.duplicates.len().to_string(),
        ),
        ("panics", panics.to_string()),
    ] {
        println!("| {k} | {v} |");
    }
    assert!(report.losses.is_empty(), "lost: {:#?}", report.losses);
    assert!(
        report.duplicates.is_empty(),
        "twice: {:#?}",
        report.duplicates
    );
    assert!(
        report.report_errors.is_empty(),
        "reports: {:#?}",
        report.report_errors
    );
    assert_eq!(panics, 0, "panics in the bot");
    store.close().await;
}

#[derive(Clone, Copy)]
enum Behaviour {
    Once,
    MalformedFirst,
    Twice,
}

fn week_title(week: &str) -> String {
    let w: duban::domain::time::ReportingWeek = week.parse().unwrap();
    format!("{}年第{}周", w.year, w.week)
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    duban::clock::Clock::now(clock)
}

async fn move_to(clock: &ManualClock, sim: &BotApiSim, t: DateTime<Utc>) {
    sim.set_now(t.timestamp());
    clock.set(t);
    // Let the woken scheduler claim its first messages before the test acts.
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Waits until at least `n` sent messages match (the scheduler works in the
/// background); returns how many match then.
async fn wait_count(sim: &BotApiSim, n: usize, pred: impl Fn(&tgsim::Sent) -> bool) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        let count = sim.sent().iter().filter(|s| pred(s)).count();
        if count >= n || Instant::now() > deadline {
            return count;
        }
        let _ = sim.wait_sent(Duration::from_millis(200), |_| false).await;
    }
}

/// Waits until the scheduler has dealt with `job`'s fire at `fire`.
pub(crate) async fn wait_job(store: &Store, job: &str, fire: DateTime<Utc>) {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut conn = store.pool().acquire().await.unwrap();
        let job_of = duban::domain::schedule::Job::from_name(job).expect("a job name");
        let last = duban::store::outbox::last_fire(&mut conn, job_of)
            .await
            .unwrap();
        drop(conn);
        if last.is_some_and(|l| l >= fire) {
            return;
        }
        assert!(Instant::now() < deadline, "{job} at {fire} never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn kill_an_import(db: &TestDb, store: &Store, tally: &mut Tally) {
    let mut csv = String::from("code,name,owner,stage,investment,milestone,pledged\n");
    for i in 0..2000 {
        csv.push_str(&format!(
            "IMP{i:05},导入{i},业主,signed,1亿,开工,2027-05-01\n"
        ));
    }
    let url = db.url.clone();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        rt.spawn(async move {
            let store = Store::open(&url, 2).await.unwrap();
            let _ = duban::service::import::import_csv(
                &store,
                csv.as_bytes(),
                "killed",
                sh(2026, 12, 10, 9, 0),
                chrono_tz::Asia::Shanghai,
            )
            .await;
            let _ = tx.send(());
        });
        // Killed after a moment, finished or not.
        std::thread::sleep(Duration::from_millis(30));
        let finished = rx.try_recv().is_ok();
        rt.shutdown_background();
        finished
    });
    let finished = handle.join().unwrap();
    tally.kills_mid_import += usize::from(!finished);
    let imported: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE code LIKE 'IMP%'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        imported == 0 || imported == 2000,
        "a killed import left {imported} of 2000 projects"
    );
    // Archive them again if they landed, so the portfolio stays the soak's.
    sqlx::query("UPDATE projects SET active = 0 WHERE code LIKE 'IMP%'")
        .execute(store.pool())
        .await
        .unwrap();
}

struct Verdict {
    losses: Vec<String>,
    duplicates: Vec<String>,
    /// Messages Telegram received twice whose ledger row shows a second
    /// send attempt: a crash caught the first in the air, the one case a
    /// retry may repeat a message. Not counted as duplicates.
    resent_twice: usize,
    /// Ledger rows left open although Telegram received the message.
    unrecorded: usize,
    report_errors: Vec<String>,
    messages: usize,
}

/// `2026-W50` as the week title in texts, and the week's deadline as a
/// nudge names it.
fn key1_week(period: &str) -> (String, String) {
    let Ok(w) = period.parse::<duban::domain::time::ReportingWeek>() else {
        return (period.to_string(), period.to_string());
    };
    let thursday = w.monday() + Days::days(3);
    (
        week_title(period),
        thursday.format("%Y-%m-%d 18:00").to_string(),
    )
}

/// Whether the simulator holds a message of `job` for `chat` in that week.
fn delivered(sim: &BotApiSim, job: &str, week: &(String, String), chat: &str) -> bool {
    let marker = match job {
        "prompt" => "请直接回复本消息提交本周周报",
        "nudge" => "本周周报还没有收到",
        "deadline" => "你联络的项目需要关注",
        "bulletin" => "<b>督办周动态",
        _ => return false,
    };
    let Ok(chat) = chat.parse::<i64>() else {
        return false;
    };
    sim.sent_to(chat)
        .iter()
        .any(|s| s.text.contains(marker) && (s.text.contains(&week.0) || s.text.contains(&week.1)))
}

async fn verify(
    store: &Store,
    sim: &BotApiSim,
    expected: &Expected,
    n: usize,
    weeks: i64,
) -> Verdict {
    let mut v = Verdict {
        losses: Vec::new(),
        duplicates: Vec::new(),
        report_errors: Vec::new(),
        messages: sim.sent().len(),
        resent_twice: 0,
        unrecorded: 0,
    };
    // Reports: exactly the well-formed submissions, the latest in force.
    let rows = sqlx::query("SELECT p.code, r.week, r.progress, r.current FROM reports r JOIN projects p ON p.id = r.project_id ORDER BY r.id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut stored: BTreeMap<(usize, String), Vec<(u8, bool)>> = BTreeMap::new();
    for r in &rows {
        use sqlx::Row;
        let code: String = r.get(0);
        let i: usize = code[1..].parse().unwrap();
        let progress: Option<i64> = r.get(2);
        let current: i64 = r.get(3);
        stored
            .entry((i, r.get::<String, _>(1)))
            .or_default()
            .push((progress.unwrap_or(0) as u8, current == 1));
    }
    for (key, want) in expected {
        let got = stored.remove(key).unwrap_or_default();
        let values: Vec<u8> = got.iter().map(|(p, _)| *p).collect();
        if &values != want {
            v.report_errors
                .push(format!("{key:?}: sent {want:?}, stored {values:?}"));
        } else if got.iter().filter(|(_, c)| *c).count() != 1
            || !got.last().is_some_and(|(_, c)| *c)
        {
            v.report_errors.push(format!(
                "{key:?}: the latest is not the one in force: {got:?}"
            ));
        }
    }
    for (key, extra) in stored {
        v.report_errors
            .push(format!("{key:?}: stored without being sent: {extra:?}"));
    }

    // Scheduled messages: the ledger and what Telegram received agree, each
    // (job, period, chat) once.
    let ledger = sqlx::query(
        "SELECT job, period, chat_key, sent_at, message_id, note, attempts FROM outbox ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    // (job, chat, week title, deadline) of every row sent a second time.
    let mut retried: Vec<(String, String, String, String)> = Vec::new();
    for r in &ledger {
        use sqlx::Row;
        let key = (
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<String, _>(2),
        );
        if r.get::<Option<i64>, _>(3).is_none() {
            // Unrecorded is not undelivered: a crash between Telegram's
            // answer and the ledger's record leaves the row open.
            if delivered(sim, &key.0, &key1_week(&key.1), &key.2) {
                v.unrecorded += 1;
            } else {
                v.losses.push(format!(
                    "{key:?} claimed, never sent: {}",
                    r.get::<String, _>(5)
                ));
            }
        }
        if r.get::<i64, _>(6) >= 2 {
            let (title, deadline) = key1_week(&key.1);
            retried.push((key.0.clone(), key.2.clone(), title, deadline));
        }
        *seen.entry(key).or_default() += 1;
    }
    let kinds: [(&str, &str); 4] = [
        ("prompt", "请直接回复本消息提交本周周报"),
        ("nudge", "本周周报还没有收到"),
        ("deadline", "你联络的项目需要关注"),
        ("bulletin", "<b>督办周动态"),
    ];
    let sent = sim.sent();
    for (job, marker) in kinds {
        let mut per_chat_week: HashMap<(i64, String), usize> = HashMap::new();
        for s in sent.iter().filter(|s| s.text.contains(marker)) {
            // The week is in the title; a nudge names its deadline instead.
            let week = s
                .text
                .split("年第")
                .nth(1)
                .and_then(|t| t.split('周').next())
                .or_else(|| {
                    s.text
                        .split("截止 ")
                        .nth(1)
                        .and_then(|t| t.split('）').next())
                })
                .unwrap_or("?")
                .to_string();
            *per_chat_week.entry((s.chat_id, week)).or_default() += 1;
        }
        for ((chat, week), count) in per_chat_week {
            let was_retried = retried.iter().any(|(j, c, title, deadline)| {
                j == job
                    && *c == chat.to_string()
                    && (*deadline == week || title.contains(&format!("年第{week}周")))
            });
            if count == 2 && was_retried {
                v.resent_twice += 1;
            } else if count > 1 {
                v.duplicates
                    .push(format!("{job} week {week} to {chat}: {count} times"));
            }
        }
    }
    // Every group was prompted every week, the leadership chat got every bulletin.
    let prompts = sent.iter().filter(|s| s.text.contains(kinds[0].1)).count();
    if prompts != n * weeks as usize {
        v.losses
            .push(format!("{prompts} prompts for {n} groups × {weeks} weeks"));
    }
    let bulletins = sent
        .iter()
        .filter(|s| s.chat_id == LEAD_CHAT && s.text.contains("督办周动态 ·"))
        .count();
    if bulletins < weeks as usize {
        v.losses
            .push(format!("{bulletins} bulletins in {weeks} weeks"));
    }
    v
}
