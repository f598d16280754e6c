//! The messages jobs posted, read back from the outbox ledger: the list,
//! one message with its chart, and the picture a bulletin was posted with.
//! They are the whole portfolio's: leadership and admins only.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::outgoing::{Outgoing, Posted};
use crate::domain::schedule::Job;
use crate::render::analysis::trend_picture;
use crate::render::page::{self, denied::Denial};
use crate::service::portfolio;
use crate::store::{StoreError, outbox};

use super::Web;
use super::pages::{Asked, LangQuery, admit, denied, failed, html};

const POSTED: [Job; 3] = [Job::Bulletin, Job::Monthly, Job::Quarterly];

async fn posted(web: &Web, job: Job) -> Result<Vec<Posted>, StoreError> {
    outbox::posted(&mut *web.store.conn().await?, job).await
}

/// The viewer if they see the whole portfolio, else the refusal.
async fn leadership(web: &Web, headers: &HeaderMap, lang: Option<&str>) -> Result<Asked, Response> {
    let (v, asked) = admit(web, headers, lang).await?;
    if v.whole() {
        Ok(asked)
    } else {
        Err(denied(&asked, Denial::NotYours))
    }
}

pub async fn posts(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let asked = match leadership(&web, &headers, q.lang.as_deref()).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let mut lists = Vec::new();
    for job in POSTED {
        match posted(&web, job).await {
            Ok(rows) => lists.push((job, rows)),
            Err(e) => return failed(&asked, &e),
        }
    }
    html(
        StatusCode::OK,
        page::posts::list(&asked.frame, &lists, web.settings.timezone),
    )
}

/// One posted message, with its chart: the analyses' rates week by week
/// drawn again as SVG (they are rebuilt from history, as posted), the
/// bulletin's picture as it was posted (a week's lights are not kept).
pub async fn post(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((job, period)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Response {
    let asked = match leadership(&web, &headers, q.lang.as_deref()).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let Some(job) = POSTED.into_iter().find(|j| j.name() == job) else {
        return denied(&asked, Denial::NotFound);
    };
    let rows = match posted(&web, job).await {
        Ok(rows) => rows,
        Err(e) => return failed(&asked, &e),
    };
    let Some(p) = rows.iter().find(|p| p.period == period) else {
        return denied(&asked, Denial::NotFound);
    };
    let chart = match figure(&web, &asked, p).await {
        Ok(chart) => chart,
        Err(e) => return failed(&asked, &e),
    };
    html(
        StatusCode::OK,
        page::posts::one(&asked.frame, p, web.settings.timezone, chart.as_deref()),
    )
}

async fn figure(web: &Web, asked: &Asked, p: &Posted) -> Result<Option<String>, StoreError> {
    let mut conn = web.store.conn().await?;
    if p.job == Job::Bulletin {
        let picture = outbox::posted_picture(&mut conn, p.job, &p.period).await?;
        return Ok(picture.map(|_| {
            page::posts::picture(
                &asked.frame,
                &format!("/posts/{}/{}/picture.png", p.job.name(), p.period),
            )
        }));
    }
    let analysis =
        portfolio::analysis(&mut conn, &web.settings, &p.period, web.clock.now()).await?;
    Ok(analysis
        .and_then(|a| trend_picture(&a, asked.lang))
        .map(|c| c.svg))
}

/// The picture a message was posted with, as its chat received it.
pub async fn picture(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((job, period)): Path<(String, String)>,
) -> Response {
    let asked = match leadership(&web, &headers, None).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let Some(job) = POSTED.into_iter().find(|j| j.name() == job) else {
        return denied(&asked, Denial::NotFound);
    };
    let payload = match web.store.conn().await {
        Ok(mut conn) => outbox::posted_picture(&mut conn, job, &period).await,
        Err(e) => Err(e),
    };
    let picture = match payload {
        Ok(Some(payload)) => serde_json::from_str::<Outgoing>(&payload)
            .ok()
            .and_then(|out| out.picture),
        Ok(None) => None,
        Err(e) => return failed(&asked, &e),
    };
    match picture {
        Some(file) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "image/png")],
            file.bytes,
        )
            .into_response(),
        None => denied(&asked, Denial::NotFound),
    }
}
