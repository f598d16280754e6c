//! The simulated platform the demo plays on: the local Telegram (`tgsim`)
//! or the local Feishu (`feishusim`). The script and the transcript speak
//! of people and chats by the script's numbers (`Person::id`, a project's
//! `chat`, `LEADERSHIP_CHAT`; a person's private chat is their own number,
//! as on Telegram); a stage maps them to its platform's ids, acts out what
//! people do and reads back what the bot sent, so that one player and one
//! transcript serve both platforms.

mod feishu;
mod telegram;

use std::time::Duration;

use chrono::{DateTime, Utc};

use duban::config::{ConfigError, Settings};
use duban::domain::ids::{PersonRef, Platform};
use duban::domain::lang::Lang;
use tgsim::BotApiSim;

use super::script::Person;
use feishu::FeishuStage;

/// A message's id on its platform, for replying to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsgId {
    Telegram(i64),
    Feishu(String),
}

/// A message the bot sent, as the player and the transcript read it.
#[derive(Debug, Clone)]
pub struct BotMsg {
    /// 1, 2, … in the order the platform accepted the bot's sends.
    pub seq: u64,
    /// The script's number for the chat; 0 for a chat the script does not
    /// know (none is expected).
    pub chat: i64,
    pub id: MsgId,
    pub reply_to: Option<MsgId>,
    /// What a reader sees, markup removed.
    pub plain: String,
    /// A new text message, as the transcript shows them; false for an
    /// edit, a picture or a file.
    pub shown: bool,
}

/// A person's message, as the platform received it.
#[derive(Debug, Clone)]
pub struct Posted {
    pub id: MsgId,
    /// What they typed, as the chat shows it (on Feishu with the bot's
    /// `@` name in front when it is addressed in a group).
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("starting the local {platform} simulator: {source}")]
    Start {
        platform: Platform,
        source: std::io::Error,
    },
    #[error("the demo's Feishu settings: {0}")]
    Settings(#[from] ConfigError),
}

/// The simulator, with the script's people and chats in it. Cheap to
/// clone: every clone drives the same simulator.
#[derive(Clone)]
pub enum Stage {
    Telegram(BotApiSim),
    Feishu(FeishuStage),
}

impl Stage {
    /// Starts the platform's simulator on 127.0.0.1 and puts the cast in
    /// it, named in `lang`.
    pub async fn start(platform: Platform, lang: Lang) -> Result<Stage, StageError> {
        Ok(match platform {
            Platform::Telegram => Stage::Telegram(telegram::start(lang).await?),
            Platform::Feishu => Stage::Feishu(FeishuStage::start(lang).await?),
        })
    }

    pub fn platform(&self) -> Platform {
        match self {
            Stage::Telegram(_) => Platform::Telegram,
            Stage::Feishu(_) => Platform::Feishu,
        }
    }

    /// The platform's part of the bot's settings: only this platform,
    /// pointed at the simulator, unthrottled (it has no rate limits).
    pub fn point_at(&self, settings: &mut Settings) -> Result<(), StageError> {
        match self {
            Stage::Telegram(sim) => {
                telegram::point_at(settings, sim);
                Ok(())
            }
            Stage::Feishu(stage) => stage.point_at(settings),
        }
    }

    /// How the bot knows a person of the script.
    pub fn person(&self, p: &Person) -> PersonRef {
        match self {
            Stage::Telegram(_) => PersonRef::new(Platform::Telegram, p.id.to_string()),
            Stage::Feishu(stage) => PersonRef::new(Platform::Feishu, stage.id_of(p.id)),
        }
    }

    /// Whether the bot must be added to the leadership chat before anyone
    /// there can speak to it: Feishu delivers nothing from a group the bot
    /// is not in, while the simulated Telegram relays every chat.
    pub fn needs_bot_in_leadership_chat(&self) -> bool {
        matches!(self, Stage::Feishu(_))
    }

    /// True once the bot listens (polls, or holds its long connection).
    pub async fn ready(&self, timeout: Duration) -> bool {
        match self {
            Stage::Telegram(sim) => sim.wait_polling(timeout).await,
            Stage::Feishu(stage) => stage.ready(timeout).await,
        }
    }

    /// The simulated Telegram dates messages by its own clock, moved with
    /// the demo's; Feishu's events carry no date the bot reads (it takes
    /// the time from its clock), so there is nothing to move.
    pub fn set_now(&self, at: DateTime<Utc>) {
        if let Stage::Telegram(sim) = self {
            sim.set_now(at.timestamp());
        }
    }

    /// `by` adds the bot to the group; Telegram's service message, if the
    /// platform makes one.
    pub async fn add_bot(&self, chat: i64, by: &Person) -> Option<MsgId> {
        match self {
            Stage::Telegram(sim) => {
                Some(MsgId::Telegram(sim.push_bot_added(chat, by.id).message_id))
            }
            Stage::Feishu(stage) => {
                stage.add_bot(chat, by).await;
                None
            }
        }
    }

    /// `who` writes `text` in `chat`, as a reply to `to` if given.
    /// `to_bot`: the message is meant for the bot (a command, a report),
    /// which on Feishu is marked with an `@` in a group.
    pub async fn post(
        &self,
        chat: i64,
        who: &Person,
        text: &str,
        to: Option<&MsgId>,
        to_bot: bool,
    ) -> Option<Posted> {
        match self {
            Stage::Telegram(sim) => Some(telegram::post(sim, chat, who, text, to)),
            Stage::Feishu(stage) => stage.post(chat, who, text, to, to_bot).await,
        }
    }

    /// Everything the bot sent so far, in order.
    pub fn sent(&self) -> Vec<BotMsg> {
        match self {
            Stage::Telegram(sim) => sim.sent().iter().map(telegram::bot_msg).collect(),
            Stage::Feishu(stage) => stage.sent(),
        }
    }

    /// The `seq` of the bot's latest send (0 before any).
    pub fn last_seq(&self) -> u64 {
        match self {
            Stage::Telegram(sim) => sim.sent().last().map_or(0, |s| s.seq),
            Stage::Feishu(stage) => stage.last_seq(),
        }
    }

    /// True once the bot sent a message `pred` accepts, before or within
    /// `timeout`.
    pub async fn wait_sent(&self, timeout: Duration, pred: impl Fn(&BotMsg) -> bool) -> bool {
        match self {
            Stage::Telegram(sim) => sim
                .wait_sent(timeout, |s| pred(&telegram::bot_msg(s)))
                .await
                .is_some(),
            Stage::Feishu(stage) => stage.wait_sent(timeout, pred).await,
        }
    }

    /// Stops the simulator; its URL refuses connections afterwards.
    pub async fn stop(self) {
        match self {
            Stage::Telegram(sim) => sim.shutdown().await,
            Stage::Feishu(stage) => stage.stop().await,
        }
    }
}
