//! Chats the bot is in: their binding to a project, leadership subscription,
//! language, and whether the bot is still there.

use sqlx::any::AnyRow;

use super::{Conn, Op, Result, StoreError, get};
use crate::domain::ids::{ChatKind, ChatRef, Platform};
use crate::domain::lang::{Lang, UnknownLang};
use crate::domain::model::Chat;

macro_rules! columns {
    () => {
        "id, platform, external_id, kind, title, locale, project_id, is_leadership, active"
    };
}

fn chat(row: &AnyRow) -> Result<Chat> {
    let platform: String = get(row, "platform")?;
    let kind: String = get(row, "kind")?;
    let locale: Option<String> = get(row, "locale")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("chats: {what}"));
    Ok(Chat {
        id: get(row, "id")?,
        address: ChatRef::new(
            platform
                .parse::<Platform>()
                .map_err(|e| corrupt(e.to_string()))?,
            get::<String>(row, "external_id")?,
        ),
        kind: kind
            .parse::<ChatKind>()
            .map_err(|e| corrupt(e.to_string()))?,
        title: get(row, "title")?,
        locale: locale
            .map(|l| l.parse().map_err(|e: UnknownLang| corrupt(e.to_string())))
            .transpose()?,
        project_id: get(row, "project_id")?,
        is_leadership: get::<i64>(row, "is_leadership")? != 0,
        active: get::<i64>(row, "active")? != 0,
    })
}

/// Records the chat as seen now (the bot is in it); keeps its binding.
pub async fn upsert(
    conn: &mut Conn,
    address: &ChatRef,
    kind: ChatKind,
    title: &str,
) -> Result<Chat> {
    let row = sqlx::query(concat!(
        "INSERT INTO chats (platform, external_id, kind, title) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (platform, external_id) DO UPDATE SET kind = excluded.kind, title = excluded.title \
         RETURNING ",
        columns!()
    ))
    .bind(address.platform.code())
    .bind(&address.id)
    .bind(kind.code())
    .bind(title)
    .fetch_one(&mut *conn)
    .await
.op("chats::upsert")?;
    chat(&row)
}

pub async fn by_external(conn: &mut Conn, address: &ChatRef) -> Result<Option<Chat>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM chats WHERE platform = $1 AND external_id = $2"
    ))
    .bind(address.platform.code())
    .bind(&address.id)
    .fetch_optional(&mut *conn)
    .await
    .op("chats::by_external")?;
    row.as_ref().map(chat).transpose()
}

pub async fn bind(conn: &mut Conn, chat_id: i64, project_id: i64) -> Result<()> {
    sqlx::query("UPDATE chats SET project_id = $1, active = 1 WHERE id = $2")
        .bind(project_id)
        .bind(chat_id)
        .execute(&mut *conn)
        .await
        .op("chats::bind")?;
    Ok(())
}

pub async fn set_active(conn: &mut Conn, chat_id: i64, active: bool) -> Result<()> {
    sqlx::query("UPDATE chats SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(chat_id)
        .execute(&mut *conn)
        .await
        .op("chats::set_active")?;
    Ok(())
}

pub async fn set_locale(conn: &mut Conn, chat_id: i64, locale: Lang) -> Result<()> {
    sqlx::query("UPDATE chats SET locale = $1 WHERE id = $2")
        .bind(locale.code())
        .bind(chat_id)
        .execute(&mut *conn)
        .await
        .op("chats::set_locale")?;
    Ok(())
}

pub async fn set_leadership(conn: &mut Conn, chat_id: i64, on: bool) -> Result<()> {
    sqlx::query("UPDATE chats SET is_leadership = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(chat_id)
        .execute(&mut *conn)
        .await
        .op("chats::set_leadership")?;
    Ok(())
}

/// A group became a supergroup with a new id: the chat keeps its binding
/// under the new id. If the new id was already seen, the old row's binding
/// moves there and the old row retires.
pub async fn migrate(conn: &mut Conn, old_id: &ChatRef, new_id: &ChatRef) -> Result<Option<Chat>> {
    let Some(old) = by_external(conn, old_id).await? else {
        return Ok(None);
    };
    match by_external(conn, new_id).await? {
        // The other half of the migration (Telegram sends one message to
        // the old group and one to the new) moved this row in between.
        Some(new) if new.id == old.id => {}
        None => {
            sqlx::query("UPDATE chats SET external_id = $1, kind = $2 WHERE id = $3")
                .bind(&new_id.id)
                .bind(ChatKind::Supergroup.code())
                .bind(old.id)
                .execute(&mut *conn)
                .await
                .op("chats::migrate (rename)")?;
        }
        Some(new) => {
            sqlx::query(
                "UPDATE chats SET project_id = $1, is_leadership = $2, locale = $3, active = 1 WHERE id = $4",
            )
            .bind(old.project_id.or(new.project_id))
            .bind(i64::from(old.is_leadership || new.is_leadership))
            .bind(old.locale.or(new.locale).map(Lang::code))
            .bind(new.id)
            .execute(&mut *conn)
            .await
.op("chats::migrate (move binding)")?;
            sqlx::query(
                "UPDATE chats SET project_id = NULL, is_leadership = 0, active = 0 WHERE id = $1",
            )
            .bind(old.id)
            .execute(&mut *conn)
            .await
            .op("chats::migrate (retire old)")?;
        }
    }
    by_external(conn, new_id).await
}

/// Active chats bound to the project.
pub async fn of_project(conn: &mut Conn, project_id: i64) -> Result<Vec<Chat>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM chats WHERE project_id = $1 AND active = 1 ORDER BY id"
    ))
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await
    .op("chats::of_project")?;
    rows.iter().map(chat).collect()
}

/// The active chats subscribed to bulletins, on every platform.
pub async fn leadership(conn: &mut Conn) -> Result<Vec<Chat>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM chats WHERE is_leadership = 1 AND active = 1 ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await
    .op("chats::leadership")?;
    rows.iter().map(chat).collect()
}
