//! Settings and their layering: `config/default.toml`, then a local file
//! (`--config PATH`, or `config/local.toml` if present), then environment
//! variables `DUBAN__SECTION__KEY`. Every value is checked at start-up and a
//! bad one is reported with its key.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use config::{Config, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::bulletin::Policy;
use crate::domain::calendar::WorkCalendar;
use crate::domain::ids::{ChatRef, IdError, PersonRef};
use crate::domain::lang::Lang;
use crate::domain::schedule::Job;

mod feishu;
mod sections;
#[cfg(test)]
mod tests;

pub use feishu::{FeishuMode, FeishuSettings, GroupMessages};
pub use sections::{
    DatabaseSettings, InboxSettings, OpsSettings, Retention, TelegramSettings, Updates,
    WebSettings, WebhookSettings,
};
use sections::{
    RawBulletin, RawDatabase, RawInbox, RawKeep, RawLights, RawOps, RawTelegram, RawWeb, database,
    inbox, lights, list_limit, ops, retention, telegram, web,
};

/// The committed defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
}

fn invalid(key: &'static str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.to_string(),
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Raw {
    timezone: String,
    locale: String,
    warning_days: i64,
    problem_escalate_days: i64,
    bottom_ranked: usize,
    #[serde(deserialize_with = "ids")]
    admins: Vec<PersonRef>,
    #[serde(deserialize_with = "ids")]
    liaisons: Vec<PersonRef>,
    #[serde(deserialize_with = "ids")]
    leadership_chats: Vec<ChatRef>,
    holidays_file: String,
    #[serde(deserialize_with = "names")]
    platforms: Vec<String>,
    feishu: feishu::RawFeishu,
    database: RawDatabase,
    telegram: RawTelegram,
    schedule: Schedule,
    inbox: RawInbox,
    shutdown_secs: u64,
    bulletin: RawBulletin,
    lights: RawLights,
    outbox: RawKeep,
    ops: RawOps,
    web: RawWeb,
}

/// Cron expressions (6 fields, seconds first) in the configured time zone.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Schedule {
    pub prompt: String,
    pub nudge: String,
    pub deadline: String,
    pub bulletin: String,
    pub monthly: String,
    pub quarterly: String,
    pub prune: String,
    /// Jobs that move to the next working day when due on a holiday.
    #[serde(deserialize_with = "names")]
    pub holiday_shift: Vec<String>,
}

/// A list as a file writes it (`[11, 22]`) or as an environment variable
/// does (`11,22`, or a single `11`).
#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrScalar<T> {
    List(Vec<T>),
    // Before `One`: a string is a comma-separated list even where one item
    // could itself be text.
    Text(String),
    One(T),
}

/// One id as a file may write it: a bare number (a Telegram id) or text
/// (`"telegram:11"`, `"11"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Number(i64),
    Text(String),
}

/// People or chats on their platforms, read into typed refs here so that no
/// one compares ids as text later. A bare number is a Telegram id.
fn ids<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err = IdError>,
{
    let texts: Vec<String> = match ListOrScalar::<RawId>::deserialize(d)? {
        ListOrScalar::List(v) => v.into_iter().map(RawId::into_text).collect(),
        ListOrScalar::One(v) => vec![v.into_text()],
        ListOrScalar::Text(s) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    };
    texts
        .iter()
        .map(|t| {
            t.parse()
                .map_err(|e| serde::de::Error::custom(format!("'{t}' is not an id: {e}")))
        })
        .collect()
}

impl RawId {
    fn into_text(self) -> String {
        match self {
            RawId::Number(n) => n.to_string(),
            RawId::Text(t) => t,
        }
    }
}

fn names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match ListOrScalar::<String>::deserialize(d)? {
        ListOrScalar::List(v) => v,
        ListOrScalar::One(s) | ListOrScalar::Text(s) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

impl Schedule {
    /// Each job with its configuration key and cron expression, in
    /// `Job::ALL` order.
    pub fn entries(&self) -> [(Job, &'static str, &str); 7] {
        [
            (Job::Prompt, "schedule.prompt", &self.prompt),
            (Job::Nudge, "schedule.nudge", &self.nudge),
            (Job::Deadline, "schedule.deadline", &self.deadline),
            (Job::Bulletin, "schedule.bulletin", &self.bulletin),
            (Job::Monthly, "schedule.monthly", &self.monthly),
            (Job::Quarterly, "schedule.quarterly", &self.quarterly),
            (Job::Prune, "schedule.prune", &self.prune),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub timezone: Tz,
    pub locale: Lang,
    pub warning_days: i64,
    pub problem_escalate_days: i64,
    pub bottom_ranked: usize,
    /// The most items a list in a bulletin or a deadline ping shows
    /// (`bulletin.list_limit`), worst first.
    pub list_limit: usize,
    /// When a project's light turns red or yellow (`lights.*`).
    pub lights: crate::domain::indicators::LightRules,
    pub admins: Vec<PersonRef>,
    /// Zone liaisons who may create projects before they look after one.
    pub liaisons: Vec<PersonRef>,
    pub leadership_chats: Vec<ChatRef>,
    /// The chat platforms served (`platforms`), each once.
    pub platforms: Vec<crate::domain::ids::Platform>,
    pub feishu: FeishuSettings,
    pub database: DatabaseSettings,
    pub telegram: TelegramSettings,
    pub schedule: Schedule,
    /// The report deadline, parsed (reports after it are late).
    pub deadline: cron::Schedule,
    /// Every job's schedule, parsed, in `Job::ALL` order.
    pub crons: Vec<(Job, cron::Schedule)>,
    pub calendar: WorkCalendar,
    pub holiday_shift: Vec<Job>,
    pub retention: Retention,
    /// Retries of updates that fail (`inbox.max_attempts`, `inbox.retry_secs`).
    pub inbox: InboxSettings,
    /// How long a stop (SIGTERM, Ctrl-C) may take before the process exits
    /// anyway (`shutdown_secs`).
    pub shutdown: std::time::Duration,
    /// Where `/healthz`, `/readyz` and `/metrics` are served (`ops.listen`);
    /// `None` when empty (off).
    pub ops: OpsSettings,
    /// The dashboard (`web.*`).
    pub web: WebSettings,
}

impl Settings {
    /// Loads the layers. `explicit` is `--config`; without it
    /// `config/local.toml` is read when it exists.
    pub fn load(explicit: Option<&Path>) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(explicit, &env)
    }

    /// As [`Settings::load`], with the environment passed in (for tests).
    pub fn load_from(
        explicit: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        match explicit {
            Some(path) if !path.exists() => {
                return Err(ConfigError::MissingFile(path.to_path_buf()));
            }
            Some(path) => builder = builder.add_source(File::from(path).format(FileFormat::Toml)),
            None => {
                builder = builder
                    .add_source(File::new("config/local.toml", FileFormat::Toml).required(false))
            }
        }
        let duban_env: config::Map<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("DUBAN__"))
            .cloned()
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("DUBAN")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(duban_env)),
        );
        let raw: Raw = builder.build()?.try_deserialize()?;
        let token_variable = env
            .iter()
            .find(|(k, _)| k == "TELOXIDE_TOKEN")
            .map(|(_, v)| SecretString::from(v.clone()));
        Self::validate(raw, token_variable, env)
    }

    fn validate(
        raw: Raw,
        token_variable: Option<SecretString>,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let timezone = Tz::from_str(raw.timezone.trim())
            .map_err(|_| invalid("timezone", format!("unknown time zone '{}'", raw.timezone)))?;
        let locale: Lang = raw.locale.parse().map_err(|e| invalid("locale", e))?;
        if !(0..=365).contains(&raw.warning_days) {
            return Err(invalid("warning_days", "must be between 0 and 365"));
        }
        if !(1..=3650).contains(&raw.problem_escalate_days) {
            return Err(invalid(
                "problem_escalate_days",
                "must be between 1 and 3650",
            ));
        }
        if raw.bottom_ranked > 100 {
            return Err(invalid("bottom_ranked", "must be at most 100"));
        }
        let mut crons: Vec<(Job, cron::Schedule)> = Vec::new();
        for (job, key, expr) in raw.schedule.entries() {
            let cron = cron::Schedule::from_str(expr)
                .map_err(|e| invalid(key, format!("'{expr}' is not a cron expression: {e}")))?;
            crons.push((job, cron));
        }
        let deadline = crons
            .iter()
            .find(|(job, _)| *job == Job::Deadline)
            .map(|(_, cron)| cron.clone())
            .ok_or_else(|| invalid("schedule.deadline", "missing"))?;
        let mut holiday_shift = Vec::new();
        for name in &raw.schedule.holiday_shift {
            holiday_shift.push(Job::from_name(name.trim()).ok_or_else(|| {
                invalid("schedule.holiday_shift", format!("'{name}' is not a job (prompt, nudge, deadline, bulletin, monthly, quarterly)"))
            })?);
        }
        let calendar = load_calendar(&raw.holidays_file)?;
        let retention = retention(&raw.inbox, &raw.outbox)?;
        let ops = ops(&raw.ops)?;
        let web = web(raw.web)?;
        let database = database(&raw.database)?;
        let telegram = telegram(raw.telegram, token_variable)?;
        let inbox = inbox(&raw.inbox)?;
        let platforms = feishu::platforms(&raw.platforms)?;
        let on = platforms.contains(&crate::domain::ids::Platform::Feishu);
        let feishu = feishu::feishu(raw.feishu, env, on)?;
        if !(1..=3600).contains(&raw.shutdown_secs) {
            return Err(invalid("shutdown_secs", "must be between 1 and 3600"));
        }
        Ok(Settings {
            timezone,
            locale,
            warning_days: raw.warning_days,
            problem_escalate_days: raw.problem_escalate_days,
            bottom_ranked: raw.bottom_ranked,
            list_limit: list_limit(&raw.bulletin)?,
            lights: lights(&raw.lights)?,
            admins: raw.admins,
            liaisons: raw.liaisons,
            leadership_chats: raw.leadership_chats,
            platforms,
            feishu,
            database,
            telegram,
            inbox,
            shutdown: std::time::Duration::from_secs(raw.shutdown_secs),
            schedule: raw.schedule,
            deadline,
            crons,
            calendar,
            holiday_shift,
            retention,
            ops,
            web,
        })
    }

    /// Whether `platform` is served (`platforms`).
    pub fn serves(&self, platform: crate::domain::ids::Platform) -> bool {
        self.platforms.contains(&platform)
    }

    /// Whether the bot sees, in `platform`'s groups, only the messages
    /// that mention it (Feishu without `im:message.group_msg`), so that
    /// people must mention it to be heard.
    pub fn sees_only_mentions(&self, platform: crate::domain::ids::Platform) -> bool {
        platform == crate::domain::ids::Platform::Feishu
            && self.feishu.sees == GroupMessages::Mentions
    }

    pub fn cron(&self, job: Job) -> &cron::Schedule {
        &self
            .crons
            .iter()
            .find(|(j, _)| *j == job)
            .expect("every job has a schedule (checked at load)")
            .1
    }

    /// Where a bulletin's capped lists continue: the dashboard's late page,
    /// when `duban run` serves the dashboard (`web.listen`).
    pub fn see_more(&self) -> Option<String> {
        self.web.listen.map(|_| format!("{}/late", self.web.url))
    }

    pub fn policy(&self) -> Policy {
        Policy {
            warning_days: self.warning_days,
            escalate_days: self.problem_escalate_days,
            bottom_count: self.bottom_ranked,
            list_limit: self.list_limit,
            lights: self.lights,
        }
    }
}

/// Reads the holidays file; an empty path means no holidays beyond
/// weekends. The default file is optional, an explicitly set one is not.
fn load_calendar(path: &str) -> Result<WorkCalendar, ConfigError> {
    #[derive(Deserialize, Default)]
    struct RawCalendar {
        #[serde(default)]
        holidays: Vec<String>,
        #[serde(default)]
        workdays: Vec<String>,
    }
    let path = path.trim();
    if path.is_empty() {
        return Ok(WorkCalendar::default());
    }
    let file = Path::new(path);
    let raw: RawCalendar = if file.exists() {
        Config::builder()
            .add_source(File::from(file).format(FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| invalid("holidays_file", format!("{path}: {e}")))?
    } else if path == DEFAULT_HOLIDAYS_FILE {
        // Run from elsewhere than the checkout: the committed calendar is compiled in.
        Config::builder()
            .add_source(File::from_str(DEFAULT_HOLIDAYS, FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| invalid("holidays_file", e))?
    } else {
        return Err(invalid("holidays_file", format!("{path} does not exist")));
    };
    WorkCalendar::from_lists(&raw.holidays, &raw.workdays).map_err(|e| invalid("holidays_file", e))
}

const DEFAULT_HOLIDAYS_FILE: &str = "config/holidays.toml";
const DEFAULT_HOLIDAYS: &str = include_str!("../../config/holidays.toml");
