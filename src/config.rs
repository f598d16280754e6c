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

/// The committed defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

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
    database: RawDatabase,
    telegram: RawTelegram,
    schedule: Schedule,
    inbox: RawKeep,
    outbox: RawKeep,
    ops: RawOps,
}

#[derive(Debug, Clone, Deserialize)]
struct RawOps {
    listen: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RawKeep {
    keep_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
struct RawDatabase {
    url: String,
    max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
struct RawTelegram {
    api_url: String,
    throttle: bool,
    token: Option<SecretString>,
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
    pub admins: Vec<PersonRef>,
    /// Zone liaisons who may create projects before they look after one.
    pub liaisons: Vec<PersonRef>,
    pub leadership_chats: Vec<ChatRef>,
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
    /// Where `/healthz`, `/readyz` and `/metrics` are served (`ops.listen`);
    /// `None` when empty (off).
    pub ops: OpsSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsSettings {
    pub listen: Option<String>,
}

/// How long handled rows are kept before the daily prune deletes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Handled updates (`inbox.keep_days`): their effects live on in the
    /// domain tables; the raw messages are not kept for no purpose.
    pub inbox_days: i64,
    /// The ledger's claims (`outbox.keep_days`): a claim must outlive every
    /// rerun of its period, or a rerun would post the message again.
    pub outbox_days: i64,
}

fn database(raw: &RawDatabase) -> Result<DatabaseSettings, ConfigError> {
    let url = raw.url.trim().to_string();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(invalid(
            "database.url",
            "must start with sqlite: or postgres://",
        ));
    }
    if raw.max_connections == 0 {
        return Err(invalid("database.max_connections", "must be at least 1"));
    }
    Ok(DatabaseSettings {
        url,
        max_connections: raw.max_connections,
    })
}

fn ops(raw: &RawOps) -> Result<OpsSettings, ConfigError> {
    let listen = raw.listen.trim();
    if listen.is_empty() {
        return Ok(OpsSettings { listen: None });
    }
    listen
        .parse::<std::net::SocketAddr>()
        .map_err(|e| invalid("ops.listen", format!("'{listen}' is not IP:PORT: {e}")))?;
    Ok(OpsSettings {
        listen: Some(listen.to_string()),
    })
}

fn retention(inbox: &RawKeep, outbox: &RawKeep) -> Result<Retention, ConfigError> {
    if !(1..=3650).contains(&inbox.keep_days) {
        return Err(invalid("inbox.keep_days", "must be between 1 and 3650"));
    }
    if !(MIN_OUTBOX_DAYS..=36500).contains(&outbox.keep_days) {
        return Err(invalid(
            "outbox.keep_days",
            format!(
                "must be between {MIN_OUTBOX_DAYS} and 36500: a shorter ledger could post a quarterly review twice"
            ),
        ));
    }
    Ok(Retention {
        inbox_days: inbox.keep_days,
        outbox_days: outbox.keep_days,
    })
}

/// The shortest ledger retention allowed: a quarterly review's claim must
/// outlive its quarter and the next, when a late rerun could still come.
const MIN_OUTBOX_DAYS: i64 = 200;

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct TelegramSettings {
    pub api_url: String,
    /// Pace sends to Telegram's rate limits; off only against a local Bot
    /// API server, which has none.
    pub throttle: bool,
    /// Never printed: `SecretString`'s Debug shows `[REDACTED]`.
    pub token: Option<SecretString>,
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
        Self::validate(raw, token_variable)
    }

    fn validate(raw: Raw, token_variable: Option<SecretString>) -> Result<Settings, ConfigError> {
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
        let database = database(&raw.database)?;
        let api_url = raw.telegram.api_url.trim().to_string();
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            return Err(invalid("telegram.api_url", "must be an http(s) URL"));
        }
        let token = raw
            .telegram
            .token
            .filter(|t| !secrecy::ExposeSecret::expose_secret(t).trim().is_empty())
            .or(token_variable);
        Ok(Settings {
            timezone,
            locale,
            warning_days: raw.warning_days,
            problem_escalate_days: raw.problem_escalate_days,
            bottom_ranked: raw.bottom_ranked,
            admins: raw.admins,
            liaisons: raw.liaisons,
            leadership_chats: raw.leadership_chats,
            database,
            telegram: TelegramSettings {
                api_url,
                throttle: raw.telegram.throttle,
                token,
            },
            schedule: raw.schedule,
            deadline,
            crons,
            calendar,
            holiday_shift,
            retention,
            ops,
        })
    }

    pub fn cron(&self, job: Job) -> &cron::Schedule {
        &self
            .crons
            .iter()
            .find(|(j, _)| *j == job)
            .expect("every job has a schedule (checked at load)")
            .1
    }

    pub fn policy(&self) -> Policy {
        Policy {
            warning_days: self.warning_days,
            escalate_days: self.problem_escalate_days,
            bottom_count: self.bottom_ranked,
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
const DEFAULT_HOLIDAYS: &str = include_str!("../config/holidays.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::Platform;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        // An explicit empty file keeps a developer's config/local.toml out of the test.
        let empty = tempfile::NamedTempFile::new().unwrap();
        Settings::load_from(Some(empty.path()), &env(pairs))
    }

    #[test]
    fn defaults_are_valid() {
        let s = load(&[]).unwrap();
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(s.locale, Lang::ZhCn);
        assert_eq!(s.warning_days, 14);
        assert_eq!(s.problem_escalate_days, 14);
        assert!(s.database.url.starts_with("sqlite:"));
        assert_eq!(s.schedule.bulletin, "0 0 16 * * Fri");
        assert!(s.telegram.token.is_none());
        assert!(s.telegram.throttle);
    }

    #[test]
    fn environment_overrides_files() {
        let s = load(&[
            ("DUBAN__TIMEZONE", "Europe/Berlin"),
            ("DUBAN__WARNING_DAYS", "7"),
            ("DUBAN__ADMINS", "11,22"),
            ("DUBAN__LIAISONS", "33"),
            ("DUBAN__LEADERSHIP_CHATS", "-1001"),
            ("DUBAN__SCHEDULE__HOLIDAY_SHIFT", "prompt,bulletin"),
            ("DUBAN__DATABASE__URL", "postgres://u@h/db"),
            ("DUBAN__SCHEDULE__PROMPT", "0 30 8 * * Mon"),
            ("TELOXIDE_TOKEN", "123:abc"),
        ])
        .unwrap();
        assert_eq!(s.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(s.warning_days, 7);
        let person = |id: &str| PersonRef::new(Platform::Telegram, id);
        assert_eq!(s.admins, vec![person("11"), person("22")]);
        assert_eq!(s.liaisons, vec![person("33")]);
        assert_eq!(
            s.leadership_chats,
            vec![ChatRef::new(Platform::Telegram, "-1001")]
        );
        assert_eq!(s.holiday_shift, vec![Job::Prompt, Job::Bulletin]);
        assert_eq!(s.database.url, "postgres://u@h/db");
        assert_eq!(s.schedule.prompt, "0 30 8 * * Mon");
        assert_eq!(s.telegram.token.unwrap().expose_secret(), "123:abc");
    }

    #[test]
    fn duban_token_wins_over_the_client_library_variable_and_is_never_printed() {
        let s = load(&[
            ("DUBAN__TELEGRAM__TOKEN", "999:secret"),
            ("TELOXIDE_TOKEN", "123:abc"),
        ])
        .unwrap();
        assert_eq!(
            s.telegram.token.as_ref().unwrap().expose_secret(),
            "999:secret"
        );
        assert!(!format!("{s:?}").contains("999:secret"));
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let cases = [
            ("DUBAN__TIMEZONE", "Mars/Olympus", "`timezone`"),
            ("DUBAN__LOCALE", "fr", "`locale`"),
            ("DUBAN__WARNING_DAYS", "-3", "`warning_days`"),
            ("DUBAN__WARNING_DAYS", "soon", "warning_days"),
            (
                "DUBAN__SCHEDULE__NUDGE",
                "every wednesday",
                "`schedule.nudge`",
            ),
            ("DUBAN__DATABASE__URL", "mysql://x", "`database.url`"),
            ("DUBAN__TELEGRAM__API_URL", "ftp://x", "`telegram.api_url`"),
            (
                "DUBAN__SCHEDULE__HOLIDAY_SHIFT",
                "lunch",
                "`schedule.holiday_shift`",
            ),
            (
                "DUBAN__HOLIDAYS_FILE",
                "/nonexistent/h.toml",
                "`holidays_file`",
            ),
        ];
        for (k, v, key) in cases {
            let e = load(&[(k, v)]).unwrap_err().to_string();
            assert!(e.contains(key), "{k}={v}: {e}");
        }
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let e = Settings::load_from(Some(Path::new("/nonexistent/duban.toml")), &[]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/duban.toml"));
    }
}
