//! `duban demo`: the real bot and scheduler on a fresh SQLite file, against
//! a local simulator of the chat platform (Telegram's Bot API, `tgsim`, or
//! Feishu's open platform, `feishusim`: see [`stage`]), with a sample
//! portfolio and simulated people, on a clock that runs a few weeks in
//! seconds. One script and one transcript serve both platforms.
//!
//! The demo moves the clock from one moment of the script to the next. At
//! each, it first lets the scheduler run what is due (it knows the
//! scheduler is done when it goes back to sleep, see [`clock`]), then plays
//! what people do at that moment, chat by chat, waiting for the bot's
//! answer to each message before the next. Nothing waits on wall time, so a
//! slow machine gives the same transcript, only later.

pub mod clock;
mod play;
mod script;
mod stage;
#[cfg(test)]
mod tests;
mod timeline;
pub mod transcript;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use duban::bot::BotError;
use duban::config::Settings;
use duban::domain::ids::{PersonRef, Platform};
use duban::domain::lang::Lang;
use duban::domain::time::local_to_utc;
use duban::service::import;
use duban::service::links::Scope;
use duban::store::Store;

use clock::DemoClock;
use play::Demo;
use stage::{Stage, StageError};
use timeline::timeline;
pub use transcript::{ChatLog, ChatRole, Line, Transcript};

/// How long one answer of the bot may take before the demo notes it and
/// moves on. Generous: a busy machine is slow, not broken.
const WAIT: Duration = Duration::from_secs(20);

pub const MAX_WEEKS: u32 = 12;

/// The demo starts on Sunday evening, before the first Monday prompt; the
/// portfolio's dates are written for this day.
fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("a valid date")
}

pub struct Options {
    /// The configuration to run with: its time zone, schedules and
    /// thresholds are used; the database, Telegram, people and chats are
    /// the demo's own.
    pub settings: Settings,
    /// How many reporting weeks to play.
    pub weeks: u32,
    /// The bot's language, and the one the simulated people write in.
    pub lang: Lang,
    /// The simulated chat platform the demo plays on.
    pub platform: Platform,
    /// Keep the SQLite file at this path (which must not exist yet)
    /// instead of a temporary one removed at the end.
    pub keep: Option<PathBuf>,
    /// After the weeks, print the transcript and keep the dashboard up
    /// (on `web.listen`) with a link to it, until Ctrl-C.
    pub serve: bool,
}

/// Logs at `warn` unless `RUST_LOG` says otherwise, so the transcript on
/// stdout is not buried in the bot's routine `info` lines; sqlx's
/// slow-statement warnings only say the machine is busy.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Plays the demo and returns what the chats saw.
pub async fn run(opts: Options) -> anyhow::Result<Transcript> {
    let started = std::time::Instant::now();
    if !(1..=MAX_WEEKS).contains(&opts.weeks) {
        bail!("--weeks must be between 1 and {MAX_WEEKS}");
    }
    let Options {
        mut settings,
        weeks,
        lang,
        platform,
        keep,
        serve,
    } = opts;
    if !serve {
        // The demo holds no port unless it is to show the dashboard.
        settings.web.listen = None;
    }
    let tz = settings.timezone;
    let first_monday = script::next_monday(start_date());
    let start = at_local(start_date(), 20, 0, tz)?;

    let db = DbFile::new(keep)?;
    settings.database.url = format!("sqlite://{}", db.path.display());
    import_portfolio(&settings.database.url, lang, start, tz).await?;

    let stage = Stage::start(platform, lang).await?;
    stage.set_now(start);
    if let Err(e) = point_at(&mut settings, &stage, lang) {
        stage.stop().await;
        return Err(e.into());
    }

    let clock = DemoClock::new(start);
    let bot = match RunningBot::start(&settings, &stage, &clock).await {
        Ok(bot) => bot,
        Err(e) => {
            stage.stop().await;
            return Err(e);
        }
    };
    let demo = Demo::new(stage.clone(), clock, lang, tz, first_monday);
    let in_leadership = stage.needs_bot_in_leadership_chat();
    let (steps, until) = timeline(&settings, first_monday, start, weeks, in_leadership)?;
    for (at, beats) in steps {
        demo.step(at, &beats).await;
    }

    let mut transcript = demo.transcript(start, until, weeks);
    transcript.elapsed_secs = started.elapsed().as_secs_f64();
    if serve {
        print!("{transcript}");
        let admin = stage.person(&script::ADMIN);
        serve_until_interrupted(&settings, &admin, until).await?;
    }
    bot.stop().await;
    stage.stop().await;
    drop(db);
    Ok(transcript)
}

/// Prints a link to the running bot's dashboard for the demo's admin, and
/// waits for Ctrl-C.
async fn serve_until_interrupted(
    settings: &Settings,
    admin: &PersonRef,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(addr) = settings.web.listen else {
        bail!("--serve needs web.listen (it is empty)");
    };
    let store = Store::open(&settings.database.url, 1).await?;
    let signer = duban::service::links::signer(&mut *store.conn().await?, settings).await?;
    store.close().await;
    let link = duban::service::links::link(&signer, settings, admin, Scope::All, now);
    println!(
        "\nThe dashboard is up on http://{addr}; open (as the demo's admin):\n{}\nCtrl-C ends the demo.",
        link.url
    );
    if let Err(e) = tokio::signal::ctrl_c().await {
        bail!("Ctrl-C cannot be listened for: {e}");
    }
    Ok(())
}

/// Fills the fresh database with the sample portfolio, as an office would.
async fn import_portfolio(
    url: &str,
    lang: Lang,
    start: DateTime<Utc>,
    tz: Tz,
) -> anyhow::Result<()> {
    let store = Store::open(url, 1)
        .await
        .context("creating the demo database")?;
    let csv = script::portfolio_csv(lang);
    let imported = import::import_csv(&store, csv.as_bytes(), "demo portfolio", start, tz).await;
    store.close().await;
    imported.context("importing the demo portfolio")?;
    Ok(())
}

/// Points the bot at the simulator and gives the script's people their
/// roles, as the platform knows them.
fn point_at(settings: &mut Settings, stage: &Stage, lang: Lang) -> Result<(), StageError> {
    settings.locale = lang;
    stage.point_at(settings)?;
    settings.admins = vec![stage.person(&script::ADMIN)];
    settings.liaisons = [&script::ZHANG, &script::LI_NA, &script::WANG_QIANG]
        .into_iter()
        .map(|p| stage.person(p))
        .collect();
    // Subscribed in the chat, on screen.
    settings.leadership_chats = Vec::new();
    Ok(())
}

/// The real bot, running on the demo's clock until told to stop.
struct RunningBot {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), BotError>>,
}

impl RunningBot {
    /// Returns once the bot listens to the simulator and the scheduler
    /// sleeps, so that the first step finds it ready.
    async fn start(settings: &Settings, stage: &Stage, clock: &DemoClock) -> anyhow::Result<Self> {
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(duban::app::run(
            settings.clone(),
            Arc::new(clock.clone()),
            shutdown,
        ));
        if !stage.ready(WAIT).await || !clock.wait_idle(WAIT).await {
            let _ = stop.send(true);
            let outcome = task.await;
            bail!("the bot did not start: {outcome:?}");
        }
        Ok(RunningBot { stop, task })
    }

    /// A bot that fails to stop cleanly only costs a warning: the
    /// transcript is already complete.
    async fn stop(self) {
        let _ = self.stop.send(true);
        match tokio::time::timeout(WAIT, self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the bot stopped with an error"),
            Ok(Err(e)) => tracing::warn!(error = %e, "the bot task failed"),
            Err(_) => tracing::warn!("the bot did not stop in time"),
        }
    }
}

fn at_local(day: NaiveDate, hour: u32, minute: u32, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).context("a time of day")?;
    local_to_utc(day.and_time(time), tz).with_context(|| format!("{day} {time} in {tz}"))
}

/// The SQLite file: a fresh one in a temporary folder removed afterwards,
/// or the one the user asked to keep.
struct DbFile {
    path: PathBuf,
    temp_dir: Option<PathBuf>,
}

impl DbFile {
    fn new(keep: Option<PathBuf>) -> anyhow::Result<DbFile> {
        if let Some(path) = keep {
            if path.exists() {
                bail!(
                    "{} exists already; the demo starts from a fresh database",
                    path.display()
                );
            }
            return Ok(DbFile {
                path,
                temp_dir: None,
            });
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("duban-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the temporary folder {}", dir.display()))?;
        Ok(DbFile {
            path: dir.join("duban.db"),
            temp_dir: Some(dir),
        })
    }
}

impl Drop for DbFile {
    fn drop(&mut self) {
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
