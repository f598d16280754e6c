//! Submitting a weekly report: parse, check against the pledge, record, echo.
//! The command line and the bot both come through here.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::ids::ChatRef;
use crate::domain::model::{Project, RecordedProblem, ReportEcho};
use crate::domain::report::{ReportError, parse_report, resolve_done};
use crate::domain::schedule::report_deadline;
use crate::domain::time::{ReportingWeek, local_date};
use crate::store::{Conn, Op, Store, StoreError, milestones, problems, projects, reports};

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("no project with code {0}")]
    UnknownProject(String),
    #[error("project {0} is archived")]
    Archived(String),
    #[error("{0} reports were sent this week already")]
    TooManyReports(usize),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Corrections a project may send in one week: enough for any honest use,
/// few enough that a loop or a prank cannot fill the history.
pub const MAX_REPORTS_PER_WEEK: usize = 20;

/// Records `text` as project `code`'s report for the week containing `now`,
/// in a transaction of its own. Nothing is written unless all of it is valid.
pub async fn submit(
    store: &Store,
    settings: &Settings,
    code: &str,
    text: &str,
    submitted_by: &str,
    now: DateTime<Utc>,
) -> Result<ReportEcho, SubmitError> {
    let mut tx = store.begin().await?;
    let echo = submit_with(&mut tx, settings, code, text, submitted_by, now).await?;
    tx.commit().await.op("service::reports::submit (commit)")?;
    Ok(echo)
}

/// Whose report it is: a project code from the command line, or the
/// project the chat already read in the same transaction (no second look-up).
pub enum Whose<'a> {
    Code(&'a str),
    Project(&'a Project),
}

/// A report as it reaches the service.
pub struct Submission<'a> {
    pub whose: Whose<'a>,
    pub text: &'a str,
    pub submitted_by: &'a str,
    pub now: DateTime<Utc>,
    /// The week it reports on: the week of `now` unless it answers an
    /// earlier week's prompt.
    pub week: Option<ReportingWeek>,
    /// The message it came in, so an edit of that message corrects it.
    pub source: Option<(&'a ChatRef, i64)>,
}

/// As [`submit`], inside the caller's transaction (the bot commits it with
/// the update that carried the report).
pub async fn submit_with(
    tx: &mut Conn,
    settings: &Settings,
    code: &str,
    text: &str,
    submitted_by: &str,
    now: DateTime<Utc>,
) -> Result<ReportEcho, SubmitError> {
    let s = Submission {
        whose: Whose::Code(code),
        text,
        submitted_by,
        now,
        week: None,
        source: None,
    };
    submit_in(tx, settings, &s).await
}

/// Records a submission inside the caller's transaction.
pub async fn submit_in(
    tx: &mut Conn,
    settings: &Settings,
    s: &Submission<'_>,
) -> Result<ReportEcho, SubmitError> {
    let (text, submitted_by, now) = (s.text, s.submitted_by, s.now);
    let tz = settings.timezone;
    let parsed = parse_report(text)?;
    let project = match s.whose {
        Whose::Project(p) => p.clone(),
        Whose::Code(code) => projects::by_code(&mut *tx, code)
            .await?
            .ok_or_else(|| SubmitError::UnknownProject(code.to_string()))?,
    };
    if !project.active {
        return Err(SubmitError::Archived(project.code));
    }
    let pledged = milestones::of_project(&mut *tx, project.id).await?;
    let done = resolve_done(&parsed, &pledged, local_date(now, tz))?;

    let week = s.week.unwrap_or_else(|| ReportingWeek::of_instant(now, tz));
    let (sent, replaced) = reports::of_week(&mut *tx, project.id, week).await?;
    if sent >= MAX_REPORTS_PER_WEEK as i64 {
        return Err(SubmitError::TooManyReports(MAX_REPORTS_PER_WEEK));
    }
    let deadline = report_deadline(&settings.deadline, tz, week);
    let late = deadline.is_some_and(|d| now > d);
    if let Some(old) = replaced {
        reports::retire(&mut *tx, old).await?;
    }
    let report_id = reports::insert(
        &mut *tx,
        &reports::NewReport {
            project_id: project.id,
            week,
            submitted_at: now,
            submitted_by,
            late,
            parsed: &parsed,
            raw: text,
            source: s.source,
        },
    )
    .await?;
    for (milestone_id, d) in &done {
        reports::add_done(&mut *tx, report_id, *milestone_id, d).await?;
        milestones::set_actual(&mut *tx, *milestone_id, d.date, now).await?;
    }
    if let Some(old) = replaced {
        problems::withdraw_unrepeated(&mut *tx, old, &parsed.problems).await?;
    }
    let recorded = record_problems(
        &mut *tx,
        project.id,
        report_id,
        &parsed.problems,
        submitted_by,
        now,
    )
    .await?;
    tracing::info!(project = %project.code, %week, report_id, late, replaced = replaced.is_some(), "report recorded");
    Ok(ReportEcho {
        code: project.code,
        name: project.name,
        week,
        submitted_at: now,
        replaced: replaced.is_some(),
        late_after: deadline.filter(|_| late),
        parsed,
        done: done.into_iter().map(|(_, d)| d).collect(),
        problems: recorded,
    })
}

/// The report's problems, each once: one already open is not recorded again.
async fn record_problems(
    tx: &mut Conn,
    project_id: i64,
    report_id: i64,
    texts: &[String],
    submitted_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<RecordedProblem>, SubmitError> {
    let mut recorded = Vec::new();
    for text in dedup(texts) {
        let entry = match problems::open_with_text(&mut *tx, project_id, text).await? {
            Some(problem) => RecordedProblem {
                problem,
                already_open: true,
            },
            None => RecordedProblem {
                problem: problems::insert(
                    &mut *tx,
                    project_id,
                    text,
                    submitted_by,
                    now,
                    Some(report_id),
                )
                .await?,
                already_open: false,
            },
        };
        recorded.push(entry);
    }
    Ok(recorded)
}

/// The problems of one report, each once, in the order written.
fn dedup(items: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i.as_str()) {
            out.push(i);
        }
    }
    out
}
