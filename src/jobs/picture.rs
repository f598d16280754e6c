//! The pictures jobs post after their texts. Each has a ledger row of its
//! own, keyed by its chat's key and [`SUFFIX`], so text and picture are
//! each sent exactly once and a crash between them loses neither.

use crate::domain::lang::Lang;
use crate::domain::outgoing::{Outgoing, OutgoingDocument};
use crate::render::chart::Chart;
use crate::render::picture::png;

use super::Planned;
use super::targets::Target;

/// What a picture's ledger key adds to its chat's.
pub(crate) const SUFFIX: &str = "#picture";

pub(crate) fn key(chat_key: &str) -> String {
    format!("{chat_key}{SUFFIX}")
}

/// A chart, its caption and its file name, in one language.
pub(crate) type Drawn = (Chart, String, String);

/// One picture a chat, each in the chat's language, drawn once a language.
/// A picture that cannot be drawn is left out, logged: the text it goes
/// with says everything it shows.
pub(crate) fn each(
    targets: &[Target],
    what: &'static str,
    draw: impl Fn(Lang) -> Option<Drawn>,
) -> Vec<Planned> {
    let mut drawn: Vec<(Lang, Option<(OutgoingDocument, String)>)> = Vec::new();
    let mut out = Vec::new();
    for t in targets {
        if !drawn.iter().any(|(l, _)| *l == t.lang) {
            drawn.push((t.lang, draw(t.lang).and_then(|d| encode(d, what))));
        }
        let Some((_, Some((file, caption)))) = drawn.iter().find(|(l, _)| *l == t.lang) else {
            continue;
        };
        out.push(Planned {
            chat_key: key(&t.chat.key()),
            out: Outgoing {
                picture: Some(file.clone()),
                ..Outgoing::to(t.chat.clone(), caption.clone())
            },
        });
    }
    out
}

fn encode(
    (chart, caption, file_name): Drawn,
    what: &'static str,
) -> Option<(OutgoingDocument, String)> {
    match png(&chart, what) {
        Ok(bytes) => Some((OutgoingDocument { file_name, bytes }, caption)),
        Err(e) => {
            tracing::error!(error = %e, "picture left out");
            None
        }
    }
}

/// Each chat's text, then its picture.
pub(crate) fn after(texts: Vec<Planned>, pictures: Vec<Planned>) -> Vec<Planned> {
    let mut out = Vec::with_capacity(texts.len() + pictures.len());
    let mut pictures = pictures.into_iter().peekable();
    for text in texts {
        let key = key(&text.chat_key);
        out.push(text);
        if let Some(p) = pictures.next_if(|p| p.chat_key == key) {
            out.push(p);
        }
    }
    out
}
