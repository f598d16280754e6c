//! The error half of a Bot API answer: `{"ok":false,"error_code":…}`.

use serde_json::{Value, json};

/// A refused call. Always answered with a 4xx status (a 5xx makes teloxide
/// sleep 10 s before it even reads the body).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    /// Telegram's `ResponseParameters`; teloxide reads it as an externally
    /// tagged enum, so it must hold exactly one key.
    pub parameters: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        ApiError {
            code,
            description: description.into(),
            parameters: None,
        }
    }

    pub fn bad_request(what: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", what.as_ref()))
    }

    pub fn forbidden(what: impl AsRef<str>) -> Self {
        Self::new(403, format!("Forbidden: {}", what.as_ref()))
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    pub fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub fn method_not_found() -> Self {
        Self::new(404, "Not Found: method not found")
    }

    pub fn not_supported() -> Self {
        Self::bad_request("method not supported by the simulator")
    }

    pub fn chat_not_found() -> Self {
        Self::bad_request("chat not found")
    }

    pub fn too_many_requests(retry_after: u32) -> Self {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            parameters: Some(json!({ "retry_after": retry_after })),
        }
    }

    pub fn migrated(to: i64) -> Self {
        ApiError {
            code: 400,
            description: "Bad Request: group chat was upgraded to a supergroup chat".into(),
            parameters: Some(json!({ "migrate_to_chat_id": to })),
        }
    }

    pub fn conflict_other_poll() -> Self {
        Self::new(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot \
             instance is running",
        )
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(p) = &self.parameters {
            body["parameters"] = p.clone();
        }
        body
    }
}
