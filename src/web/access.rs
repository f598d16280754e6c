//! Who is asking: the session cookie (a signed link's token) checked, the
//! person's scope worked out afresh at every request. Opening a link sets
//! the cookie; without a valid one every page answers 401.

use std::collections::HashSet;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::ids::PersonRef;
use crate::service::links::{LinkError, Scope};
use crate::store::{StoreError, people};

use super::Web;
use super::pages::{Asked, denied};
use crate::render::page::denied::Denial;

const COOKIE: &str = "duban_session";

/// The person a request is from and what they may see.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub person: PersonRef,
    /// `None`: the whole portfolio; else the project ids of a liaison.
    pub projects: Option<HashSet<i64>>,
}

impl Viewer {
    pub fn whole(&self) -> bool {
        self.projects.is_none()
    }

    pub fn sees(&self, project_id: i64) -> bool {
        self.projects
            .as_ref()
            .is_none_or(|p| p.contains(&project_id))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Link(#[from] LinkError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The viewer of a request, from its session cookie.
pub async fn viewer(web: &Web, headers: &HeaderMap) -> Result<Viewer, Refused> {
    let token = cookie(headers).ok_or(LinkError::Missing)?;
    let grant = web.signer.verify(token, web.clock.now())?;
    if grant.scope == Scope::All || web.settings.admins.contains(&grant.person) {
        return Ok(Viewer {
            person: grant.person,
            projects: None,
        });
    }
    let mut conn = web.store.conn().await?;
    let projects = people::liaison_projects_of(&mut conn, &grant.person).await?;
    Ok(Viewer {
        person: grant.person,
        projects: Some(projects.into_iter().collect()),
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    t: Option<String>,
    lang: Option<String>,
}

/// `/login?t=TOKEN`: a valid link becomes the session cookie, kept as long
/// as the link is valid; anything else is refused like a page without one.
pub async fn login(State(web): State<Web>, Query(q): Query<LoginQuery>) -> Response {
    let asked = Asked::new(&web, q.lang.as_deref(), true);
    let now = web.clock.now();
    let Some(token) = q.t else {
        return denied(&asked, Denial::NoLink);
    };
    let grant = match web.signer.verify(&token, now) {
        Ok(g) => g,
        Err(e) => {
            tracing::info!(why = %e, "refused a link");
            return denied(&asked, Denial::NoLink);
        }
    };
    let max_age = (grant.expires - now).num_seconds().max(0);
    let secure = if web.settings.web.url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let set =
        format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    tracing::info!(person = %grant.person, "session opened");
    redirect_with(&format!("/?lang={}", asked.lang.code()), &set)
}

/// `/logout`: the cookie cleared.
pub async fn logout() -> Response {
    redirect_with(
        "/",
        &format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    )
}

fn redirect_with(to: &str, cookie: &str) -> Response {
    let mut res = (StatusCode::SEE_OTHER, "").into_response();
    let h = res.headers_mut();
    // Both are ours: a path and a token of base64url characters.
    if let (Ok(to), Ok(cookie)) = (HeaderValue::from_str(to), HeaderValue::from_str(cookie)) {
        h.insert(header::LOCATION, to);
        h.insert(header::SET_COOKIE, cookie);
    }
    res
}
