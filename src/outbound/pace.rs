//! When each message may leave, so that a platform's rate limits are kept
//! rather than discovered (ARCHITECTURE.md rule 6). Each adapter gives its
//! platform's limits (Telegram's in `src/bot/mod.rs`, Feishu's in
//! `src/feishu/mod.rs`) and says which chats are groups.
//!
//! A platform counts messages as they arrive. A throttle that releases a
//! second's budget at once on a tick meets the platform's window, two
//! bursts a second apart, with a few milliseconds to spare, and scheduling
//! jitter on a busy machine turns that into 429s (BENCHMARKS.md, fan-out).
//! Here every message gets its own instant instead: messages overall are
//! spread evenly, and every window is widened by a margin, so a message may
//! arrive that much late or early without breaking a limit.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::Bound::Excluded;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A platform's limits as the pacer keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceLimits {
    pub per_sec_overall: u32,
    pub per_sec_chat: u32,
    /// Messages a minute to one group; 0: no such limit.
    pub per_min_group: u32,
    /// Every window is this many thousandths longer than the platform's.
    pub margin_permille: u32,
}

/// Where a message goes, as the pacer counts it: a chat, by a number its
/// adapter chooses, and whether it is a group (whose per-minute limit
/// applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub chat: i64,
    pub group: bool,
}

impl PaceLimits {
    fn widen(&self, d: Duration) -> Duration {
        d * (1000 + self.margin_permille) / 1000
    }

    /// The least time between two messages overall.
    fn spacing(&self) -> Duration {
        self.widen(Duration::from_secs(1)) / self.per_sec_overall.max(1)
    }

    /// The least time between two messages to one chat.
    fn chat_spacing(&self) -> Duration {
        self.widen(Duration::from_secs(1)) / self.per_sec_chat.max(1)
    }

    fn group_window(&self) -> Duration {
        self.widen(Duration::from_secs(60))
    }
}

/// Hands out send instants. Shared by everything that sends.
#[derive(Debug)]
pub struct Pacer {
    limits: Option<PaceLimits>,
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    /// Instants given out, overall; kept while they may still conflict.
    overall: BTreeSet<Instant>,
    /// Instants given out per chat, in order, within the group window.
    chats: HashMap<i64, VecDeque<Instant>>,
    /// Nothing leaves before this (the platform asked us to wait).
    hold: Option<Instant>,
    reserved: u64,
}

impl Pacer {
    pub fn new(limits: PaceLimits) -> Pacer {
        Pacer {
            limits: Some(limits),
            slots: Mutex::default(),
        }
    }

    /// For a Bot API server without limits (the simulator of `duban demo`).
    pub fn unlimited() -> Pacer {
        Pacer {
            limits: None,
            slots: Mutex::default(),
        }
    }

    /// Waits until a message to `to` may leave, and counts it as sent then.
    pub async fn wait(&self, to: Target) {
        let at = self.reserve(to, Instant::now());
        tokio::time::sleep_until(at.into()).await;
    }

    /// The platform asked for a pause: nothing is sent before `until`.
    pub fn hold_until(&self, until: Instant) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.hold = Some(slots.hold.map_or(until, |h| h.max(until)));
    }

    /// The earliest instant, not before `now`, at which a message to `to`
    /// keeps every limit given the messages already placed; it is placed.
    pub fn reserve(&self, to: Target, now: Instant) -> Instant {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        // The platform's own "retry after" is kept even without limits.
        let mut at = slots.hold.map_or(now, |h| h.max(now));
        let Some(limits) = self.limits else {
            return at;
        };
        let spacing = limits.spacing();

        let Slots { overall, chats, .. } = &mut *slots;
        let history = chats.entry(to.chat).or_default();
        if let Some(last) = history.back() {
            at = at.max(*last + limits.chat_spacing());
        }
        let per_min = limits.per_min_group as usize;
        if to.group && per_min > 0 && history.len() >= per_min {
            at = at.max(history[history.len() - per_min] + limits.group_window());
        }
        // The first gap of `spacing` on either side among the placed ones.
        while let Some(&taken) = overall
            .range((
                Excluded(at.checked_sub(spacing).unwrap_or(at)),
                Excluded(at + spacing),
            ))
            .next()
        {
            at = taken + spacing;
        }

        overall.insert(at);
        history.push_back(at);
        let window = limits.group_window().max(limits.chat_spacing());
        while history.len() > per_min.max(1) || history.front().is_some_and(|f| *f + window < now) {
            history.pop_front();
        }
        slots.reserved += 1;
        if slots.reserved.is_multiple_of(1024) {
            slots.forget_before(now, window, spacing);
        }
        at
    }
}

impl Slots {
    /// Drops what can no longer constrain a message placed at `now` or later.
    fn forget_before(&mut self, now: Instant, window: Duration, spacing: Duration) {
        if let Some(edge) = now.checked_sub(spacing) {
            self.overall = self.overall.split_off(&edge);
        }
        self.chats
            .retain(|_, h| h.back().is_some_and(|last| *last + window >= now));
        if self.hold.is_some_and(|h| h < now) {
            self.hold = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: Duration = Duration::from_millis(1);

    /// The limits these tests were written for: Telegram's, as
    /// `src/bot/mod.rs` gives them.
    const TELEGRAM: PaceLimits = crate::bot::TELEGRAM_LIMITS;

    /// A Telegram chat as `src/bot/deliver.rs` addresses it: negative ids
    /// are groups.
    fn tg(chat: i64) -> Target {
        Target {
            chat,
            group: chat < 0,
        }
    }

    /// The most instants in any half-open window of `width`.
    fn most_in_window(times: &[Instant], width: Duration) -> usize {
        let mut sorted = times.to_vec();
        sorted.sort();
        let mut best = 0;
        let mut start = 0;
        for end in 0..sorted.len() {
            while sorted[end] - sorted[start] >= width {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    #[test]
    fn a_fan_out_is_spread_evenly_at_the_overall_limit() {
        let pacer = Pacer::new(TELEGRAM);
        let t0 = Instant::now();
        let times: Vec<Instant> = (0..300).map(|i| pacer.reserve(tg(i + 1), t0)).collect();
        assert_eq!(times[0], t0);
        for w in times.windows(2) {
            assert_eq!(w[1] - w[0], Duration::from_millis(34));
        }
        // 20 ms of jitter still keeps Telegram's 30 a second.
        assert_eq!(most_in_window(&times, Duration::from_millis(1000 + 20)), 30);
        // 300 messages take 300 / 30 s plus the margin, not more.
        assert_eq!(times[299] - t0, Duration::from_millis(34 * 299));
    }

    #[test]
    fn one_chat_gets_one_message_a_second_and_a_group_twenty_a_minute() {
        let pacer = Pacer::new(TELEGRAM);
        let t0 = Instant::now();
        let private: Vec<Instant> = (0..3).map(|_| pacer.reserve(tg(42), t0)).collect();
        assert_eq!(private[1] - private[0], Duration::from_millis(1020));
        assert_eq!(private[2] - private[1], Duration::from_millis(1020));

        let group: Vec<Instant> = (0..41).map(|_| pacer.reserve(tg(-100), t0)).collect();
        assert_eq!(most_in_window(&group, Duration::from_secs(60)), 20);
        assert!(group[20] - group[0] >= Duration::from_millis(61_200));
        assert!(group[40] - group[20] >= Duration::from_millis(61_200));
    }

    #[test]
    fn a_message_waiting_for_its_chat_does_not_hold_up_others() {
        let pacer = Pacer::new(TELEGRAM);
        let t0 = Instant::now();
        pacer.reserve(tg(7), t0);
        let later = pacer.reserve(tg(7), t0);
        assert_eq!(later - t0, Duration::from_millis(1020));
        // Another chat takes the free slots in between.
        let other = pacer.reserve(tg(8), t0);
        assert_eq!(other - t0, Duration::from_millis(34));
        // A slot freed by time is taken again, clear of the placed ones.
        let between = pacer.reserve(tg(9), t0 + 1000 * MS);
        assert_eq!(between - t0, Duration::from_millis(1020 + 34));
    }

    #[test]
    fn a_hold_delays_everything_after_it() {
        let pacer = Pacer::new(TELEGRAM);
        let t0 = Instant::now();
        pacer.hold_until(t0 + Duration::from_secs(3));
        assert_eq!(pacer.reserve(tg(1), t0), t0 + Duration::from_secs(3));
        assert_eq!(
            pacer.reserve(tg(2), t0 + Duration::from_secs(5)),
            t0 + Duration::from_secs(5)
        );
    }

    #[test]
    fn unlimited_sends_at_once_but_keeps_a_hold() {
        let pacer = Pacer::unlimited();
        let t0 = Instant::now();
        assert!((0..100).all(|_| pacer.reserve(tg(-1), t0) == t0));
        pacer.hold_until(t0 + Duration::from_secs(2));
        assert_eq!(pacer.reserve(tg(-1), t0), t0 + Duration::from_secs(2));
        assert_eq!(
            pacer.reserve(tg(5), t0 + Duration::from_secs(3)),
            t0 + Duration::from_secs(3)
        );
    }

    #[test]
    fn forgetting_keeps_what_still_constrains() {
        let pacer = Pacer::new(TELEGRAM);
        let t0 = Instant::now();
        // Enough reservations, far apart, to trigger forgetting several times.
        for i in 0..5000u64 {
            pacer.reserve(tg((i % 7) as i64 + 1), t0 + Duration::from_secs(i * 2));
        }
        let slots = pacer.slots.lock().unwrap();
        assert!(slots.overall.len() < 1100, "{}", slots.overall.len());
        assert!(slots.chats.len() <= 7);
    }

    proptest! {
        #[test]
        fn every_limit_holds_whatever_the_requests(
            requests in proptest::collection::vec((-4i64..4, 0u64..400), 1..300)
        ) {
            let pacer = Pacer::new(TELEGRAM);
            let t0 = Instant::now();
            let mut now = t0;
            let mut placed: Vec<(i64, Instant)> = Vec::new();
            for (chat, step) in requests {
                now += Duration::from_millis(step);
                let at = pacer.reserve(tg(chat), now);
                prop_assert!(at >= now);
                placed.push((chat, at));
            }
            let all: Vec<Instant> = placed.iter().map(|(_, t)| *t).collect();
            prop_assert!(most_in_window(&all, Duration::from_millis(1020)) <= 30);
            for chat in -4i64..4 {
                let mine: Vec<Instant> =
                    placed.iter().filter(|(c, _)| *c == chat).map(|(_, t)| *t).collect();
                prop_assert!(most_in_window(&mine, Duration::from_millis(1020)) <= 1);
                if chat < 0 {
                    prop_assert!(most_in_window(&mine, Duration::from_millis(61_200)) <= 20);
                }
            }
        }
    }
}
