//! The dashboard's signed links: who they are for, what they may see and
//! until when, under an HMAC-SHA256 of the server's secret (`web.secret`).
//! The same token, once opened, is the session cookie, so a session lasts
//! no longer than its link and changing the secret ends every session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::Settings;
use crate::domain::ids::PersonRef;
use crate::store::{Conn, StoreError, secrets};

type HmacSha256 = Hmac<Sha256>;

/// What a link lets its holder see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole portfolio: leadership and admins.
    All,
    /// The projects the person is liaison of, looked up at each request,
    /// so that a role taken away is gone from the next page on.
    Liaison,
}

impl Scope {
    fn code(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Liaison => "liaison",
        }
    }

    fn from_code(s: &str) -> Option<Scope> {
        [Scope::All, Scope::Liaison]
            .into_iter()
            .find(|c| c.code() == s)
    }
}

/// A link's claims, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub person: PersonRef,
    pub scope: Scope,
    pub expires: DateTime<Utc>,
}

/// Why a token is refused; the page says how to get a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("no session: open the link /web gives")]
    Missing,
    #[error("not a link duban made")]
    Malformed,
    #[error("the link's signature does not match")]
    Forged,
    #[error("the link has expired")]
    Expired,
}

/// The key links are signed with: kept out of `Debug` and of every log.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(…)")
    }
}

impl Signer {
    pub fn new(secret: &str) -> Signer {
        Signer {
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(payload);
        mac
    }

    /// The token for `grant`: its claims, readable, and their signature.
    pub fn sign(&self, grant: &Grant) -> String {
        let payload = format!(
            "{}\n{}\n{}",
            grant.person,
            grant.scope.code(),
            grant.expires.timestamp()
        );
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The grant `token` carries, if this server signed it and it is still
    /// valid at `now`. The signature is checked (in constant time) before
    /// anything in the claims is believed.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Grant, LinkError> {
        let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| LinkError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Malformed)?;
        self.mac(&payload)
            .verify_slice(&tag)
            .map_err(|_| LinkError::Forged)?;
        let text = String::from_utf8(payload).map_err(|_| LinkError::Malformed)?;
        let mut parts = text.split('\n');
        let (Some(person), Some(scope), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let person = person.parse().map_err(|_| LinkError::Malformed)?;
        let scope = Scope::from_code(scope).ok_or(LinkError::Malformed)?;
        let expires = expires
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(LinkError::Malformed)?;
        if expires <= now {
            return Err(LinkError::Expired);
        }
        Ok(Grant {
            person,
            scope,
            expires,
        })
    }
}

/// The name the generated secret is kept under (`src/store/secrets.rs`).
const SECRET_NAME: &str = "web.secret";

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("web.secret: cannot generate one: {0}")]
    Random(std::io::Error),
    #[error("web.secret: {0}")]
    Store(#[from] StoreError),
}

/// The signer of this server: `web.secret` from the environment, else the
/// one kept in the database (made now if this is the first time).
pub async fn signer(conn: &mut Conn, settings: &Settings) -> Result<Signer, SignerError> {
    if let Some(s) = &settings.web.secret {
        return Ok(Signer::new(secrecy::ExposeSecret::expose_secret(s)));
    }
    let fresh = fresh_secret().map_err(SignerError::Random)?;
    let kept = secrets::get_or_insert(conn, SECRET_NAME, &fresh).await?;
    Ok(Signer::new(&kept))
}

/// A link for `person` with `scope`, valid `web.link_days` from `now`.
pub fn link(
    signer: &Signer,
    settings: &Settings,
    person: &PersonRef,
    scope: Scope,
    now: DateTime<Utc>,
) -> Link {
    let expires = now + chrono::Duration::days(settings.web.link_days);
    let token = signer.sign(&Grant {
        person: person.clone(),
        scope,
        expires,
    });
    Link {
        url: format!("{}/login?t={token}", settings.web.url),
        expires,
    }
}

/// A signed link and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub expires: DateTime<Utc>,
}

/// A fresh secret for a server whose environment gives none: 32 random
/// bytes from the operating system.
pub fn fresh_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, 0, 0).unwrap()
    }

    fn grant() -> Grant {
        Grant {
            person: "telegram:1001".parse().unwrap(),
            scope: Scope::Liaison,
            expires: at(12),
        }
    }

    #[test]
    fn a_signed_link_reads_back_until_it_expires_and_not_after() {
        let s = Signer::new("a secret of sixteen+");
        let token = s.sign(&grant());
        assert_eq!(s.verify(&token, at(11)), Ok(grant()));
        assert_eq!(s.verify(&token, at(12)), Err(LinkError::Expired));
    }

    #[test]
    fn a_link_signed_with_another_secret_or_with_its_claims_changed_is_forged() {
        let token = Signer::new("a secret of sixteen+").sign(&grant());
        let other = Signer::new("another secret, same size");
        assert_eq!(other.verify(&token, at(11)), Err(LinkError::Forged));
        let (_, tag) = token.split_once('.').unwrap();
        let claims = URL_SAFE_NO_PAD.encode("telegram:1001\nall\n1900000000");
        let s = Signer::new("a secret of sixteen+");
        assert_eq!(
            s.verify(&format!("{claims}.{tag}"), at(11)),
            Err(LinkError::Forged)
        );
    }

    #[test]
    fn text_that_is_not_a_token_is_malformed_not_a_panic() {
        let s = Signer::new("a secret of sixteen+");
        for t in ["", ".", "abc", "a.b.c", "!!.!!", "YQ.YQ"] {
            assert!(
                matches!(
                    s.verify(t, at(11)),
                    Err(LinkError::Malformed | LinkError::Forged)
                ),
                "{t}"
            );
        }
    }

    #[test]
    fn fresh_secrets_differ() {
        assert_ne!(fresh_secret().unwrap(), fresh_secret().unwrap());
    }
}
