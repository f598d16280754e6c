//! The long connection's protobuf frames (../shared/feishu-wire-format.md
//! §3), `pbbp2.Header` and `pbbp2.Frame` (proto2), derived by hand: every
//! required field is written even when 0, as the SDKs' parsers insist.

/// `method` of pings and pongs.
pub(crate) const CONTROL: i32 = 0;
/// `method` of events and their ACKs.
pub(crate) const DATA: i32 = 1;

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub(crate) struct Header {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, required, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub(crate) struct Frame {
    #[prost(uint64, required, tag = "1")]
    pub seq_id: u64,
    #[prost(uint64, required, tag = "2")]
    pub log_id: u64,
    #[prost(int32, required, tag = "3")]
    pub service: i32,
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

impl Frame {
    pub(crate) fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
    }
}

pub(crate) fn header(key: &str, value: impl Into<String>) -> Header {
    Header {
        key: key.to_owned(),
        value: value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn required_fields_are_written_even_when_zero() {
        let ping = Frame {
            headers: vec![header("type", "ping")],
            ..Frame::default()
        };
        let bytes = ping.encode_to_vec();
        assert_eq!(&bytes[..8], &[0x08, 0, 0x10, 0, 0x18, 0, 0x20, 0]);
        let back = Frame::decode(bytes.as_slice()).unwrap();
        assert_eq!(back.header("type"), Some("ping"));
        assert_eq!(back.header("seq"), None);
    }
}
