//! The demo on the local Feishu open platform (`feishusim`): the script's
//! people become users with fresh open ids, its groups chats with fresh
//! chat ids, and the bot takes the events over the long connection, so it
//! holds no port.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use feishusim::{Config, FeishuSim, Sent};

use duban::config::Settings;
use duban::domain::ids::Platform;
use duban::domain::lang::Lang;

use super::{BotMsg, MsgId, Posted, StageError};
use crate::demo::script::{self, Person, Where};

/// How often the waits look at what the bot sent: feishusim's own wait
/// counts messages and panics at its deadline, the demo's waits look for
/// a match and note a miss.
const POLL: Duration = Duration::from_millis(10);

#[derive(Clone)]
pub struct FeishuStage {
    sim: FeishuSim,
    ids: Arc<Ids>,
}

/// The script's numbers and the simulator's ids, both ways: a person's
/// number is their open id, which also names their private chat with the
/// bot; a group's number its chat id.
#[derive(Default)]
struct Ids {
    to_sim: HashMap<i64, String>,
    from_sim: HashMap<String, i64>,
}

impl Ids {
    fn insert(&mut self, number: i64, id: String) {
        self.from_sim.insert(id.clone(), number);
        self.to_sim.insert(number, id);
    }
}

impl FeishuStage {
    pub async fn start(lang: Lang) -> Result<FeishuStage, StageError> {
        let sim = FeishuSim::start(Config::default())
            .await
            .map_err(|source| StageError::Start {
                platform: Platform::Feishu,
                source,
            })?;
        sim.use_long_connection();
        let ids = cast(&sim, lang);
        Ok(FeishuStage {
            sim,
            ids: Arc::new(ids),
        })
    }

    /// The simulator's id for a script number; empty for one the script
    /// never cast, which the simulator then refuses loudly.
    pub fn id_of(&self, number: i64) -> String {
        self.ids.to_sim.get(&number).cloned().unwrap_or_default()
    }

    /// The bot on Feishu alone, with the simulator's app and secrets. They
    /// go through the settings' own loader (as the environment would give
    /// them, but in a slice: the process environment is left alone), which
    /// checks them as it checks a real app's.
    pub fn point_at(&self, settings: &mut Settings) -> Result<(), StageError> {
        let c = self.sim.config();
        let mut env: Vec<(String, String)> = [
            ("DUBAN__PLATFORMS", "feishu"),
            ("DUBAN__FEISHU__API_URL", self.sim.url().as_str()),
            ("DUBAN__FEISHU__APP_ID", c.app_id.as_str()),
            ("DUBAN__FEISHU__APP_SECRET", c.app_secret.as_str()),
            (
                "DUBAN__FEISHU__VERIFICATION_TOKEN",
                c.verification_token.as_str(),
            ),
            ("DUBAN__FEISHU__MODE", "long_connection"),
            // The simulator has no rate limits unless asked.
            ("DUBAN__FEISHU__THROTTLE", "false"),
            // What a new app is granted: people @ the bot in groups.
            ("DUBAN__FEISHU__GROUP_MESSAGES", "mentions"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(key) = &c.encrypt_key {
            env.push(("DUBAN__FEISHU__ENCRYPT_KEY".into(), key.clone()));
        }
        let own = Settings::load_from(None, &env)?;
        settings.platforms = own.platforms;
        settings.feishu = own.feishu;
        Ok(())
    }

    /// True once the bot holds its long connection.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.sim.ws_connections() == 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
        true
    }

    pub async fn add_bot(&self, chat: i64, by: &Person) {
        self.sim
            .add_bot(&self.id_of(chat), &self.id_of(by.id))
            .await;
    }

    /// In a group, what is meant for the bot starts with its `@` name (the
    /// simulator makes it a mention), as the app sees only such messages;
    /// in a private chat everything is for the bot.
    pub async fn post(
        &self,
        chat: i64,
        who: &Person,
        text: &str,
        to: Option<&MsgId>,
        to_bot: bool,
    ) -> Option<Posted> {
        let chat_id = self.id_of(chat);
        let from = self.id_of(who.id);
        let in_group = chat_id.starts_with("oc_");
        let text = match (in_group, to_bot) {
            (true, true) => format!("@{} {text}", self.sim.config().bot_name),
            _ => text.to_string(),
        };
        let pushed = match to {
            Some(MsgId::Feishu(parent)) => self.sim.reply(&chat_id, &from, parent, &text).await,
            // A Telegram id cannot be in a Feishu chat: said without the reply.
            Some(MsgId::Telegram(_)) | None => self.sim.say(&chat_id, &from, &text).await,
        };
        if pushed.status.is_some_and(|code| code != 200) {
            tracing::warn!(chat, status = ?pushed.status, "the bot did not take an event");
        }
        Some(Posted {
            id: MsgId::Feishu(pushed.message_id?),
            text,
        })
    }

    /// Feishu has no captions: the text of a picture or file is sent as a
    /// message of its own just before it in the same chat. Such a text is
    /// left out of the transcript with its picture, as Telegram's caption
    /// is with its photo, so that both read the same.
    pub fn sent(&self) -> Vec<BotMsg> {
        let sent = self.sim.sent();
        sent.iter()
            .enumerate()
            .map(|(i, s)| {
                let mut m = self.bot_msg(s);
                let next_here = sent[i + 1..].iter().find(|n| n.chat_id == s.chat_id);
                if next_here.is_some_and(|n| matches!(n.msg_type.as_str(), "image" | "file")) {
                    m.shown = false;
                }
                m
            })
            .collect()
    }

    pub fn last_seq(&self) -> u64 {
        self.sim.sent().last().map_or(0, |s| s.seq)
    }

    pub async fn wait_sent(&self, timeout: Duration, pred: impl Fn(&BotMsg) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.sim.sent().iter().any(|s| pred(&self.bot_msg(s))) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn stop(self) {
        self.sim.stop().await;
    }

    fn bot_msg(&self, s: &Sent) -> BotMsg {
        BotMsg {
            seq: s.seq,
            chat: self.ids.from_sim.get(&s.chat_id).copied().unwrap_or(0),
            id: MsgId::Feishu(s.message_id.clone()),
            reply_to: s.reply_to.clone().map(MsgId::Feishu),
            plain: s.plain.clone(),
            // Texts and posts; the bulletin's picture and workbooks are
            // files, as on Telegram they are photos and documents.
            shown: matches!(s.msg_type.as_str(), "text" | "post"),
        }
    }
}

/// The people and groups of the simulated tenant. Every group lists its
/// members, as Feishu delivers nothing a non-member says.
fn cast(sim: &FeishuSim, lang: Lang) -> Ids {
    let mut ids = Ids::default();
    for p in script::everyone() {
        ids.insert(p.id, sim.add_user(p.name.get(lang)));
    }
    let open_ids = |place: Where| -> Vec<String> {
        script::members(place)
            .into_iter()
            .filter_map(|p| ids.to_sim.get(&p.id).cloned())
            .collect()
    };
    let mut groups = Vec::new();
    for p in &script::PROJECTS {
        let members = open_ids(Where::Group(p.code));
        groups.push((p.chat, p.group_title.get(lang), members));
    }
    groups.push((
        script::LEADERSHIP_CHAT,
        script::LEADERSHIP_TITLE.get(lang),
        open_ids(Where::Leadership),
    ));
    for (number, title, members) in groups {
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        ids.insert(number, sim.add_group(title, &members));
    }
    // On Telegram Wang Qiang never opened a private chat with the bot, so
    // his deadline pings fall back to a mention in his groups; on Feishu
    // the same happens to a person outside the app's availability scope.
    if let Some(wang) = ids.to_sim.get(&script::WANG_QIANG.id) {
        sim.set_in_scope(wang, false);
    }
    ids
}
