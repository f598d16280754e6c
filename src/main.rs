//! The `duban` command line.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use duban::bot::BotError;
use duban::clock::SystemClock;
use duban::config::Settings;
use duban::domain::bulletin::render;
use duban::domain::lang::Lang;
use duban::domain::overview::{render_portfolio, render_project};
use duban::domain::text::{report_echo, report_error, t};
use duban::domain::time::{ReportingWeek, parse_instant};
use duban::service::{import, portfolio, reports};
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
    /// Import projects and pledged milestones from a CSV file (all or nothing).
    Import {
        /// UTF-8 CSV, with or without a byte-order mark.
        file: PathBuf,
    },
    /// Print one project's state, or the portfolio's.
    Status {
        /// Project code; all active projects when omitted.
        code: Option<String>,
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
    /// Compose the weekly bulletin for the week containing --now.
    Bulletin {
        /// Print it instead of posting it.
        #[arg(long)]
        dry_run: bool,
    },
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
    duban::telemetry::init();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("duban: {e}");
            return ExitCode::from(2);
        }
    };
    if matches!(cli.command, Command::Run) {
        return run_bot(settings);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("duban: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
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

/// `duban run`: exit 2 when the token is missing or refused, so a service
/// manager does not restart it in a loop.
fn run_bot(settings: Settings) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("duban: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("interrupted; finishing what is in hand");
                let _ = stop.send(true);
            }
        });
        match duban::app::run(settings, std::sync::Arc::new(SystemClock), shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e @ (BotError::NoToken | BotError::TokenRejected | BotError::BadApiUrl(_))) => {
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

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let lang: Lang = match &cli.lang {
        Some(l) => l.parse().map_err(|e| anyhow!("--lang: {e}"))?,
        None => settings.locale,
    };
    let tz = settings.timezone;
    let now: DateTime<Utc> = match &cli.now {
        Some(s) => parse_instant(s, tz).map_err(|e| anyhow!("--now: {e}"))?,
        None => Utc::now(),
    };
    let store = Store::open(&settings.database.url, settings.database.max_connections)
        .await
        .context("opening the database")?;
    let result = match cli.command {
        Command::Run => unreachable!("handled before the database is opened"),
        Command::Migrate => {
            println!("database is up to date");
            Ok(())
        }
        Command::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let source = file.display().to_string();
            match import::import_csv(&store, &bytes, &source, now, tz).await {
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
        Command::Status { code } => {
            let policy = settings.policy();
            match code {
                Some(code) => match portfolio::project(&store, &settings, &code, now).await? {
                    Some((snap, latest)) => {
                        println!(
                            "{}",
                            render_project(&snap, latest.as_ref(), now, tz, policy, lang)
                        );
                        Ok(())
                    }
                    None => Err(anyhow::Error::new(Refused(t(
                        lang,
                        "status.unknown_project",
                        &[("code", code)],
                    )))),
                },
                None => {
                    let week = ReportingWeek::of_instant(now, tz);
                    let snaps = portfolio::snapshots(&store, &settings, week).await?;
                    println!("{}", render_portfolio(&snaps, now, tz, policy, lang));
                    Ok(())
                }
            }
        }
        Command::Report { code, file, by } => {
            let text = match file {
                Some(f) => std::fs::read_to_string(&f)
                    .with_context(|| format!("reading {}", f.display()))?,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("reading the report from standard input")?;
                    s
                }
            };
            match reports::submit(&store, &settings, &code, &text, &by, now).await {
                Ok(echo) => {
                    println!("{}", report_echo(&echo, lang, tz));
                    Ok(())
                }
                Err(reports::SubmitError::Report(e)) => {
                    Err(anyhow::Error::new(Refused(report_error(&e, lang))))
                }
                Err(reports::SubmitError::UnknownProject(code)) => Err(anyhow::Error::new(
                    Refused(t(lang, "status.unknown_project", &[("code", code)])),
                )),
                Err(e) => Err(e.into()),
            }
        }
        Command::Bulletin { dry_run } => {
            if !dry_run {
                bail!(
                    "posting the bulletin needs the chat connection, which this build does not have yet; use --dry-run to print it"
                );
            }
            let b = portfolio::bulletin(&store, &settings, now).await?;
            println!("{}", render(&b, lang, tz));
            Ok(())
        }
    };
    store.close().await;
    result
}
