//! `/lang` and `/subscribe`: how a chat is answered and what it receives.

use crate::domain::lang::Lang;
use crate::render::text::t;
use crate::store::{Conn, chats};

use super::Out;
use super::context::Here;

pub async fn lang(tx: &mut Conn, here: &Here, args: &str) -> Out {
    match args.trim().parse::<Lang>() {
        Ok(lang) => {
            chats::set_locale(tx, here.chat.id, lang).await?;
            Ok(vec![here.reply(t(lang, "lang.done", &[]))])
        }
        Err(_) => Ok(here.say("lang.usage", &[])),
    }
}

/// Makes this chat a leadership chat: it receives the bulletins.
pub async fn subscribe(tx: &mut Conn, here: &Here) -> Out {
    chats::set_leadership(tx, here.chat.id, true).await?;
    Ok(here.say("subscribe.done", &[]))
}
