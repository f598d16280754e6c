//! Images and files (../shared/feishu-wire-format.md §6): multipart
//! uploads with Feishu's limits and codes, and downloads of the resources
//! a message carries, as bytes with a `Content-Disposition` naming them.

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{self, ApiError};
use crate::http::{answer, authorize, query_param, refuse};
use crate::world::{FileKind, Place, StoredFile, World};
use crate::{Inner, ids};

const MAX_IMAGE: usize = 10 * 1024 * 1024;
const MAX_FILE: usize = 30 * 1024 * 1024;

/// `file_type` values the file upload accepts.
const FILE_TYPES: [&str; 7] = ["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"];

/// One multipart field.
struct Part {
    name: String,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

fn param() -> ApiError {
    ApiError::new(400, 234001, "Invalid request param.")
}

fn too_large() -> ApiError {
    ApiError::new(400, 234006, "The file size exceeds the limit.")
}

fn empty() -> ApiError {
    ApiError::new(400, 234010, "File's size can't be 0.")
}

async fn parts(req: Request) -> Result<Vec<Part>, ApiError> {
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|_| param())?;
    let mut parts = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(parts),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(param()),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                param()
            }
        })?;
        parts.push(Part {
            name,
            file_name,
            bytes: bytes.to_vec(),
        });
    }
}

fn text_field<'a>(parts: &'a [Part], name: &str) -> Option<&'a str> {
    parts
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| std::str::from_utf8(&p.bytes).ok())
}

/// The image formats Feishu takes, by their magic bytes.
pub(crate) fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
        || (bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP")
        || bytes.starts_with(b"BM")
}

/// Runs an upload: the token, a queued fault, the parts, then `check`.
async fn upload(
    inner: Arc<Inner>,
    req: Request,
    check: fn(&mut World, Vec<Part>) -> Result<Value, ApiError>,
) -> Response {
    let path = req.uri().path().to_owned();
    let result = async {
        authorize(&inner, &req)?;
        if let Some(fault) = inner.mutate(|w| w.faults.pop_front()) {
            return Err(fault.into());
        }
        let parts = parts(req).await?;
        inner.mutate(|w| check(w, parts))
    }
    .await;
    answer(&inner, &path, result)
}

/// `POST /open-apis/im/v1/images`: `image_type=message|avatar` and `image`.
pub(crate) async fn upload_image(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    upload(inner, req, store_image).await
}

fn store_image(w: &mut World, mut parts: Vec<Part>) -> Result<Value, ApiError> {
    if !matches!(text_field(&parts, "image_type"), Some("message" | "avatar")) {
        return Err(param());
    }
    let at = parts
        .iter()
        .position(|p| p.name == "image")
        .ok_or_else(param)?;
    let image = parts.swap_remove(at);
    if image.bytes.is_empty() {
        return Err(empty());
    }
    if image.bytes.len() > MAX_IMAGE {
        return Err(too_large());
    }
    if !is_image(&image.bytes) {
        return Err(ApiError::new(400, 234011, "Can't recognize image format."));
    }
    let key = ids::id("img_v2_");
    w.files.insert(
        key.clone(),
        StoredFile {
            kind: FileKind::Image,
            name: image.file_name,
            bytes: image.bytes,
        },
    );
    Ok(json!({ "image_key": key }))
}

/// `POST /open-apis/im/v1/files`: `file_type`, `file_name`, `duration`?
/// and `file`.
pub(crate) async fn upload_file(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    upload(inner, req, store_file).await
}

fn store_file(w: &mut World, mut parts: Vec<Part>) -> Result<Value, ApiError> {
    let file_type = text_field(&parts, "file_type").unwrap_or("");
    if !FILE_TYPES.contains(&file_type) {
        return Err(param());
    }
    let name = text_field(&parts, "file_name")
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(param)?;
    let at = parts
        .iter()
        .position(|p| p.name == "file")
        .ok_or_else(param)?;
    let file = parts.swap_remove(at);
    if file.bytes.is_empty() {
        return Err(empty());
    }
    if file.bytes.len() > MAX_FILE {
        return Err(too_large());
    }
    let key = ids::id("file_v2_");
    w.files.insert(
        key.clone(),
        StoredFile {
            kind: FileKind::File,
            name: Some(name),
            bytes: file.bytes,
        },
    );
    Ok(json!({ "file_key": key }))
}

/// `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=…`:
/// only a key the message carries, and only while the bot is in its chat.
pub(crate) async fn download(
    State(inner): State<Arc<Inner>>,
    Path((message_id, file_key)): Path<(String, String)>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    let found = authorize(&inner, &req).and_then(|()| {
        let kind = query_param(req.uri(), "type");
        if !matches!(kind.as_deref(), Some("image" | "file")) {
            return Err(ApiError::new(400, 234001, "Invalid request param: type."));
        }
        inner.with(|w| resource(w, &message_id, &file_key))
    });
    match found {
        Ok((name, bytes)) => bytes_response(&name, bytes),
        Err(e) => refuse(&inner, &path, e),
    }
}

/// (file name, bytes) of a message's resource.
fn resource(w: &World, message_id: &str, key: &str) -> Result<(String, Vec<u8>), ApiError> {
    let not_in_message = || ApiError::new(400, 234003, "File not in msg.");
    let message = w.messages.get(message_id).ok_or_else(not_in_message)?;
    if !message.resources.iter().any(|k| k == key) {
        return Err(not_in_message());
    }
    if let Place::Group(chat_id) = &message.place
        && w.groups.get(chat_id).is_none_or(|g| !g.bot_member)
    {
        return Err(ApiError::new(400, 234004, "App not in chat."));
    }
    let file = w.files.get(key).ok_or_else(not_in_message)?;
    let name = file.name.clone().unwrap_or_else(|| key.to_owned());
    Ok((name, file.bytes.clone()))
}

fn bytes_response(name: &str, bytes: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    error::with_log_id(response)
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`: the
/// plain form for old parsers, the encoded one for the real name.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_by_their_magic_bytes() {
        assert!(is_image(b"\x89PNG\r\n\x1a\n...."));
        assert!(is_image(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(is_image(b"GIF89a..."));
        assert!(is_image(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(is_image(b"BM...."));
        assert!(!is_image(b"%PDF-1.7"));
        assert!(!is_image(b"RIFF\0\0\0\0WAVE"));
    }

    #[test]
    fn a_chinese_file_name_is_percent_encoded_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("周报 v2.xlsx"),
            "attachment; filename=\"__ v2.xlsx\"; filename*=UTF-8''%E5%91%A8%E6%8A%A5%20v2.xlsx"
        );
    }
}
