//! Spreadsheets through the chat: a pledge sheet sent to the bot privately
//! by a liaison or an admin is imported all or nothing, with the update that
//! carried it; `/export` answers with the leadership workbook.
//!
//! The workbook is read before the update's transaction opens ([`prepare`]):
//! the export reads through the store's pool, and an SQLite pool has one
//! connection, which the update's transaction holds. The transaction then
//! only records the prepared file as the reply, so a restart re-sends the
//! same file instead of making another.

use chrono::{DateTime, Utc};

use crate::domain::commands::{Command, Parsed, Place, Refusal, authorize, parse_command};
use crate::domain::ids::ChatKind;
use crate::domain::lang::Lang;
use crate::domain::model::Role;
use crate::domain::outgoing::{Outgoing, OutgoingDocument};
use crate::domain::time::ReportingWeek;
use crate::render::text::t;
use crate::service::import::{ImportError, ImportSummary, import_file_in};
use crate::sheets::{ExportFormat, ExportScope, export};
use crate::store::{Conn, Op, Store, StoreError, people};

use super::context::Here;
use super::event::{Attachment, Event, IncomingMessage};
use super::{Env, Out};

/// The largest sheet read from a chat (Telegram's own limit on what a bot
/// may download); a larger one is refused with the limit named.
pub const MAX_SHEET_BYTES: u64 = 20 * 1024 * 1024;

/// What a message needs made before its transaction opens.
#[derive(Debug, Default)]
pub struct Prepared {
    export: Option<PreparedExport>,
}

/// The workbook as made for a scope and a language; the transaction uses
/// it only when it decides on the same (a role changed in between means
/// the person is asked to send `/export` again).
#[derive(Debug)]
struct PreparedExport {
    scope: ExportScope,
    lang: Lang,
    /// The file and its caption, or `None` when it could not be made
    /// (logged with the reason).
    made: Option<(OutgoingDocument, String)>,
}

/// A message the sheet importer answers: a file sent in a private chat,
/// which only its sender reads; files shared in groups are the group's.
pub fn is_upload(msg: &IncomingMessage) -> bool {
    msg.attachment.is_some() && msg.chat.kind == ChatKind::Private
}

/// Whether [`prepare`] makes anything for this event (`/export` asked): a
/// caller handling several events in one transaction closes it first, so
/// the workbook reads what the events before it wrote.
pub fn needs_preparing(event: &Event, bot_username: &str) -> bool {
    let Event::Message(msg) = event else {
        return false;
    };
    let asks = matches!(
        parse_command(&msg.text, bot_username),
        Some(Parsed::Known(Command::Export, _))
    );
    asks && !is_upload(msg)
}

/// Makes `/export`'s workbook for an update about to be handled; nothing
/// for any other. Who may have which projects is worked out as the
/// conversation will, in a transaction that is rolled back: deciding
/// writes nothing.
pub async fn prepare(
    store: &Store,
    env: &Env<'_>,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let Event::Message(msg) = event else {
        return Ok(Prepared::default());
    };
    if !needs_preparing(event, env.bot_username) {
        return Ok(Prepared::default());
    }
    let mut probe = store.begin().await?;
    let here = Here::load(&mut probe, env.settings, msg.clone()).await?;
    let scope = match authorize(Command::Export, here.roles, here.place) {
        Ok(()) => Some(export_scope(&mut probe, &here).await?),
        Err(_) => None,
    };
    probe
        .rollback()
        .await
        .op("chat::sheets::prepare (rollback)")?;
    let Some(scope) = scope else {
        return Ok(Prepared::default());
    };
    let file_name = workbook_name(now, env);
    let made = match export(
        store,
        env.settings,
        &scope,
        now,
        here.lang,
        ExportFormat::Xlsx,
    )
    .await
    {
        Ok(file) => {
            let caption = file.summary(&file_name, here.lang);
            let document = OutgoingDocument {
                file_name,
                bytes: file.bytes,
            };
            Some((document, caption))
        }
        Err(e) => {
            tracing::error!(error = %e, "the workbook for /export could not be made");
            None
        }
    };
    Ok(Prepared {
        export: Some(PreparedExport {
            scope,
            lang: here.lang,
            made,
        }),
    })
}

/// `duban-2026-W48.xlsx`: the ISO week of `now` in the configured zone.
fn workbook_name(now: DateTime<Utc>, env: &Env<'_>) -> String {
    let week = ReportingWeek::of_instant(now, env.settings.timezone);
    format!("duban-{week}.xlsx")
}

/// An admin's export, and any in a leadership chat, holds every project; a
/// liaison's in their private chat holds the projects they are liaison of.
async fn export_scope(tx: &mut Conn, here: &Here) -> Result<ExportScope, StoreError> {
    if here.roles.admin || here.place == Place::Leadership {
        return Ok(ExportScope::All);
    }
    let ids = people::projects_with_role(tx, here.person.id, Role::Liaison).await?;
    Ok(ExportScope::Projects(ids))
}

/// `/export` (already authorised): the prepared workbook as a document.
pub async fn export_command(tx: &mut Conn, env: &Env<'_>, here: &Here) -> Out {
    let scope = export_scope(tx, here).await?;
    let prepared = env.prepared.and_then(|p| p.export.as_ref());
    match prepared {
        Some(p) if p.scope == scope && p.lang == here.lang => match &p.made {
            Some((document, caption)) => Ok(vec![Outgoing {
                document: Some(document.clone()),
                ..here.reply(caption.clone())
            }]),
            None => Ok(here.say("export.chat_failed", &[])),
        },
        // Not prepared for what is decided now: a role or the chat's
        // language changed in between, or the caller prepared nothing.
        _ => Ok(here.say("export.chat_again", &[])),
    }
}

/// A file sent in a private chat: imported, all or nothing, in the
/// update's transaction, by an admin or a liaison; refused to anyone else.
pub async fn upload(tx: &mut Conn, env: &Env<'_>, here: &Here, now: DateTime<Utc>) -> Out {
    let Some(file) = &here.msg.attachment else {
        return Ok(Vec::new());
    };
    if !(here.roles.admin || here.roles.liaison_anywhere) {
        return Ok(here.refuse(Refusal::LiaisonOnly));
    }
    let name = || ("file", file.file_name.clone());
    let fetched = file.bytes.as_ref();
    let size = fetched.map_or(file.size, |b| b.len() as u64).max(file.size);
    if size > MAX_SHEET_BYTES {
        let args = [
            name(),
            ("size", megabytes(size)),
            ("limit", megabytes(MAX_SHEET_BYTES)),
        ];
        return Ok(here.say("upload.too_large", &args));
    }
    let Some(bytes) = fetched else {
        return Ok(here.say("upload.not_fetched", &[name()]));
    };
    // The revision history says where a changed pledge came from.
    let source = format!("{} ({})", file.file_name, here.person.account);
    let tz = env.settings.timezone;
    match import_file_in(tx, bytes, &source, None, now, tz).await {
        Ok(summary) => Ok(vec![here.reply(summary_text(file, &summary, here.lang))]),
        // The sheet was read whole before anything was written: nothing of
        // it is in the transaction, which commits only the handled mark.
        Err(ImportError::Rows(rows)) => {
            let args = [name(), ("errors", rows.to_string())];
            Ok(here.say("upload.refused", &args))
        }
        Err(ImportError::Store(e)) => Err(e),
    }
}

/// What an import changed, in words.
fn summary_text(file: &Attachment, s: &ImportSummary, lang: Lang) -> String {
    let n = |v: usize| v.to_string();
    let mut text = t(
        lang,
        "upload.summary",
        &[
            ("file", file.file_name.clone()),
            ("created", n(s.projects_created)),
            ("updated", n(s.projects_updated)),
            ("unchanged", n(s.projects_unchanged)),
            ("milestones_created", n(s.milestones_created)),
            ("revised", n(s.milestones_revised)),
            ("completed", n(s.milestones_completed)),
            ("milestones_unchanged", n(s.milestones_unchanged)),
        ],
    );
    if let Some(encoding) = s.encoding {
        text.push_str(&t(
            lang,
            "upload.encoding",
            &[("encoding", encoding.to_string())],
        ));
    }
    text
}

/// `20 MB`, `23.4 MB`: sizes as a person compares them.
fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_megabytes() {
        assert_eq!(megabytes(MAX_SHEET_BYTES), "20 MB");
        assert_eq!(megabytes(MAX_SHEET_BYTES + 1024 * 1024 / 2), "20.5 MB");
    }
}
