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
