//! `duban prompt`, `nudge`, …, `prune`: a job run by hand, and what it did.

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};

use duban::config::Settings;
use duban::domain::lang::Lang;
use duban::domain::rhythm::RunCtx;
use duban::domain::schedule::{Job, period};
use duban::domain::time::local_date;
use duban::jobs::{JobDeps, Outcome, run_once};
use duban::render::bulletin::render;
use duban::render::html::html_to_plain;
use duban::service::portfolio;
use duban::store::Store;

/// A job by hand, through the same ledger as the scheduler: what was sent
/// already (by either) is not sent again.
pub async fn run_job(
    store: &Store,
    mut settings: Settings,
    job: Job,
    dry_run: bool,
    now: DateTime<Utc>,
    lang: Lang,
) -> anyhow::Result<()> {
    settings.locale = lang;
    let tz = settings.timezone;
    if dry_run && job == Job::Bulletin {
        // The bulletin itself, whether or not a leadership chat is configured.
        let b = portfolio::bulletin(store, &settings, now).await?;
        println!("{}", render(&b, lang, tz));
        return Ok(());
    }
    let deps = JobDeps {
        store: store.clone(),
        settings: std::sync::Arc::new(settings),
        owner: duban::app::instance_id(),
        hooks: Default::default(),
    };
    if !job.sends() {
        // Housekeeping needs no chat platform, and its dry run counts.
        let pruned = duban::jobs::prune::run(&deps, now, dry_run).await?;
        let day = period(job, local_date(now, tz));
        let verb = if dry_run {
            "would be deleted (dry run)"
        } else {
            "deleted"
        };
        println!(
            "{} {day}: {} handled update(s) and {} ledger claim(s) {verb}",
            job.name(),
            pruned.inbox,
            pruned.outbox
        );
        return Ok(());
    }
    if dry_run && matches!(job, Job::Monthly | Job::Quarterly) {
        let ctx = RunCtx {
            now,
            tz,
            policy: deps.settings.policy(),
            lang,
            late: false,
        };
        let period = period(job, local_date(now, tz));
        let mut conn = store.conn().await?;
        match duban::jobs::analysis::text(&mut conn, &deps, job, &period, ctx).await? {
            Some(text) => println!("{}", html_to_plain(&text)),
            None => println!("{} {period}: nothing to analyse", job.name()),
        }
        return Ok(());
    }
    let outcome = if dry_run {
        run_once(&deps, None, job, now, now, false).await?
    } else {
        let (_keep, mut shutdown) = tokio::sync::watch::channel(false);
        let connected = duban::bot::connect(&deps.settings, &mut shutdown)
            .await?
            .ok_or_else(|| anyhow!("stopped before Telegram answered"))?;
        let messenger = connected.messenger(store.clone());
        run_once(&deps, Some(&messenger), job, now, now, false).await?
    };
    print_outcome(&outcome, dry_run)
}

/// What a job run did, a line a message for a dry run; an error when some
/// message could not be delivered.
fn print_outcome(outcome: &Outcome, dry_run: bool) -> anyhow::Result<()> {
    if let Some(why) = &outcome.skipped {
        println!(
            "{} {}: nothing to send ({why})",
            outcome.job, outcome.period
        );
        return Ok(());
    }
    if dry_run {
        for p in &outcome.planned {
            let text = html_to_plain(&p.out.text);
            match &p.out.picture {
                Some(f) => println!(
                    "→ {} (picture {}, {} KiB)\n{text}\n",
                    p.chat_key,
                    f.file_name,
                    f.bytes.len().div_ceil(1024)
                ),
                None => println!("→ {}\n{text}\n", p.chat_key),
            }
        }
        println!(
            "{} {}: {} message(s) would be sent (dry run)",
            outcome.job,
            outcome.period,
            outcome.planned.len()
        );
    } else {
        println!(
            "{} {}: {} sent, {} via group mention, {} already sent, {} failed",
            outcome.job,
            outcome.period,
            outcome.sent,
            outcome.redirected,
            outcome.already,
            outcome.failed
        );
    }
    if outcome.failed > 0 {
        bail!(
            "{} message(s) could not be delivered; they will be retried once by `duban run`",
            outcome.failed
        );
    }
    Ok(())
}
