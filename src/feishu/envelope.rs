//! What guards an event Feishu POSTs to a webhook (../shared/feishu-wire-format.md,
//! section 2): the body may be `{"encrypt": …}`, AES-256-CBC under the
//! SHA-256 of the app's Encrypt Key with the IV in front, PKCS#7-padded and
//! base64-encoded; and `X-Lark-Signature` is the lowercase hex SHA-256 of
//! the request's timestamp, nonce, the Encrypt Key and the raw body. The
//! key never reaches an error message or a log line.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// AES's block, and the IV in front of the ciphertext.
const BLOCK: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("feishu event: its `encrypt` field is not base64")]
    NotBase64,
    #[error("feishu event: its encrypted body is {0} bytes, not an IV and whole AES blocks")]
    Length(usize),
    #[error(
        "feishu event: its body does not decrypt with the Encrypt Key (wrong key, or not Feishu's)"
    )]
    Padding,
    #[error("feishu event: its decrypted body is not UTF-8 text")]
    NotUtf8,
}

/// The plaintext of an `encrypt` field.
pub fn decrypt(encrypt_key: &str, encrypted: &str) -> Result<String, EnvelopeError> {
    let key = Sha256::digest(encrypt_key.as_bytes());
    let raw = STANDARD
        .decode(encrypted.trim())
        .map_err(|_| EnvelopeError::NotBase64)?;
    if raw.len() < 2 * BLOCK || raw.len() % BLOCK != 0 {
        return Err(EnvelopeError::Length(raw.len()));
    }
    let (iv, body) = raw.split_at(BLOCK);
    let mut buf = body.to_vec();
    let plain = cbc::Decryptor::<Aes256>::new_from_slices(&key, iv)
        .map_err(|_| EnvelopeError::Length(raw.len()))?
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .map_err(|_| EnvelopeError::Padding)?;
    String::from_utf8(plain.to_vec()).map_err(|_| EnvelopeError::NotUtf8)
}

/// `X-Lark-Signature` as Feishu computes it for these request headers and
/// this raw body.
pub fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(timestamp.as_bytes());
    h.update(nonce.as_bytes());
    h.update(encrypt_key.as_bytes());
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `given` (the header's value) is the body's signature, compared
/// in constant time; case does not matter, as in the SDKs' hex.
pub fn signed(given: &str, timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> bool {
    let expected = signature(timestamp, nonce, encrypt_key, body);
    let given = given.trim().to_ascii_lowercase();
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decryption sample of Feishu's documents
    /// (../shared/feishu-wire-format.md, section 2).
    const SAMPLE: &str = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=";

    #[test]
    fn the_documents_sample_decrypts_to_hello_world() {
        assert_eq!(decrypt("test key", SAMPLE).as_deref(), Ok("hello world"));
    }

    #[test]
    fn another_key_a_cut_body_or_no_base64_is_refused_by_name() {
        assert_eq!(decrypt("another key", SAMPLE), Err(EnvelopeError::Padding));
        let cut = STANDARD.encode(&STANDARD.decode(SAMPLE).unwrap()[..24]);
        assert_eq!(decrypt("test key", &cut), Err(EnvelopeError::Length(24)));
        assert_eq!(
            decrypt("test key", "not base64 ✗"),
            Err(EnvelopeError::NotBase64)
        );
        let message = EnvelopeError::Padding.to_string();
        assert!(!message.contains("test key"), "{message}");
    }

    #[test]
    fn the_signature_is_the_hex_sha256_of_timestamp_nonce_key_and_body() {
        let body = br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
        // Computed apart, with Python's hashlib, from the formula in
        // ../shared/feishu-wire-format.md.
        let expected = "b64300ab21f133589de3695ca64af9daf2f352b409f62559ab3cfed047f3207e";
        assert_eq!(
            signature("1608725989", "nonce-4f2a", "test key", body),
            expected
        );
        assert!(signed(
            expected,
            "1608725989",
            "nonce-4f2a",
            "test key",
            body
        ));
        assert!(signed(
            &expected.to_uppercase(),
            "1608725989",
            "nonce-4f2a",
            "test key",
            body
        ));
        assert!(!signed(
            expected,
            "1608725990",
            "nonce-4f2a",
            "test key",
            body
        ));
        assert!(!signed(
            &expected[..63],
            "1608725989",
            "nonce-4f2a",
            "test key",
            body
        ));
        assert!(!signed("", "1608725989", "nonce-4f2a", "test key", body));
    }

    proptest::proptest! {
        /// Whatever bytes arrive, the reader answers without a panic, and
        /// refuses by length exactly those that are no IV and whole blocks.
        #[test]
        fn any_body_is_read_or_refused_and_by_length_only_when_cut(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)
        ) {
            let read = decrypt("test key", &STANDARD.encode(&bytes));
            let whole = bytes.len() >= 2 * BLOCK && bytes.len() % BLOCK == 0;
            proptest::prop_assert_eq!(matches!(read, Err(EnvelopeError::Length(_))), !whole);
        }
    }
}
