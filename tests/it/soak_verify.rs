//! The soak's verdict on its Telegram groups: every well-formed report
//! stored once with its latest version in force, every prompt, nudge,
//! deadline ping and bulletin sent exactly once per (job, period, chat).
//! The Feishu groups' ledger rows are `soak_feishu`'s to judge. And the
//! run's figures, Telegram's and Feishu's side by side.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration as Days;
use duban::store::Store;
use sqlx::Row;
use tgsim::BotApiSim;

use std::time::Duration;

use crate::soak::{Expected, LEAD_CHAT, Tally, week_title};
use crate::soak_feishu::{self, Share};

/// Each job and the words that mark its message.
pub(crate) const JOBS: [(&str, &str); 4] = [
    ("prompt", "请直接回复本消息提交本周周报"),
    ("nudge", "本周周报还没有收到"),
    ("deadline", "你联络的项目需要关注"),
    ("bulletin", "<b>督办周动态"),
];

pub(crate) struct Verdict {
    pub losses: Vec<String>,
    pub duplicates: Vec<String>,
    /// Messages Telegram received twice whose ledger row shows a second
    /// send attempt: a crash caught the first in the air, the one case a
    /// retry may repeat a message. Not counted as duplicates.
    pub resent_twice: usize,
    /// Ledger rows left open although Telegram received the message.
    pub unrecorded: usize,
    pub report_errors: Vec<String>,
    pub messages: usize,
}

/// `2026-W50` as the week title in texts, and the week's deadline as a
/// nudge names it.
pub(crate) fn key1_week(period: &str) -> (String, String) {
    let Ok(w) = period.parse::<duban::domain::time::ReportingWeek>() else {
        return (period.to_string(), period.to_string());
    };
    let thursday = w.monday() + Days::days(3);
    (
        week_title(period),
        thursday.format("%Y-%m-%d 18:00").to_string(),
    )
}

/// The week a message is about: the number in its title, or for a nudge
/// the deadline it names.
pub(crate) fn week_of(text: &str) -> String {
    text.split("年第")
        .nth(1)
        .and_then(|t| t.split('周').next())
        .or_else(|| {
            text.split("截止 ")
                .nth(1)
                .and_then(|t| t.split('）').next())
        })
        .unwrap_or("?")
        .to_string()
}

/// Whether the simulator holds a message of `job` for `chat` in that week.
fn delivered(sim: &BotApiSim, job: &str, week: &(String, String), chat: &str) -> bool {
    let Some((_, marker)) = JOBS.iter().find(|(j, _)| *j == job) else {
        return false;
    };
    let Ok(chat) = chat.parse::<i64>() else {
        return false;
    };
    sim.sent_to(chat)
        .iter()
        .any(|s| s.text.contains(marker) && (s.text.contains(&week.0) || s.text.contains(&week.1)))
}

/// `n` Telegram groups, every project's reports (Feishu's too).
pub(crate) async fn verify(
    store: &Store,
    sim: &BotApiSim,
    expected: &Expected,
    n: usize,
    weeks: i64,
) -> Verdict {
    let mut v = Verdict {
        losses: Vec::new(),
        duplicates: Vec::new(),
        report_errors: verify_reports(store, expected).await,
        messages: sim.sent().len(),
        resent_twice: 0,
        unrecorded: 0,
    };
    let retried = verify_ledger(store, sim, &mut v).await;
    let sent = sim.sent();
    for (job, marker) in JOBS {
        let mut per_chat_week: HashMap<(i64, String), usize> = HashMap::new();
        for s in sent.iter().filter(|s| s.text.contains(marker)) {
            *per_chat_week
                .entry((s.chat_id, week_of(&s.text)))
                .or_default() += 1;
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
    let prompts = sent.iter().filter(|s| s.text.contains(JOBS[0].1)).count();
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

/// Reports: exactly the well-formed submissions, the latest in force.
async fn verify_reports(store: &Store, expected: &Expected) -> Vec<String> {
    let mut errors = Vec::new();
    let rows = sqlx::query("SELECT p.code, r.week, r.progress, r.current FROM reports r JOIN projects p ON p.id = r.project_id ORDER BY r.id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut stored: BTreeMap<(usize, String), Vec<(u8, bool)>> = BTreeMap::new();
    for r in &rows {
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
            errors.push(format!("{key:?}: sent {want:?}, stored {values:?}"));
        } else if got.iter().filter(|(_, c)| *c).count() != 1
            || !got.last().is_some_and(|(_, c)| *c)
        {
            errors.push(format!(
                "{key:?}: the latest is not the one in force: {got:?}"
            ));
        }
    }
    for (key, extra) in stored {
        errors.push(format!("{key:?}: stored without being sent: {extra:?}"));
    }
    errors
}

/// The Telegram rows of the ledger: each sent, or delivered though left
/// unrecorded by a crash. Returns (job, chat, week title, deadline) of
/// every row sent a second time.
async fn verify_ledger(
    store: &Store,
    sim: &BotApiSim,
    v: &mut Verdict,
) -> Vec<(String, String, String, String)> {
    let ledger = sqlx::query(
        "SELECT job, period, chat_key, sent_at, note, attempts FROM outbox \
         WHERE chat_key NOT LIKE 'feishu:%' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut retried = Vec::new();
    for r in &ledger {
        let (job, period, chat): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if r.get::<Option<i64>, _>(3).is_none() {
            // Unrecorded is not undelivered: a crash between Telegram's
            // answer and the ledger's record leaves the row open.
            if delivered(sim, &job, &key1_week(&period), &chat) {
                v.unrecorded += 1;
            } else {
                v.losses.push(format!(
                    "{:?} claimed, never sent: {}",
                    (&job, &period, &chat),
                    r.get::<String, _>(4)
                ));
            }
        }
        if r.get::<i64, _>(5) >= 2 {
            let (title, deadline) = key1_week(&period);
            retried.push((job, chat, title, deadline));
        }
    }
    retried
}

/// The figures of a run, Telegram's and Feishu's side by side.
pub(crate) fn print_figures(
    tally: &Tally,
    (n_tg, fs): (usize, &Share),
    (report, fv): (&Verdict, &soak_feishu::Verdict),
    elapsed: Duration,
    panics: usize,
) {
    let f = &fs.tally;
    let both = |v: usize| (v.to_string(), v.to_string());
    let split = |t: usize, f: usize| (t.to_string(), f.to_string());
    let all_reports = tally.reports_sent + f.reports;
    println!("| figure | Telegram | Feishu |\n| --- | --- | --- |");
    for (k, (t, v)) in [
        ("projects", split(n_tg, fs.len())),
        (
            "reports sent (well-formed)",
            split(tally.reports_sent, f.reports),
        ),
        (
            "reports sent malformed first",
            split(tally.malformed, f.malformed),
        ),
        ("reports sent twice", split(tally.twice, f.twice)),
        ("reports sent late", split(tally.late, f.late)),
        (
            "reports per second over the whole run (both)",
            both_f(all_reports as f64 / elapsed.as_secs_f64()),
        ),
        (
            "messages sent by the bot",
            split(report.messages, fv.messages),
        ),
        (
            "faults injected (429, slow answers, dropped connections)",
            split(tally.faults, f.too_many),
        ),
        (
            "sends shown but their answers lost",
            split(0, f.answers_lost),
        ),
        (
            "batches (Telegram), events (Feishu) delivered twice",
            split(tally.redeliveries, f.redelivered),
        ),
        ("restarts", both(tally.restarts)),
        (
            "killed between claim and send",
            both(tally.kills_after_claim),
        ),
        ("killed mid-batch", both(tally.kills_mid_batch)),
        ("killed mid-import", both(tally.kills_mid_import)),
        (
            "delivered but left unrecorded by a crash after the send",
            split(report.unrecorded, fv.unrecorded),
        ),
        ("losses", split(report.losses.len(), fv.losses.len())),
        (
            "sent twice because a crash caught the first send in the air",
            split(report.resent_twice, fv.in_the_air),
        ),
        (
            "sent a second time (crash, lost answer), shown once (uuid)",
            ("–".to_string(), fv.retried_once.to_string()),
        ),
        (
            "duplicates (any other message sent twice)",
            split(report.duplicates.len(), fv.duplicates.len() - fv.in_the_air),
        ),
        (
            "owner messages not answered exactly once",
            ("–".into(), fv.answers.len().to_string()),
        ),
        ("panics", both(panics)),
    ] {
        println!("| {k} | {t} | {v} |");
    }
}

fn both_f(v: f64) -> (String, String) {
    (format!("{v:.1}"), format!("{v:.1}"))
}
