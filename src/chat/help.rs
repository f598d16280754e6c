//! `/start` and `/help`: what the bot does and what this person may do here.

use crate::domain::commands::{Place, available};
use crate::render::text::t;
use crate::store::{Conn, people};

use super::Out;
use super::context::Here;

pub async fn help(tx: &mut Conn, here: &Here) -> Out {
    if here.place == Place::Private {
        // Writing to the bot privately is what lets it write first later.
        people::set_can_dm(tx, here.person.id, true).await?;
    }
    Ok(vec![here.reply(help_text(here))])
}

fn help_text(here: &Here) -> String {
    let lang = here.lang;
    let mut lines = vec![t(lang, "help.intro", &[])];
    if here.place == Place::Group {
        lines.push(t(lang, "refuse.unbound_group", &[]));
    }
    if matches!(here.place, Place::ProjectGroup | Place::Private) {
        lines.push(t(lang, "help.example", &[]));
    }
    lines.push(t(lang, "help.commands_here", &[]));
    for c in available(here.roles, here.place) {
        lines.push(format!("/{} — {}", c.name(), t(lang, &c.help_key(), &[])));
    }
    lines.join("\n")
}
