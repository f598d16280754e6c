//! The `duban` command line.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

mod cli;
mod demo;

use duban::bot::BotError;
use duban::clock::{Clock, ShiftedClock, SystemClock};
use duban::config::Settings;
use duban::domain::lang::Lang;
use duban::domain::schedule::Job;
use duban::domain::time::{ReportingWeek, parse_instant};
use duban::render::overview::{render_portfolio, render_project};
use duban::render::report::{report_echo, report_error};
use duban::render::text::t;
use duban::service::{import, portfolio, reports};
use duban::sheets::{ExportFormat, ExportScope};
use duban::store::Store;

#[derive(Parser, Debug)]
#[command(
    name = "duban",
    version,
    about = "督办: keeps projects on the schedule their owners pledged"
)]
struct Cli {
    /// Local configuration file layered over config/default.toml
    /// (default: config/local.toml when it exists).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Language of the output: zh-CN or en (default: `locale` in configuration).
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    /// The time to act as of: RFC 3339, or 'YYYY-MM-DD HH:MM' in the
    /// configured time zone (default: now).
    #[arg(long, global = true, value_name = "TIME")]
    now: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the bot (long polling) until interrupted.
    Run,
    /// Create or upgrade the database schema.
    Migrate,
    /// Import projects and pledged milestones from a pledge sheet (all or nothing).
    Import {
        /// CSV (UTF-8, UTF-16 or GBK), .xlsx, .xls or .ods, told apart by content.
        file: PathBuf,
        /// The sheet of a workbook to read (default: the first with a header row).
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
    },
    /// Write the portfolio out: FILE.xlsx the leadership workbook (projects,
    /// milestones, the last 12 weeks' reports, problems), FILE.csv the pledges
    /// in the import format (importing it again changes nothing).
    Export {
        /// Ends in .xlsx or .csv: the extension chooses the format.
        file: PathBuf,
    },
    /// Print one project's state, or the portfolio's.
    Status {
        /// Project code; all active projects when omitted.
        code: Option<String>,
        /// Instead of projects: the inbox's backlog, pending ledger claims
        /// and every update set aside as failed (exit 1 when there is one).
        #[arg(long, conflicts_with = "code")]
        health: bool,
    },
    /// Submit a weekly report received by other means, through the bot's parser.
    Report {
        /// Project code.
        code: String,
        /// File holding the report; standard input when omitted.
        #[arg(long, value_name = "F")]
        file: Option<PathBuf>,
        /// Who submitted it, as recorded in the history.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Post the week's prompt in every project group (as of --now).
    Prompt(JobArgs),
    /// Remind the owners of projects that have not reported this week.
    Nudge(JobArgs),
    /// Tell each liaison privately what is missing or overdue.
    Deadline(JobArgs),
    /// Post the weekly bulletin for the week containing --now.
    Bulletin(JobArgs),
    /// Post the monthly analysis of the month before --now.
    Monthly(JobArgs),
    /// Post the quarterly review of the quarter before --now.
    Quarterly(JobArgs),
    /// Delete handled updates older than inbox.keep_days and ledger claims
    /// older than outbox.keep_days (as of --now); what `duban run` does daily.
    Prune(JobArgs),
    /// Serve the dashboard (web.listen) from the database alone, without
    /// the bot, until interrupted.
    Web {
        /// Print a signed dashboard link for this person instead (a
        /// Telegram user id, or platform:id) and exit.
        #[arg(long, value_name = "USER_ID")]
        link_for: Option<String>,
        /// With --link-for: a link to the whole portfolio (for a leader),
        /// whatever the person's roles.
        #[arg(long, requires = "link_for")]
        whole: bool,
    },
    /// Write a consistent copy of the SQLite database to FILE, even while
    /// the bot runs (PostgreSQL: use pg_dump).
    Backup {
        /// Where the copy goes; it must not exist yet.
        file: PathBuf,
    },
    /// The whole bot offline: a sample portfolio, simulated people and
    /// a simulated Telegram or Feishu, a few weeks on a fast clock; prints
    /// the chats' transcripts.
    Demo {
        /// Reporting weeks to play (1 to 12).
        #[arg(long, default_value_t = 4)]
        weeks: u32,
        /// The simulated chat platform: telegram or feishu (飞书).
        #[arg(long, value_name = "telegram|feishu", default_value = "telegram")]
        platform: duban::domain::ids::Platform,
        /// Keep the demo's SQLite file at PATH (it must not exist yet).
        #[arg(long, value_name = "PATH")]
        keep: Option<PathBuf>,
        /// After the weeks, keep the dashboard up on web.listen and print a
        /// link to it, until Ctrl-C.
        #[arg(long)]
        serve: bool,
    },
}

#[derive(clap::Args, Debug)]
struct JobArgs {
    /// Print what would be sent instead of sending it (nothing is recorded).
    #[arg(long)]
    dry_run: bool,
}

impl Command {
    fn job(&self) -> Option<(Job, &JobArgs)> {
        Some(match self {
            Command::Prompt(a) => (Job::Prompt, a),
            Command::Nudge(a) => (Job::Nudge, a),
            Command::Deadline(a) => (Job::Deadline, a),
            Command::Bulletin(a) => (Job::Bulletin, a),
            Command::Monthly(a) => (Job::Monthly, a),
            Command::Quarterly(a) => (Job::Quarterly, a),
            Command::Prune(a) => (Job::Prune, a),
            _ => return None,
        })
    }
}

/// Exit codes: 1 for input the command refused, 2 for configuration.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("duban: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Demo {
        weeks,
        platform,
        keep,
        serve,
    } = &cli.command
    {
        let how = demo::Options {
            // The configured language unless --lang says otherwise.
            lang: settings.locale,
            settings,
            weeks: *weeks,
            platform: *platform,
            keep: keep.clone(),
            serve: *serve,
        };
        return run_demo(how, cli.lang.as_deref());
    }
    let webhook_secret = match &settings.telegram.updates {
        duban::config::Updates::Webhook(hook) => Some(&hook.secret),
        duban::config::Updates::Polling => None,
    };
    let secrets = settings
        .telegram
        .token
        .iter()
        .chain(webhook_secret)
        .chain(settings.web.secret.as_ref())
        .chain(settings.feishu.app_secret.as_ref())
        .chain(settings.feishu.encrypt_key.as_ref())
        .chain(settings.feishu.verification_token.as_ref())
        .map(|t| secrecy::ExposeSecret::expose_secret(t).to_string())
        .collect();
    duban::telemetry::init(secrets);
    if matches!(cli.command, Command::Run) {
        return run_bot(settings, cli.now.as_deref());
    }
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<Refused>() {
                Some(r) => eprintln!("{r}"),
                None => eprintln!("duban: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// The async runtime every command runs on; two workers, as the machine
/// it is built for has two cores.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("duban: cannot start the runtime: {e}");
            ExitCode::FAILURE
        })
}

/// `duban demo`: needs no token, network or database of the user's; the
/// demo brings its own.
fn run_demo(mut opts: demo::Options, lang: Option<&str>) -> ExitCode {
    demo::init_tracing();
    opts.lang = match lang.map(str::parse).transpose() {
        Ok(l) => l.unwrap_or(opts.lang),
        Err(e) => {
            eprintln!("duban: --lang: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let serve = opts.serve;
    match runtime.block_on(demo::run(opts)) {
        // With --serve the transcript was printed before the dashboard.
        Ok(_) if serve => ExitCode::SUCCESS,
        Ok(transcript) => {
            print!("{transcript}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("duban: demo: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `duban run`: exit 2 when the token is missing or refused, so a service
/// manager does not restart it in a loop. With `--now` the bot's clock
/// starts at that instant and runs on from there.
fn run_bot(settings: Settings, now: Option<&str>) -> ExitCode {
    let clock: std::sync::Arc<dyn Clock> = match now {
        None => std::sync::Arc::new(SystemClock),
        Some(s) => match parse_instant(s, settings.timezone) {
            Ok(at) => std::sync::Arc::new(ShiftedClock::starting_at(at)),
            Err(e) => {
                eprintln!("duban: --now: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async {
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let grace = settings.shutdown;
        tokio::spawn(async move {
            terminated().await;
            tracing::info!("stopping; finishing what is in hand");
            if stop.send(true).is_err() {
                tracing::debug!("the bot had stopped already");
            }
            // What is not finished by then is in the inbox or the ledger,
            // and the next start takes it up: a stop is never a failure.
            tokio::time::sleep(grace).await;
            tracing::warn!(
                secs = grace.as_secs(),
                "not stopped within shutdown_secs; exiting, the rest is left for the next start"
            );
            std::process::exit(0);
        });
        match duban::app::run(settings, clock, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(
                e @ (BotError::NoToken
                | BotError::TokenRejected
                | BotError::BadApiUrl(_)
                | BotError::Ops(_)
                | BotError::Web(_)
                | BotError::WebhookListen { .. }
                | BotError::Feishu(
                    duban::feishu::FeishuError::Config(_)
                    | duban::feishu::FeishuError::Rejected(_)
                    | duban::feishu::FeishuError::Listen { .. },
                )),
            ) => {
                eprintln!("duban: {e}");
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("duban: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be caught; Ctrl-C only");
                ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    ctrl_c().await;
}

/// Waits for Ctrl-C; where it cannot be listened for, waits for good (the
/// process is then stopped by its manager, as any other).
async fn ctrl_c() {
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %e, "Ctrl-C cannot be listened for");
        std::future::pending::<()>().await;
    }
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let lang: Lang = match &cli.lang {
        Some(l) => l.parse().map_err(|e| anyhow!("--lang: {e}"))?,
        None => settings.locale,
    };
    let now: DateTime<Utc> = match &cli.now {
        Some(s) => parse_instant(s, settings.timezone).map_err(|e| anyhow!("--now: {e}"))?,
        None => Utc::now(),
    };
    let store = Store::open(&settings.database.url, settings.database.max_connections)
        .await
        .context("opening the database")?;
    let at = At { now, lang };
    let result = match cli.command {
        Command::Run | Command::Demo { .. } => {
            Err(anyhow!("handled before the database is opened"))
        }
        Command::Migrate => {
            println!("database is up to date");
            Ok(())
        }
        Command::Import { file, sheet } => {
            import_file(&store, &settings, &file, sheet.as_deref(), at).await
        }
        Command::Export { file } => export_file(&store, &settings, &file, at).await,
        Command::Backup { file } => cli::backup(&store, &file).await,
        Command::Web {
            link_for: Some(user),
            whole,
        } => cli::web::link_for(&store, &settings, &user, whole, now).await,
        Command::Web { link_for: None, .. } => {
            let clock: std::sync::Arc<dyn Clock> = match &cli.now {
                Some(_) => std::sync::Arc::new(ShiftedClock::starting_at(now)),
                None => std::sync::Arc::new(SystemClock),
            };
            let (stop, stopped) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                terminated().await;
                if stop.send(true).is_err() {
                    tracing::debug!("the dashboard had stopped already");
                }
            });
            cli::web::serve(&store, settings, clock, stopped).await
        }
        Command::Status { health: true, .. } => {
            cli::health(&store, settings.timezone, at.lang).await
        }
        Command::Status { code, .. } => status(&store, &settings, code, at).await,
        Command::Report { code, file, by } => {
            report(&store, &settings, &code, file.as_deref(), &by, at).await
        }
        Command::Prompt(_)
        | Command::Nudge(_)
        | Command::Deadline(_)
        | Command::Bulletin(_)
        | Command::Monthly(_)
        | Command::Quarterly(_)
        | Command::Prune(_) => match cli.command.job() {
            Some((job, args)) => {
                cli::jobs::run_job(&store, settings, job, args.dry_run, now, lang).await
            }
            None => Err(anyhow!("not a job command")),
        },
    };
    store.close().await;
    result
}

/// The instant and the language a command acts in (`--now`, `--lang`).
#[derive(Clone, Copy)]
struct At {
    now: DateTime<Utc>,
    lang: Lang,
}

/// `duban import FILE`: all or nothing.
async fn import_file(
    store: &Store,
    settings: &Settings,
    file: &std::path::Path,
    sheet: Option<&str>,
    at: At,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let source = file.display().to_string();
    let tz = settings.timezone;
    match import::import_file(store, &bytes, &source, sheet, at.now, tz).await {
        Ok(summary) => {
            println!("{source}: {summary}");
            Ok(())
        }
        Err(import::ImportError::Rows(rows)) => Err(anyhow::Error::new(Refused(format!(
            "{source}: nothing imported\n{rows}"
        )))),
        Err(e) => Err(e.into()),
    }
}

/// `duban export FILE`: the format by the file's extension, any other
/// refused (exit 1) rather than guessed; the file is written only once
/// whole, from bytes made in memory.
async fn export_file(
    store: &Store,
    settings: &Settings,
    file: &std::path::Path,
    at: At,
) -> anyhow::Result<()> {
    let name = file.display().to_string();
    let Some(format) = ExportFormat::of_path(file) else {
        return Err(anyhow::Error::new(Refused(t(
            at.lang,
            "export.bad_extension",
            &[("file", name)],
        ))));
    };
    let export =
        duban::sheets::export(store, settings, &ExportScope::All, at.now, at.lang, format).await?;
    std::fs::write(file, &export.bytes).with_context(|| format!("writing {name}"))?;
    println!("{}", export.summary(&name, at.lang));
    Ok(())
}

/// `duban status [CODE]`: one project, or the portfolio a line a project.
async fn status(
    store: &Store,
    settings: &Settings,
    code: Option<String>,
    at: At,
) -> anyhow::Result<()> {
    let (policy, tz, now, lang) = (settings.policy(), settings.timezone, at.now, at.lang);
    let Some(code) = code else {
        let week = ReportingWeek::of_instant(now, tz);
        let snaps = portfolio::snapshots(store, settings, week).await?;
        println!("{}", render_portfolio(&snaps, now, tz, policy, lang));
        return Ok(());
    };
    match portfolio::project(store, settings, &code, now).await? {
        Some((snap, latest, no_dm)) => {
            println!(
                "{}",
                render_project(&snap, latest.as_ref(), &no_dm, now, tz, policy, lang)
            );
            Ok(())
        }
        None => Err(anyhow::Error::new(Refused(t(
            lang,
            "status.unknown_project",
            &[("code", code)],
        )))),
    }
}

/// `duban report CODE`: a report received by other means, through the
/// bot's parser.
async fn report(
    store: &Store,
    settings: &Settings,
    code: &str,
    file: Option<&std::path::Path>,
    by: &str,
    at: At,
) -> anyhow::Result<()> {
    let text = match file {
        Some(f) => {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        }
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the report from standard input")?;
            s
        }
    };
    let lang = at.lang;
    match reports::submit(store, settings, code, &text, by, at.now).await {
        Ok(echo) => {
            println!("{}", report_echo(&echo, lang, settings.timezone));
            Ok(())
        }
        Err(reports::SubmitError::Report(e)) => {
            Err(anyhow::Error::new(Refused(report_error(&e, lang))))
        }
        Err(reports::SubmitError::UnknownProject(code)) => Err(anyhow::Error::new(Refused(t(
            lang,
            "status.unknown_project",
            &[("code", code)],
        )))),
        Err(e) => Err(e.into()),
    }
}
