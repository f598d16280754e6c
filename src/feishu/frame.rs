//! The long connection's frames (../shared/feishu-wire-format.md, section
//! 3): each binary WebSocket message is one protobuf `pbbp2.Frame`
//! (proto2). The two messages are derived by hand from the SDKs'
//! descriptor, so the build needs no protoc; proto2's `required` fields are
//! always written, even as 0, because the SDKs' parsers insist on them.
//!
//! A DATA frame may be one chunk of a larger payload (`sum` > 1):
//! [`Chunks`] joins them by `message_id` in `seq` order and drops what
//! never completes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// `method` of a ping, a pong and other control frames.
pub const CONTROL: i32 = 0;
/// `method` of an event (or card) frame and of its ACK.
pub const DATA: i32 = 1;

/// `message Header { required string key = 1; required string value = 2; }`
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Header {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, required, tag = "2")]
    pub value: String,
}

/// `message Frame`, field for field.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Frame {
    #[prost(uint64, required, tag = "1")]
    pub seq_id: u64,
    #[prost(uint64, required, tag = "2")]
    pub log_id: u64,
    #[prost(int32, required, tag = "3")]
    pub service: i32,
    /// [`CONTROL`] or [`DATA`].
    #[prost(int32, required, tag = "4")]
    pub method: i32,
    #[prost(message, repeated, tag = "5")]
    pub headers: Vec<Header>,
    #[prost(string, optional, tag = "6")]
    pub payload_encoding: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub payload_type: Option<String>,
    #[prost(bytes = "vec", optional, tag = "8")]
    pub payload: Option<Vec<u8>>,
    #[prost(string, optional, tag = "9")]
    pub log_id_new: Option<String>,
}

impl Header {
    pub fn new(key: &str, value: impl Into<String>) -> Header {
        Header {
            key: key.to_owned(),
            value: value.into(),
        }
    }
}

impl Frame {
    /// The first header of that key.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
    }

    /// A header read as a number; absent or malformed is `None`.
    pub fn header_num(&self, key: &str) -> Option<u64> {
        self.header(key)?.trim().parse().ok()
    }

    /// The client's ping: a control frame with only `type=ping`, carrying
    /// the `service_id` of the connection's URL.
    pub fn ping(service: i32) -> Frame {
        Frame {
            service,
            method: CONTROL,
            headers: vec![Header::new("type", "ping")],
            ..Frame::default()
        }
    }

    /// The ACK of this frame: the frame echoed (SeqID, LogID, service,
    /// method, headers), with how long the handling took as `biz_rt` and
    /// the payload `{"code":N}`; Feishu matches the ACK by the echo.
    pub fn ack(&self, code: u16, biz_rt_ms: u64) -> Frame {
        let mut headers = self.headers.clone();
        headers.push(Header::new("biz_rt", biz_rt_ms.to_string()));
        Frame {
            headers,
            payload: Some(format!("{{\"code\":{code}}}").into_bytes()),
            ..self.clone()
        }
    }
}

/// The most chunks one payload may come in: far above what Feishu sends,
/// low enough that a corrupt `sum` cannot make the joiner hold much.
const MAX_SUM: u64 = 1024;

/// Chunked payloads being joined, by `message_id`.
#[derive(Debug)]
pub struct Chunks {
    ttl: Duration,
    partial: HashMap<String, Partial>,
}

#[derive(Debug)]
struct Partial {
    started: Instant,
    parts: Vec<Option<Vec<u8>>>,
}

impl Chunks {
    /// Buffers older than `ttl` are dropped (the SDKs keep them 5 to 10 s;
    /// an event not completed by then is delivered again anyway).
    pub fn new(ttl: Duration) -> Chunks {
        Chunks {
            ttl,
            partial: HashMap::new(),
        }
    }

    /// Adds chunk `seq` of `sum`; the whole payload once every chunk is
    /// in, in `seq` order. A chunk that cannot belong (seq ≥ sum, sum 0 or
    /// absurdly large) is dropped.
    pub fn add(
        &mut self,
        message_id: &str,
        sum: u64,
        seq: u64,
        data: Vec<u8>,
        now: Instant,
    ) -> Option<Vec<u8>> {
        self.expire(now);
        if sum == 0 || sum > MAX_SUM || seq >= sum {
            return None;
        }
        if sum == 1 {
            return Some(data);
        }
        let sum = usize::try_from(sum).ok()?;
        let seq = usize::try_from(seq).ok()?;
        let partial = self
            .partial
            .entry(message_id.to_owned())
            .or_insert_with(|| Partial {
                started: now,
                parts: vec![None; sum],
            });
        if partial.parts.len() != sum {
            // Another `sum` under the same id: a new payload, start over.
            *partial = Partial {
                started: now,
                parts: vec![None; sum],
            };
        }
        partial.parts[seq] = Some(data);
        if partial.parts.iter().any(Option::is_none) {
            return None;
        }
        let done = self.partial.remove(message_id)?;
        Some(done.parts.into_iter().flatten().flatten().collect())
    }

    /// Payloads still waiting for chunks.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.partial.len()
    }

    fn expire(&mut self, now: Instant) {
        let ttl = self.ttl;
        self.partial
            .retain(|_, p| now.saturating_duration_since(p.started) < ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use prost::Message;

    fn event(seq_id: u64) -> Frame {
        Frame {
            seq_id,
            log_id: 77,
            service: 33554678,
            method: DATA,
            headers: vec![
                Header::new("type", "event"),
                Header::new("message_id", "m1"),
                Header::new("sum", "1"),
                Header::new("seq", "0"),
                Header::new("trace_id", "t1"),
            ],
            payload: Some(b"{}".to_vec()),
            ..Frame::default()
        }
    }

    #[test]
    fn a_ping_sets_every_required_field_even_to_zero() {
        let bytes = Frame::ping(42).encode_to_vec();
        // SeqID 0, LogID 0, service 42, method 0, then the header.
        assert_eq!(&bytes[..8], &[0x08, 0, 0x10, 0, 0x18, 42, 0x20, 0]);
        let back = Frame::decode(bytes.as_slice()).unwrap();
        assert_eq!(back.header("type"), Some("ping"));
        assert_eq!(back.payload, None);
    }

    #[test]
    fn an_ack_echoes_the_frame_and_adds_biz_rt_and_the_code() {
        let frame = event(9);
        let ack = frame.ack(200, 12);
        assert_eq!(
            (ack.seq_id, ack.log_id, ack.service, ack.method),
            (9, 77, 33554678, DATA)
        );
        assert_eq!(&ack.headers[..5], &frame.headers[..]);
        assert_eq!(ack.header("biz_rt"), Some("12"));
        assert_eq!(ack.payload.as_deref(), Some(&b"{\"code\":200}"[..]));
        let failed = frame.ack(500, 0);
        assert_eq!(failed.payload.as_deref(), Some(&b"{\"code\":500}"[..]));
        assert_eq!(frame.header_num("sum"), Some(1));
        assert_eq!(frame.header("nope"), None);
    }

    #[test]
    fn chunks_join_in_seq_order_whatever_order_they_arrive_in() {
        let t = Instant::now();
        let mut c = Chunks::new(Duration::from_secs(5));
        assert_eq!(c.add("m", 3, 2, b"c".to_vec(), t), None);
        assert_eq!(c.add("m", 3, 0, b"a".to_vec(), t), None);
        assert_eq!(c.add("other", 2, 0, b"x".to_vec(), t), None);
        assert_eq!(c.add("m", 3, 1, b"b".to_vec(), t), Some(b"abc".to_vec()));
        assert_eq!(c.pending(), 1, "only the other payload waits");
        assert_eq!(
            c.add("one", 1, 0, b"whole".to_vec(), t),
            Some(b"whole".to_vec())
        );
    }

    #[test]
    fn an_incomplete_payload_expires_and_nonsense_is_dropped() {
        let t = Instant::now();
        let mut c = Chunks::new(Duration::from_secs(5));
        assert_eq!(c.add("m", 2, 0, b"a".to_vec(), t), None);
        let later = t + Duration::from_secs(6);
        assert_eq!(
            c.add("m", 2, 1, b"b".to_vec(), later),
            None,
            "the first chunk expired"
        );
        assert_eq!(c.pending(), 1);
        assert_eq!(c.add("m", 2, 0, b"a".to_vec(), later), Some(b"ab".to_vec()));
        assert_eq!(c.add("m", 2, 2, b"?".to_vec(), later), None);
        assert_eq!(c.add("m", 0, 0, b"?".to_vec(), later), None);
        assert_eq!(c.add("m", 1 << 40, 0, b"?".to_vec(), later), None);
        assert_eq!(c.pending(), 0);
    }

    fn header() -> impl Strategy<Value = Header> {
        (".{0,12}", ".{0,24}").prop_map(|(key, value)| Header { key, value })
    }

    fn frame() -> impl Strategy<Value = Frame> {
        (
            (any::<u64>(), any::<u64>(), any::<i32>(), any::<i32>()),
            proptest::collection::vec(header(), 0..6),
            proptest::option::of(".{0,8}"),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256)),
            proptest::option::of(".{0,8}"),
        )
            .prop_map(
                |((seq_id, log_id, service, method), headers, enc, payload, id)| Frame {
                    seq_id,
                    log_id,
                    service,
                    method,
                    headers,
                    payload_encoding: enc.clone(),
                    payload_type: enc,
                    payload,
                    log_id_new: id,
                },
            )
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let _ = Frame::decode(bytes.as_slice());
        }

        #[test]
        fn a_frame_round_trips(f in frame()) {
            let back = Frame::decode(f.encode_to_vec().as_slice()).unwrap();
            prop_assert_eq!(back, f);
        }

        #[test]
        fn chunks_in_any_order_give_the_payload_back(
            payload in proptest::collection::vec(any::<u8>(), 1..300),
            size in 1usize..64,
            seed in any::<u64>(),
        ) {
            let parts: Vec<Vec<u8>> = payload.chunks(size).map(<[u8]>::to_vec).collect();
            let sum = parts.len() as u64;
            let mut order: Vec<usize> = (0..parts.len()).collect();
            // A cheap deterministic shuffle from the seed.
            let mut s = seed | 1;
            for i in (1..order.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                order.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let t = Instant::now();
            let mut c = Chunks::new(Duration::from_secs(5));
            let mut joined = None;
            for (n, &i) in order.iter().enumerate() {
                let got = c.add("m", sum, i as u64, parts[i].clone(), t);
                prop_assert_eq!(got.is_some(), n + 1 == order.len());
                joined = joined.or(got);
            }
            prop_assert_eq!(joined, Some(payload));
        }
    }
}
