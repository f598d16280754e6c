//! The metrics' names, in one place, with their help texts.

pub const UPDATES_RECEIVED: &str = "duban_updates_received_total";
pub const UPDATES_HANDLED: &str = "duban_updates_handled_total";
pub const UPDATES_FAILED: &str = "duban_updates_failed_total";
pub const HANDLING_SECONDS: &str = "duban_handling_seconds";
pub const MESSAGES_SENT: &str = "duban_messages_sent_total";
pub const TELEGRAM_UP: &str = "duban_telegram_up";
pub const TELEGRAM_429: &str = "duban_telegram_429_total";
pub const RETRY_AFTER_SECONDS: &str = "duban_telegram_retry_after_seconds_total";
pub const INBOX_UNHANDLED: &str = "duban_inbox_unhandled";
pub const INBOX_UNREPLIED: &str = "duban_inbox_unreplied";
pub const INBOX_FAILED: &str = "duban_inbox_failed";
pub const UPDATES_RETRIED: &str = "duban_updates_retried_total";
pub const OUTBOX_PENDING: &str = "duban_outbox_claims_pending";
pub const POLLING: &str = "duban_polling";
pub const JOB_LAG_SECONDS: &str = "duban_job_lag_seconds";
pub const FEISHU_RATE_LIMITED: &str = "duban_feishu_rate_limited_total";
pub const FEISHU_EVENTS: &str = "duban_feishu_events_received_total";

pub(super) fn describe() {
    metrics::describe_counter!(
        UPDATES_RECEIVED,
        "Updates stored in the inbox (new ones only)"
    );
    metrics::describe_counter!(UPDATES_HANDLED, "Updates handled and committed");
    metrics::describe_counter!(
        UPDATES_FAILED,
        "Tries of updates that failed (each is tried again, up to inbox.max_attempts)"
    );
    metrics::describe_counter!(
        UPDATES_RETRIED,
        "Transient database errors retried inside the handler"
    );
    metrics::describe_histogram!(
        HANDLING_SECONDS,
        metrics::Unit::Seconds,
        "Time to handle one run of updates, commit included"
    );
    metrics::describe_counter!(
        MESSAGES_SENT,
        "Messages sent, by job (replies: job=\"reply\")"
    );
    metrics::describe_counter!(
        TELEGRAM_429,
        "Requests Telegram refused with 429 Too Many Requests"
    );
    metrics::describe_counter!(
        RETRY_AFTER_SECONDS,
        metrics::Unit::Seconds,
        "Seconds Telegram's 429 answers asked the bot to wait, summed"
    );
    metrics::describe_counter!(
        FEISHU_RATE_LIMITED,
        "Feishu calls answered with a rate limit (429, 99991400, 230020) and waited out"
    );
    metrics::describe_counter!(
        FEISHU_EVENTS,
        "Feishu events stored in the inbox (new ones only)"
    );
    metrics::describe_gauge!(TELEGRAM_UP, "1 when the last getUpdates was answered");
    metrics::describe_gauge!(INBOX_UNHANDLED, "Updates stored but not handled yet");
    metrics::describe_gauge!(
        INBOX_UNREPLIED,
        "Updates handled whose replies are not confirmed sent"
    );
    metrics::describe_gauge!(
        INBOX_FAILED,
        "Updates set aside as failed after inbox.max_attempts (duban status --health lists them)"
    );
    metrics::describe_gauge!(OUTBOX_PENDING, "Ledger claims not sent yet");
    metrics::describe_gauge!(POLLING, "1 when this instance polls Telegram");
    metrics::describe_gauge!(
        JOB_LAG_SECONDS,
        metrics::Unit::Seconds,
        "How late the job's last run started after its scheduled time, by job"
    );
}
pub const DASHBOARD_SNAPSHOTS: &str = "duban_dashboard_snapshot_reads_total";
