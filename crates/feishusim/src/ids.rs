//! Random ids in Feishu's shapes (`ou_…`, `oc_…`, `om_…`, `t-…`), the
//! IVs and nonces of encrypted pushes, and the clocks events are dated by.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Random bytes from the system. Should the system refuse, a hash of a
/// counter and the clock keeps ids unique within the run, which is all a
/// test needs (nothing here is a real secret).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut seed = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for chunk in buf.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(seed.to_le_bytes());
            h.update(nanos.to_le_bytes());
            let digest = h.finalize();
            chunk.copy_from_slice(&digest[..chunk.len()]);
            seed = seed.wrapping_add(1 << 32);
        }
    }
    buf
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 lowercase hex digits, the length of Feishu's open ids, chat ids,
/// message ids and event ids.
pub(crate) fn hex32() -> String {
    hex(&random_bytes::<16>())
}

/// `prefix` followed by random hex up to 32 characters after `ou_`/`oc_`
/// style prefixes, so every id has the length of a real one.
pub(crate) fn id(prefix: &str) -> String {
    let head = prefix.split_once('_').map_or("", |(_, rest)| rest);
    let mut id = String::from(prefix);
    id.push_str(&hex32()[..32usize.saturating_sub(head.len())]);
    id
}

/// Milliseconds since the epoch, as Feishu's `create_time` strings hold.
pub(crate) fn now_ms() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .to_string()
}

/// Seconds since the epoch, as `X-Lark-Request-Timestamp` holds.
pub(crate) fn now_secs() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_length_of_real_ones_and_differ() {
        let a = id("ou_");
        let b = id("ou_");
        assert_eq!(a.len(), 35);
        assert!(a.starts_with("ou_"));
        assert_ne!(a, b);
        let bot = id("ou_bot");
        assert_eq!(bot.len(), 35);
        assert!(bot.starts_with("ou_bot"));
        assert_eq!(hex32().len(), 32);
    }
}
