//! Files as Telegram keeps them for a bot: a document a user sends carries
//! a `file_id`; `getFile` turns it into a `file_path`, and
//! `GET /file/bot<TOKEN>/<file_path>` gives the content.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::json as tg;
use super::world::World;

/// The largest file a bot may download through the Bot API (20 MB).
pub(crate) const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;

/// A message's `document` (and its caption), the file kept for `getFile`.
pub(crate) fn document_body(
    world: &mut World,
    file_name: &str,
    bytes: &[u8],
    caption: &str,
) -> Map<String, Value> {
    let (file_id, unique_id) = world.store_file(
        Some(file_name.to_owned()),
        bytes.len(),
        Some(bytes.to_vec()),
    );
    let mut body = Map::new();
    body.insert(
        "document".into(),
        json!({
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_name": file_name,
            "mime_type": tg::mime_for(file_name),
            "file_size": bytes.len(),
        }),
    );
    if !caption.is_empty() {
        body.insert("caption".into(), json!(caption));
    }
    body
}

/// `getFile`: where to download a file, as Telegram answers; a file over
/// 20 MB is refused, as Telegram refuses it.
pub(crate) fn get_file(world: &World, p: &Map<String, Value>) -> Result<Value, ApiError> {
    let id = p
        .get("file_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("file_id not specified"))?;
    let file = world
        .files
        .get(id)
        .ok_or_else(|| ApiError::bad_request("invalid file_id"))?;
    if file.size > MAX_DOWNLOAD {
        return Err(ApiError::bad_request("file is too big"));
    }
    Ok(json!({
        "file_id": id,
        "file_unique_id": file.unique_id,
        "file_size": file.size,
        "file_path": file.path,
    }))
}

/// `GET /file/bot<TOKEN>/<file_path>` (`rest` is what follows `/file/bot`):
/// the content, or 404 as Telegram answers a wrong token or path. Clients
/// may send the path's `/` percent-encoded (teloxide pushes it as one URL
/// segment), which Telegram accepts too.
pub(crate) fn download(world: &World, token: &str, rest: &str) -> Response {
    let rest = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
    let found = rest
        .split_once('/')
        .filter(|(given, _)| *given == token)
        .and_then(|(_, path)| world.files.values().find(|f| f.path == path))
        .and_then(|f| f.bytes.clone());
    match found {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::BotIdentity;

    fn world() -> World {
        let bot = BotIdentity {
            id: 1,
            username: "bot".into(),
            first_name: "Bot".into(),
        };
        World::new(bot, 0)
    }

    #[test]
    fn a_sent_document_is_found_by_its_id_and_downloaded_by_its_path() {
        let mut w = world();
        let body = document_body(&mut w, "承诺表.xlsx", b"PK\x03\x04", "");
        let id = body["document"]["file_id"].as_str().unwrap().to_owned();
        let mut p = Map::new();
        p.insert("file_id".into(), json!(id));
        let info = get_file(&w, &p).unwrap();
        let path = info["file_path"].as_str().unwrap();
        assert!(path.ends_with(".xlsx"), "{path}");
        assert_eq!(info["file_size"], json!(4));
        let ok = download(&w, "T", &format!("T/{path}"));
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(
            download(&w, "T", &format!("X/{path}")).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            download(&w, "T", "T/documents/none").status(),
            StatusCode::NOT_FOUND
        );
        let encoded = format!("T/{}", path.replace('/', "%2F"));
        assert_eq!(download(&w, "T", &encoded).status(), StatusCode::OK);
    }

    #[test]
    fn get_file_refuses_an_unknown_id_and_a_file_over_twenty_megabytes() {
        let mut w = world();
        let mut p = Map::new();
        p.insert("file_id".into(), json!("nope"));
        assert_eq!(get_file(&w, &p).unwrap_err().code, 400);
        let (id, _) = w.store_file(Some("big.xlsx".into()), MAX_DOWNLOAD + 1, None);
        p.insert("file_id".into(), json!(id));
        let e = get_file(&w, &p).unwrap_err();
        assert!(
            e.description.contains("file is too big"),
            "{}",
            e.description
        );
    }
}
