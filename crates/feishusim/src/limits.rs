//! Feishu's sending limits, when `Config::enforce_limits` asks for them
//! (../shared/feishu-wire-format.md §5 and §7): 5 messages a second to one
//! user or group (400, code 230020) and 50 a second for the whole app (429,
//! code 99991400, with `x-ogw-ratelimit-reset`). Off by default, so tests
//! that send in bursts are not refused.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::error::{APP_LIMIT_PER_SEC, ApiError};

/// Sends one user or group takes within [`WINDOW`].
pub(crate) const PER_CHAT_PER_SEC: usize = 5;

const WINDOW: Duration = Duration::from_secs(1);

/// Sliding one-second windows of accepted sends.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    chats: HashMap<String, VecDeque<Instant>>,
    app: VecDeque<Instant>,
}

impl Limiter {
    /// Whether one more send to `chat` (a group's chat id or a user's open
    /// id) fits now. The app's limit is checked first, as the gateway in
    /// front of the messaging service would.
    pub fn check(&mut self, chat: &str, now: Instant) -> Result<(), ApiError> {
        prune(&mut self.app, now);
        if self.app.len() >= APP_LIMIT_PER_SEC {
            return Err(ApiError::too_many_requests(reset_secs(&self.app, now)));
        }
        if let Some(sends) = self.chats.get_mut(chat) {
            prune(sends, now);
            if sends.len() >= PER_CHAT_PER_SEC {
                return Err(ApiError::frequency());
            }
        }
        Ok(())
    }

    /// Counts an accepted send.
    pub fn record(&mut self, chat: &str, now: Instant) {
        self.app.push_back(now);
        self.chats
            .entry(chat.to_owned())
            .or_default()
            .push_back(now);
    }
}

fn prune(sends: &mut VecDeque<Instant>, now: Instant) {
    while sends
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        sends.pop_front();
    }
}

/// Whole seconds until the oldest send leaves the window, at least 1, as
/// the header counts them.
fn reset_secs(sends: &VecDeque<Instant>, now: Instant) -> u32 {
    let left = sends
        .front()
        .map_or(Duration::ZERO, |t| WINDOW.saturating_sub(now - *t));
    u32::try_from(left.as_millis().div_ceil(1000))
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_send_to_a_chat_within_a_second_is_refused_and_later_ones_pass() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..PER_CHAT_PER_SEC {
            assert!(l.check("oc_a", t0).is_ok());
            l.record("oc_a", t0);
        }
        assert_eq!(l.check("oc_a", t0).map_err(|e| e.code), Err(230020));
        assert!(l.check("oc_b", t0).is_ok());
        assert!(l.check("oc_a", t0 + WINDOW).is_ok());
    }

    #[test]
    fn the_fifty_first_send_of_the_app_is_refused_with_429_and_a_reset() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..APP_LIMIT_PER_SEC {
            l.record(&format!("oc_{i}"), t0);
        }
        let e = l.check("oc_new", t0).err();
        assert_eq!(e.as_ref().map(|e| (e.http, e.code)), Some((429, 99991400)));
        let reset = e.and_then(|e| {
            e.headers
                .into_iter()
                .find(|(n, _)| *n == "x-ogw-ratelimit-reset")
        });
        assert_eq!(reset.map(|(_, v)| v).as_deref(), Some("1"));
    }
}
