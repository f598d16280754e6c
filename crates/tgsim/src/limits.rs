//! Telegram's flood limits for bots, enforced on demand: a send over a limit
//! is refused with 429 and `retry_after`, as Telegram refuses it, and counted.
//!
//! Each limit is a sliding window over the instants the simulator accepted
//! sends (the strictest reading of Telegram's published figures): a client
//! that stays under the limits as it releases requests can still be refused
//! when the network reorders or bunches them, as with the real service.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::error::ApiError;

/// The limits, per Telegram's bot FAQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Messages a second across every chat.
    pub overall_per_sec: u32,
    /// Messages a minute in one group, supergroup or forum.
    pub per_group_per_min: u32,
    /// Messages a second in one chat, private chats included.
    pub per_chat_per_sec: u32,
}

impl Limits {
    pub const TELEGRAM: Limits = Limits {
        overall_per_sec: 30,
        per_group_per_min: 20,
        per_chat_per_sec: 1,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::TELEGRAM
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// Methods that post a message; edits, chat actions and the rest are not
/// counted, as Telegram documents limits for messages sent.
pub(crate) fn counts(method: &str) -> bool {
    method.starts_with("send") && method != "sendChatAction"
        || method == "copyMessage"
        || method == "forwardMessage"
}

pub(crate) struct RateLimiter {
    limits: Limits,
    /// Accepted sends of the last second, oldest first.
    overall: VecDeque<Instant>,
    /// Accepted sends of the last minute per chat, oldest first.
    per_chat: HashMap<i64, VecDeque<Instant>>,
    /// Sends refused with 429 so far.
    pub refused: usize,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        RateLimiter {
            limits,
            overall: VecDeque::new(),
            per_chat: HashMap::new(),
            refused: 0,
        }
    }

    /// `Err` (a 429) when one more send to `chat` now would break a limit.
    /// `is_group`: the chat is a group of any kind.
    pub fn check(
        &mut self,
        chat: Option<i64>,
        is_group: bool,
        now: Instant,
    ) -> Result<(), ApiError> {
        prune(&mut self.overall, now, SECOND);
        let mut wait = None;
        if self.overall.len() >= self.limits.overall_per_sec as usize {
            wait = self.overall.front().map(|t| *t + SECOND - now);
        }
        if wait.is_none()
            && let Some(chat) = chat
            && let Some(sent) = self.per_chat.get_mut(&chat)
        {
            prune(sent, now, MINUTE);
            let last_sec = sent.iter().rev().take_while(|t| **t + SECOND > now).count();
            if last_sec >= self.limits.per_chat_per_sec as usize {
                wait = sent
                    .iter()
                    .rev()
                    .nth(last_sec - 1)
                    .map(|t| *t + SECOND - now);
            } else if is_group && sent.len() >= self.limits.per_group_per_min as usize {
                wait = sent.front().map(|t| *t + MINUTE - now);
            }
        }
        match wait {
            None => Ok(()),
            Some(wait) => {
                self.refused += 1;
                // Telegram gives whole seconds, never zero.
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(ApiError::too_many_requests(
                    u32::try_from(secs.max(1)).unwrap_or(u32::MAX),
                ))
            }
        }
    }

    /// Counts an accepted send.
    pub fn record(&mut self, chat: Option<i64>, now: Instant) {
        self.overall.push_back(now);
        if let Some(chat) = chat {
            self.per_chat.entry(chat).or_default().push_back(now);
        }
    }
}

fn prune(window: &mut VecDeque<Instant>, now: Instant, span: Duration) {
    while window.front().is_some_and(|t| *t + span <= now) {
        window.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: Limits = Limits {
        overall_per_sec: 3,
        per_group_per_min: 2,
        per_chat_per_sec: 1,
    };

    fn retry_after(r: Result<(), ApiError>) -> u64 {
        r.expect_err("refused").parameters.unwrap()["retry_after"]
            .as_u64()
            .unwrap()
    }

    #[test]
    fn overall_window_slides() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(LOW);
        for chat in 1..=3 {
            l.check(Some(chat), false, t0).unwrap();
            l.record(Some(chat), t0);
        }
        assert_eq!(retry_after(l.check(Some(4), false, t0)), 1);
        let later = t0 + Duration::from_millis(999);
        assert!(l.check(Some(4), false, later).is_err());
        assert!(l.check(Some(4), false, t0 + SECOND).is_ok());
        assert_eq!(l.refused, 2);
    }

    #[test]
    fn per_chat_and_per_group() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(LOW);
        l.record(Some(-5), t0);
        assert!(
            l.check(Some(-5), true, t0 + Duration::from_millis(500))
                .is_err()
        );
        let t1 = t0 + Duration::from_secs(2);
        l.check(Some(-5), true, t1).unwrap();
        l.record(Some(-5), t1);
        // Two in the minute: the group waits until the first leaves it.
        let t2 = t0 + Duration::from_secs(10);
        assert_eq!(retry_after(l.check(Some(-5), true, t2)), 50);
        // A private chat has no per-minute limit here.
        l.record(Some(7), t0);
        l.record(Some(7), t1);
        assert!(l.check(Some(7), false, t2).is_ok());
        assert!(l.check(Some(-5), true, t0 + MINUTE).is_ok());
    }

    #[test]
    fn what_counts() {
        assert!(counts("sendMessage"));
        assert!(counts("sendDocument"));
        assert!(!counts("sendChatAction"));
        assert!(!counts("editMessageText"));
        assert!(!counts("getUpdates"));
    }
}
