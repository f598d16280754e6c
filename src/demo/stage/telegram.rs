//! The demo on the local Bot API server (`tgsim`): the script's numbers
//! are Telegram's ids as they stand.

use secrecy::SecretString;

use duban::config::Settings;
use duban::domain::ids::Platform;
use duban::domain::lang::Lang;
use tgsim::{BotApiSim, ChatKind, Sent};

use super::{BotMsg, MsgId, Posted, StageError};
use crate::demo::script::{self, Person};

/// A token of the right shape for the simulator, which accepts any; it is
/// not a secret and reaches nothing but 127.0.0.1.
const TOKEN: &str = "7000000001:duban-demo-offline";

pub async fn start(lang: Lang) -> Result<BotApiSim, StageError> {
    let sim = BotApiSim::start(TOKEN)
        .await
        .map_err(|source| StageError::Start {
            platform: Platform::Telegram,
            source,
        })?;
    cast(&sim, lang);
    Ok(sim)
}

/// The people and chats of the simulated Telegram.
fn cast(sim: &BotApiSim, lang: Lang) {
    for p in script::everyone() {
        sim.add_user(p.id, p.name.get(lang), Some(p.username));
    }
    for p in &script::PROJECTS {
        sim.add_chat(p.chat, ChatKind::Group, p.group_title.get(lang));
    }
    sim.add_chat(
        script::LEADERSHIP_CHAT,
        ChatKind::Group,
        script::LEADERSHIP_TITLE.get(lang),
    );
    // They pressed Start in the bot's chat (and say /start on screen).
    for p in script::OPENED_PRIVATE {
        sim.open_private(p.id);
    }
}

pub fn point_at(settings: &mut Settings, sim: &BotApiSim) {
    settings.platforms = vec![Platform::Telegram];
    settings.telegram.api_url = sim.api_url();
    settings.telegram.token = Some(SecretString::from(TOKEN));
    // Only the simulator is talked to, and it has no rate limits.
    settings.telegram.throttle = false;
}

/// Telegram needs no mention: the bot reads its groups' commands and
/// replies to it as they are.
pub fn post(sim: &BotApiSim, chat: i64, who: &Person, text: &str, to: Option<&MsgId>) -> Posted {
    let pushed = match to {
        Some(MsgId::Telegram(id)) => sim.push_reply(chat, who.id, text, *id),
        // A Feishu id cannot be in a Telegram chat: said without the reply.
        Some(MsgId::Feishu(_)) | None => sim.push_text(chat, who.id, text),
    };
    Posted {
        id: MsgId::Telegram(pushed.message_id),
        text: text.to_string(),
    }
}

pub fn bot_msg(s: &Sent) -> BotMsg {
    BotMsg {
        seq: s.seq,
        chat: s.chat_id,
        id: MsgId::Telegram(s.message_id),
        reply_to: s.reply_to.map(MsgId::Telegram),
        plain: s.plain.clone(),
        shown: s.method == "sendMessage",
    }
}
