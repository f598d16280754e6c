//! One handler a page: who asks (`access.rs`), what they may see read from
//! the store, the page rendered by `src/render/page`.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::bulletin::{ProjectSnapshot, compose_with};
use crate::domain::ids::PersonRef;
use crate::domain::indicators::{BattleMap, Filter, Judged, Light, battle_map, light};
use crate::domain::lang::Lang;
use crate::domain::model::Stage;
use crate::domain::time::ReportingWeek;
use crate::render::page::denied::Denial;
use crate::render::page::{self, Frame, STYLE};
use crate::service::portfolio;
use crate::sheets::{ExportScope, workbook};
use crate::store::{StoreError, milestones, people, reports};

use super::Web;
use super::access::{Refused, Viewer, viewer};

/// The language a request asked for (`?lang=`), else the configured one,
/// and whether the viewer sees the whole portfolio.
pub struct Asked {
    pub lang: Lang,
    pub(super) frame: Frame,
}

impl Asked {
    pub fn new(web: &Web, lang: Option<&str>, whole: bool) -> Asked {
        let lang = lang
            .and_then(|l| l.parse().ok())
            .unwrap_or(web.settings.locale);
        Asked {
            lang,
            frame: Frame { lang, whole },
        }
    }
}

pub(super) fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub fn denied(asked: &Asked, d: Denial) -> Response {
    let status = match d {
        Denial::NoLink => StatusCode::UNAUTHORIZED,
        Denial::NotYours => StatusCode::FORBIDDEN,
        Denial::NotFound => StatusCode::NOT_FOUND,
    };
    html(status, page::denied::render(&asked.frame, d))
}

/// 500, the error in the log and not on the page.
pub(super) fn failed(asked: &Asked, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "dashboard: cannot answer");
    let text = page::esc(&asked.frame.t("web.failed", &[]));
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        asked.frame.page(page::Nav::Other, &text, ""),
    )
}

/// The viewer, or the answer that refuses them.
pub(super) async fn admit(
    web: &Web,
    headers: &HeaderMap,
    lang: Option<&str>,
) -> Result<(Viewer, Asked), Response> {
    match viewer(web, headers).await {
        Ok(v) => {
            let asked = Asked::new(web, lang, v.whole());
            Ok((v, asked))
        }
        Err(Refused::Link(_)) => Err(denied(&Asked::new(web, lang, false), Denial::NoLink)),
        Err(Refused::Store(e)) => Err(failed(&Asked::new(web, lang, false), &e)),
    }
}

impl Web {
    /// What pages are judged by: the clock's instant, by the configured rules.
    fn judged(&self) -> Judged {
        Judged::at(
            self.clock.now(),
            self.settings.timezone,
            self.settings.policy(),
        )
    }
}

/// The viewer's part of the portfolio as of now, for the pages that show
/// it whole (the battle map, what is late), or the answer that refuses.
async fn visible(
    web: &Web,
    headers: &HeaderMap,
    lang: Option<&str>,
) -> Result<(Asked, Judged, Arc<Vec<ProjectSnapshot>>), Response> {
    let (v, asked) = admit(web, headers, lang).await?;
    let j = web.judged();
    match web.snapshots.get(&web.store, &web.settings, j.week).await {
        Ok(all) if v.whole() => Ok((asked, j, all)),
        Ok(all) => {
            let mine = all.iter().filter(|s| v.sees(s.project.id)).cloned();
            Ok((asked, j, Arc::new(mine.collect())))
        }
        Err(e) => Err(failed(&asked, &e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MapQuery {
    zone: Option<String>,
    chain: Option<String>,
    stage: Option<String>,
    light: Option<String>,
    lang: Option<String>,
}

impl MapQuery {
    /// An empty or unknown value filters nothing (a stale bookmark still opens).
    fn filter(&self) -> Filter {
        let given = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Filter {
            zone: given(&self.zone),
            chain: given(&self.chain),
            stage: given(&self.stage).and_then(|s| Stage::ALL.into_iter().find(|x| x.code() == s)),
            light: given(&self.light).and_then(|l| Light::from_code(&l)),
        }
    }
}

pub async fn map(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<MapQuery>,
) -> Response {
    let (asked, j, all) = match visible(&web, &headers, q.lang.as_deref()).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let distinct = |f: fn(&ProjectSnapshot) -> &String| -> Vec<String> {
        all.iter()
            .map(|s| f(s).clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let zones = distinct(|s| &s.project.zone);
    let chains = distinct(|s| &s.project.industry_chain);
    let filter = q.filter();
    let snaps: Cow<'_, [ProjectSnapshot]> = if filter == Filter::default() {
        Cow::Borrowed(&all[..])
    } else {
        let admitted = all.iter().filter(|s| filter.admits(&s.project)).cloned();
        Cow::Owned(admitted.collect())
    };
    let map = battle_map(&snaps, j);
    let bulletin = compose_with(j, web.settings.timezone, &snaps, &map);
    let view = page::map::MapView {
        as_of: j.now,
        tz: web.settings.timezone,
        snaps: &snaps,
        map: &map,
        bulletin: &bulletin,
        filter: &filter,
        zones: &zones,
        chains: &chains,
    };
    html(StatusCode::OK, page::map::render(&asked.frame, &view))
}

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    pub(super) lang: Option<String>,
}

pub async fn project(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let (v, asked) = match admit(&web, &headers, q.lang.as_deref()).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let span = tracing::info_span!("project", project = %code);
    let _enter = span.enter();
    let j = web.judged();
    match project_page(&web, &v, &asked, &code, j).await {
        Ok(res) => res,
        Err(e) => failed(&asked, &e),
    }
}

async fn project_page(
    web: &Web,
    v: &Viewer,
    asked: &Asked,
    code: &str,
    j: Judged,
) -> Result<Response, StoreError> {
    let mut conn = web.store.conn().await?;
    let Some((snap, _, _)) = portfolio::project_with(&mut conn, &web.settings, code, j.now).await?
    else {
        return Ok(denied(asked, Denial::NotFound));
    };
    if !v.sees(snap.project.id) {
        tracing::info!(person = %v.person, "refused another liaison's project");
        return Ok(denied(asked, Denial::NotYours));
    }
    let mut revisions = HashMap::new();
    for m in &snap.milestones {
        revisions.insert(m.id, milestones::revisions(&mut conn, m.id).await?);
    }
    let reports = reports::in_force_of(&mut conn, snap.project.id).await?;
    let mut names = HashMap::new();
    for p in &snap.problems {
        // An account that does not parse or is unknown shows as written.
        let Ok(account) = p.raised_by.parse::<PersonRef>() else {
            continue;
        };
        if let Some(person) = people::by_external(&mut conn, &account).await? {
            names.insert(p.raised_by.clone(), person.display_name);
        }
    }
    let lit = light(&snap, j);
    let view = page::project::ProjectView {
        as_of: j.now,
        tz: web.settings.timezone,
        today: j.today,
        warning_days: web.settings.warning_days,
        snap: &snap,
        light: &lit,
        revisions: &revisions,
        reports: &reports,
        names: &names,
    };
    Ok(html(
        StatusCode::OK,
        page::project::render(&asked.frame, &view),
    ))
}

pub async fn late(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (asked, j, snaps) = match visible(&web, &headers, q.lang.as_deref()).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let tz = web.settings.timezone;
    // The late page shows no lights or rates: nothing to judge them for.
    let b = compose_with(j, tz, &snaps, &BattleMap::default());
    html(
        StatusCode::OK,
        page::late::render(&asked.frame, &b, j.now, tz),
    )
}

/// The export workbook of what the viewer sees, as `/export` sends it.
pub async fn export(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (v, asked) = match admit(&web, &headers, q.lang.as_deref()).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let scope = match &v.projects {
        None => ExportScope::All,
        Some(ids) => {
            let mut ids: Vec<i64> = ids.iter().copied().collect();
            ids.sort_unstable();
            ExportScope::Projects(ids)
        }
    };
    let now = web.clock.now();
    match workbook(&web.store, &web.settings, &scope, now, asked.lang).await {
        Ok(bytes) => {
            let week = ReportingWeek::of_instant(now, web.settings.timezone);
            let name = format!("attachment; filename=\"duban-{week}.xlsx\"");
            let mut res = (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )],
                bytes,
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&name) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => failed(&asked, &e),
    }
}

pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

pub async fn not_found(State(web): State<Web>) -> Response {
    denied(&Asked::new(&web, None, false), Denial::NotFound)
}
