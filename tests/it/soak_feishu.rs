//! The soak's Feishu share: every 4th project's group is on Feishu, served
//! by the same bot instance as the Telegram groups, on the same database.
//! Owners reply to the prompt through `feishusim` ("@督办 …", as the
//! prompt asks where the bot sees only mentions), some events are
//! delivered again, some sends refused (429) or carried out with their
//! answer lost. The verdict holds Feishu to exactly once with no
//! crash-in-the-air allowance: a retry carries the first send's uuid.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use duban::domain::ids::{ChatKind, ChatRef, PersonRef, Platform};
use duban::domain::model::Role;
use duban::store::{Store, chats, people, projects};
use feishusim::{Config, Fault, FeishuSim, Sent};

use crate::helpers::free_port;
use crate::soak::{Behaviour, Expected, Rng};
use crate::soak_verify::{JOBS, key1_week, week_of};

const WAIT: Duration = Duration::from_secs(60);
const LIAISONS: usize = 4;

/// Whether project `i`'s group is on Feishu.
pub(crate) fn on_feishu(i: usize) -> bool {
    i % 4 == 3
}

#[derive(Default)]
pub(crate) struct Tally {
    pub reports: usize,
    pub malformed: usize,
    pub twice: usize,
    pub late: usize,
    pub redelivered: usize,
    pub too_many: usize,
    pub answers_lost: usize,
}

pub(crate) struct Share {
    pub sim: FeishuSim,
    port: u16,
    /// Project index -> (group chat id, owner open id).
    groups: BTreeMap<usize, (String, String)>,
    liaisons: Vec<String>,
    /// Group -> the message id of this week's prompt there.
    prompts: HashMap<String, String>,
    /// Every message an owner sent: (event id, message id).
    pushed: Vec<(String, String)>,
    pub tally: Tally,
}

impl Share {
    /// The simulator with a group, an owner and a liaison per Feishu
    /// project among the first `n`.
    pub async fn start(n: usize) -> Share {
        let sim = FeishuSim::start(Config::default())
            .await
            .expect("feishusim");
        let liaisons: Vec<String> = (0..LIAISONS)
            .map(|l| sim.add_user(&format!("飞书联络员{l}")))
            .collect();
        let mut groups = BTreeMap::new();
        for i in (0..n).filter(|i| on_feishu(*i)) {
            let owner = sim.add_user(&format!("飞书业主{i}"));
            let liaison = &liaisons[i % LIAISONS];
            let group = sim.add_group(&format!("S{i:05}群"), &[&owner, liaison]);
            groups.insert(i, (group, owner));
        }
        Share {
            sim,
            port: free_port(),
            groups,
            liaisons,
            prompts: HashMap::new(),
            pushed: Vec::new(),
            tally: Tally::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Binds each Feishu group to its project, with its owner and liaison.
    pub async fn bind(&self, store: &Store) {
        let mut tx = store.begin().await.unwrap();
        for (i, (group, owner)) in &self.groups {
            let chat = ChatRef::new(Platform::Feishu, group.clone());
            let chat = chats::upsert(&mut tx, &chat, ChatKind::Group, "g")
                .await
                .unwrap();
            let p = projects::by_code(&mut tx, &format!("S{i:05}"))
                .await
                .unwrap()
                .unwrap();
            chats::bind(&mut tx, chat.id, p.id).await.unwrap();
            let liaison = &self.liaisons[i % LIAISONS];
            for (who, role) in [(owner, Role::Owner), (liaison, Role::Liaison)] {
                let account = PersonRef::new(Platform::Feishu, who.clone());
                let person = people::upsert(&mut tx, &account, &format!("f{i}"), None)
                    .await
                    .unwrap();
                people::add_role(&mut tx, p.id, person.id, role)
                    .await
                    .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }

    /// The Feishu half of the bot's settings, its webhook on a fixed port.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![("DUBAN__PLATFORMS".into(), "telegram,feishu".into())];
        env.extend(crate::feishu::app_env(&self.sim, self.port));
        env
    }

    /// Waits until the (re)started bot's webhook answers its challenge.
    pub async fn ready(&self) {
        crate::feishu::listening(&self.sim, self.port, WAIT).await;
    }

    /// Each owner adds the bot to their group, and it says hello there
    /// (before any fault is queued for the prompts).
    pub async fn add_bot(&self) {
        for (group, owner) in self.groups.values() {
            let p = self.sim.add_bot(group, owner).await;
            assert_eq!(p.status, Some(200), "{p:?}");
        }
        let deadline = Instant::now() + WAIT;
        while self.sim.sent().len() < self.len() {
            assert!(Instant::now() < deadline, "no greetings on Feishu");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Faults for the next sends (the prompt fan-out): a rate limit waited
    /// out, and one or two prompts Feishu shows but whose answers are lost.
    pub fn faults(&mut self, rng: &mut Rng) {
        self.sim.fail_next(Fault::TooManyRequests { reset_secs: 1 });
        self.tally.too_many += 1;
        for _ in 0..1 + rng.below(2) {
            self.sim.fail_next(Fault::AnswerLost);
            self.tally.answers_lost += 1;
        }
    }

    /// Waits for every Feishu group's prompt of the week titled `title`;
    /// how many groups got theirs.
    pub async fn wait_prompts(&mut self, title: &str) -> usize {
        let deadline = Instant::now() + WAIT;
        loop {
            self.prompts = self
                .sim
                .sent()
                .into_iter()
                .filter(|s| s.plain.contains(JOBS[0].1) && s.plain.contains(title))
                .map(|s| (s.chat_id, s.message_id))
                .collect();
            if self.prompts.len() >= self.len() || Instant::now() > deadline {
                return self.prompts.len();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Project `i`'s owner replies to the week's prompt; the messages to
    /// await answers to.
    pub async fn report(
        &mut self,
        (i, progress, behaviour): (usize, u8, Behaviour),
        week: i64,
        key: (usize, String),
        expected: &mut Expected,
    ) -> Vec<String> {
        let (group, owner) = self.groups[&i].clone();
        let prompt = self.prompts[&group].clone();
        let mut texts = Vec::new();
        match behaviour {
            Behaviour::MalformedFirst => {
                texts.push("@督办 进度: 很多".to_string());
                self.tally.malformed += 1;
            }
            Behaviour::Twice => {
                let first = progress.saturating_sub(10);
                texts.push(format!("@督办 进度: {first}%"));
                expected.entry(key.clone()).or_default().push(first);
                self.tally.twice += 1;
                self.tally.reports += 1;
            }
            Behaviour::Once => {}
        }
        texts.push(format!("@督办 进度: {progress}%\n本周完成: 第{week}周施工"));
        expected.entry(key).or_default().push(progress);
        self.tally.reports += 1;
        let mut ids = Vec::new();
        for text in texts {
            let p = self.sim.reply(&group, &owner, &prompt, &text).await;
            assert_eq!(p.status, Some(200), "{p:?}");
            let id = p.message_id.unwrap();
            self.pushed.push((p.event_id, id.clone()));
            ids.push(id);
        }
        ids
    }

    /// Waits for the bot's answer to each of these messages.
    pub async fn await_answers(&self, ids: &[String]) {
        let deadline = Instant::now() + WAIT;
        for id in ids {
            while !self
                .sim
                .sent()
                .iter()
                .any(|s| s.reply_to.as_ref() == Some(id))
            {
                assert!(Instant::now() < deadline, "no answer to {id} on Feishu");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Feishu delivers some of the last `k` events again.
    pub async fn redeliver_some(&mut self, rng: &mut Rng, k: usize) {
        let recent: Vec<String> = self
            .pushed
            .iter()
            .rev()
            .take(k)
            .map(|p| p.0.clone())
            .collect();
        for event in recent {
            if rng.chance(30) {
                let p = self.sim.redeliver(&event).await;
                assert_eq!(p.status, Some(200), "{p:?}");
                self.tally.redelivered += 1;
            }
        }
    }
}

/// What the Feishu share's ledger and feishusim show at the end.
pub(crate) struct Verdict {
    pub messages: usize,
    pub losses: Vec<String>,
    /// Any job message Feishu shows twice, retried after a crash or not.
    pub duplicates: Vec<String>,
    /// Of those, the ones whose ledger row was sent a second time: on
    /// Telegram the allowance; on Feishu it must be zero.
    pub in_the_air: usize,
    /// Ledger rows sent more than once, each shown once thanks to its uuid.
    pub retried_once: usize,
    pub unrecorded: usize,
    /// Owner messages not answered exactly once.
    pub answers: Vec<String>,
}

/// The Feishu rows of the ledger against what feishusim shows.
pub(crate) async fn verify(store: &Store, share: &Share, weeks: i64) -> Verdict {
    let sent = share.sim.sent();
    let mut v = Verdict {
        messages: sent.len(),
        losses: Vec::new(),
        duplicates: Vec::new(),
        in_the_air: 0,
        retried_once: 0,
        unrecorded: 0,
        answers: Vec::new(),
    };
    // (job, chat, week) -> how many times Feishu shows it.
    let mut shown: HashMap<(String, String, String), usize> = HashMap::new();
    for s in sent.iter().filter(|s| s.msg_type != "image") {
        for (job, marker) in JOBS {
            if s.plain.contains(marker) {
                let key = (job.to_string(), s.chat_id.clone(), week_of(&s.plain));
                *shown.entry(key).or_default() += 1;
            }
        }
    }
    let ledger = sqlx::query(
        "SELECT job, period, chat_key, sent_at, note, attempts FROM outbox \
         WHERE chat_key LIKE 'feishu:%' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for r in &ledger {
        use sqlx::Row;
        let job: String = r.get(0);
        let chat = r.get::<String, _>(2).replace("feishu:", "");
        let (title, deadline) = key1_week(&r.get::<String, _>(1));
        let times = [week_of(&title), deadline]
            .into_iter()
            .find_map(|week| shown.get(&(job.clone(), chat.clone(), week)).copied());
        if r.get::<Option<i64>, _>(3).is_none() {
            if times.is_some() {
                v.unrecorded += 1;
            } else {
                v.losses.push(format!(
                    "{job} to {chat}: never sent: {}",
                    r.get::<String, _>(4)
                ));
            }
        }
        if r.get::<i64, _>(5) >= 2 {
            match times {
                Some(1) => v.retried_once += 1,
                Some(t) if t > 1 => v.in_the_air += 1,
                _ => {}
            }
        }
    }
    for ((job, chat, week), times) in &shown {
        if *times > 1 {
            v.duplicates
                .push(format!("{job} week {week} to {chat}: {times} times"));
        }
    }
    let prompts = shown.keys().filter(|k| k.0 == "prompt").count();
    if prompts != share.len() * weeks as usize {
        v.losses.push(format!(
            "{prompts} Feishu prompts for {} groups × {weeks} weeks",
            share.len()
        ));
    }
    v.answers = unanswered(&sent, &share.pushed);
    v
}

/// Owner messages whose answers Feishu does not show exactly once.
fn unanswered(sent: &[Sent], pushed: &[(String, String)]) -> Vec<String> {
    let mut answers: HashMap<&str, usize> = HashMap::new();
    for s in sent {
        if let Some(parent) = &s.reply_to {
            *answers.entry(parent.as_str()).or_default() += 1;
        }
    }
    pushed
        .iter()
        .filter_map(|(_, id)| {
            let n = answers.get(id.as_str()).copied().unwrap_or(0);
            (n != 1).then(|| format!("{id}: answered {n} times"))
        })
        .collect()
}
