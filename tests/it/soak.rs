//! The soak test: N projects, several simulated weeks on a manual clock,
//! owners replying at random times (some late, some malformed, some twice),
//! random Telegram faults, and the bot killed and restarted at random
//! points: between an outbox claim and its send, in the middle of a batch of
//! updates, in the middle of an import. At the end it checks, and prints:
//! every well-formed report stored once with its latest version, every
//! prompt, nudge, deadline ping and bulletin sent exactly once per (job,
//! period, chat), nothing lost, no panic.
//!
//! Every 4th project's group is on Feishu (`soak_feishu`), served by the
//! same bot instance on the same database: owners reply through
//! `feishusim`, events are delivered twice, sends refused or their answers
//! lost; there a message shows exactly once, with no allowance for a send
//! a crash caught in the air (a retry carries the first send's uuid).
//!
//! CI size: `cargo test --test it soak` (200 projects, 4 weeks).
//! By hand: `SOAK_PROJECTS=5000 SOAK_WEEKS=4 cargo test --release --test it soak -- --nocapture`
//! (`SOAK_SEED` repeats a run; `SOAK_PG=1` runs it on PostgreSQL).

use std::collections::BTreeMap;
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
use crate::soak_feishu::{self, Share, on_feishu};
use crate::soak_verify::{print_figures, verify};

pub(crate) const LEAD_CHAT: i64 = -9_000_000;
const WAIT: Duration = Duration::from_secs(60);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift), so a seed repeats a run.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
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
pub(crate) struct Tally {
    pub reports_sent: usize,
    pub malformed: usize,
    pub twice: usize,
    pub late: usize,
    pub faults: usize,
    pub restarts: usize,
    pub kills_after_claim: usize,
    pub kills_mid_batch: usize,
    pub kills_mid_import: usize,
    pub redeliveries: usize,
}

/// What the test expects in the database at the end: per (project, week)
/// the progress values of the well-formed reports, in order.
pub(crate) type Expected = BTreeMap<(usize, String), Vec<u8>>;

pub(crate) async fn setup(store: &Store, sim: &BotApiSim, n: usize, now: DateTime<Utc>) {
    setup_except(store, sim, n, now, |_| false).await;
}

/// The portfolio of `n` projects, their groups on Telegram but those
/// `elsewhere` picks.
async fn setup_except(
    store: &Store,
    sim: &BotApiSim,
    n: usize,
    now: DateTime<Utc>,
    elsewhere: impl Fn(usize) -> bool,
) {
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
    for i in (0..n).filter(|i| !elsewhere(*i)) {
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
    let mut fs = Share::start(n).await;
    setup_except(&store, &sim, n, t0, on_feishu).await;
    fs.bind(&store).await;
    let n_tg = n - fs.len();
    // Paced as in production unless SOAK_PACE=0: the pacer is what keeps a
    // crash from catching more than a message or two in the air.
    let paced = env_or("SOAK_PACE", 1) == 1;
    let lead = LEAD_CHAT.to_string();
    let throttle = if paced { "true" } else { "false" };
    let mut env = vec![
        ("DUBAN__TELEGRAM__THROTTLE", throttle),
        ("DUBAN__LEADERSHIP_CHATS", &lead),
        ("DUBAN__LIAISONS", ""),
    ];
    let feishu_env = fs.env();
    env.extend(feishu_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let settings = settings_for(&db, &sim, &env);
    let clock = ManualClock::new(t0);
    sim.set_now(t0.timestamp());
    let mut tally = Tally::default();
    let mut expected: Expected = BTreeMap::new();
    let mut instance = Instance::start(settings.clone(), clock.clone());
    assert!(sim.wait_polling(WAIT).await);
    fs.ready().await;
    fs.add_bot().await;

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
        fs.faults(&mut rng);
        move_to(&clock, &sim, at(0, 9)).await;
        if crash_now {
            tokio::time::timeout(WAIT, instance.hooks.stalled())
                .await
                .expect("stalled after a claim");
            tally.kills_after_claim += 1;
            instance = restart(instance, &mut tally);
            assert!(sim.wait_polling(WAIT).await);
            fs.ready().await;
            // Past the dead claim's lease, so it is retried, once.
            move_to(&clock, &sim, at(0, 9) + Days::minutes(3)).await;
        }
        let prompts = wait_count(&sim, n_tg, |s| {
            s.text.contains("请直接回复本消息提交本周周报")
                && s.text.contains(&week_title(&week_label))
        })
        .await;
        assert_eq!(prompts, n_tg, "week {week_label}: prompts");
        let on_fs = fs.wait_prompts(&week_title(&week_label)).await;
        assert_eq!(on_fs, fs.len(), "week {week_label}: prompts on Feishu");

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
            if on_feishu(i) {
                fs.tally.late += usize::from(late);
            } else {
                tally.late += usize::from(late);
            }
            plan.push((when, i, progress, behaviour));
        }
        plan.sort_by_key(|(t, i, _, _)| (*t, *i));
        let mut hours: Vec<DateTime<Utc>> = plan.iter().map(|(t, ..)| *t).collect();
        hours.dedup();
        let mut killed = false;
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
            let this_hour = |on: bool| {
                plan.iter()
                    .filter(move |(t, i, ..)| t == hour && on_feishu(*i) == on)
            };
            // One Telegram batch per week is cut short by a kill before
            // handling, and with it the Feishu events stored meanwhile.
            let batch = this_hour(false).count() as u64;
            let kill_mid_batch = !killed && k >= hours.len() / 2 && batch > 0;
            killed |= kill_mid_batch;
            if kill_mid_batch {
                instance
                    .hooks
                    .stall_before_handling(1 + rng.below(batch) as i64);
            }
            let mut awaited = Vec::new();
            for (_, i, progress, behaviour) in this_hour(false) {
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
            let mut on_fs = Vec::new();
            for (_, i, progress, behaviour) in this_hour(true) {
                let key = (*i, week_label.clone());
                let plan = (*i, *progress, *behaviour);
                on_fs.extend(fs.report(plan, week, key, &mut expected).await);
            }
            if kill_mid_batch {
                tokio::time::timeout(WAIT, instance.hooks.stalled())
                    .await
                    .expect("stalled mid-batch");
                tally.kills_mid_batch += 1;
                instance = restart(instance, &mut tally);
                fs.ready().await;
            }
            for (g, id) in awaited {
                sim.wait_sent(WAIT, |s| s.chat_id == g && s.reply_to == Some(id))
                    .await
                    .unwrap_or_else(|| panic!("no answer to message {id} in {g}"));
            }
            fs.await_answers(&on_fs).await;
            fs.redeliver_some(&mut rng, on_fs.len()).await;
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
            fs.ready().await;
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

    let report = verify(&store, &sim, &expected, n_tg, weeks).await;
    let elapsed = started.elapsed();
    let panics = panics.load(Ordering::SeqCst);
    println!(
        "\nsoak: {n} projects, {weeks} weeks, seed {seed:#x}, {:.1} s",
        elapsed.as_secs_f64()
    );
    let fv = soak_feishu::verify(&store, &fs, weeks).await;
    print_figures(&tally, (n_tg, &fs), (&report, &fv), elapsed, panics);
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
    assert!(fv.losses.is_empty(), "lost on Feishu: {:#?}", fv.losses);
    assert_eq!(fv.in_the_air, 0, "no crash-in-the-air allowance on Feishu");
    assert!(
        fv.duplicates.is_empty(),
        "twice on Feishu: {:#?}",
        fv.duplicates
    );
    assert!(
        fv.answers.is_empty(),
        "answers on Feishu: {:#?}",
        fv.answers
    );
    assert_eq!(panics, 0, "panics in the bot");
    store.close().await;
}

#[derive(Clone, Copy)]
pub(crate) enum Behaviour {
    Once,
    MalformedFirst,
    Twice,
}

pub(crate) fn week_title(week: &str) -> String {
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
