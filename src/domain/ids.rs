//! Who and where on a chat platform: a platform and the id it gives a chat
//! or a person, parsed once at the adapter's edge and carried typed through
//! the core, the store and the jobs. Only the platform adapter reads the id
//! itself (Telegram's are numbers, Feishu's `oc_…`/`ou_…` text); the core
//! compares and stores them whole.
//!
//! Written form, in configuration, the ledger and the history: `platform:id`,
//! where a bare id stays a Telegram one (what every row and setting written
//! before there was a second platform holds).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A chat platform duban serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    Telegram,
    /// Feishu (飞书), and Lark, its international twin on the same API.
    Feishu,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::Telegram, Platform::Feishu];

    /// The name stored in the database and written before an id.
    pub fn code(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::Feishu => "feishu",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("unknown chat platform '{0}' (expected telegram or feishu)")]
    UnknownPlatform(String),
    #[error("empty id")]
    Empty,
}

impl FromStr for Platform {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.code() == s.trim())
            .ok_or_else(|| IdError::UnknownPlatform(s.trim().to_string()))
    }
}

/// Splits `platform:id`; a bare id (no known platform before a colon) is a
/// Telegram one.
fn parse_ref(s: &str) -> Result<(Platform, String), IdError> {
    let s = s.trim();
    let (platform, id) = match s.split_once(':') {
        Some((p, id)) if p.chars().all(|c| c.is_ascii_alphabetic()) && !p.is_empty() => {
            (p.parse()?, id)
        }
        _ => (Platform::Telegram, s),
    };
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    Ok((platform, id.to_string()))
}

macro_rules! platform_ref {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            pub platform: Platform,
            /// The id the platform gives it, as the platform writes it.
            pub id: String,
        }

        impl $name {
            pub fn new(platform: Platform, id: impl Into<String>) -> Self {
                $name { platform, id: id.into() }
            }

            /// The key it is stored under (the outbox ledger's chat key, the
            /// dialogues' keys): the bare id for Telegram, as before there
            /// was a second platform, `platform:id` for the others.
            pub fn key(&self) -> String {
                match self.platform {
                    Platform::Telegram => self.id.clone(),
                    _ => self.to_string(),
                }
            }
        }

        /// `platform:id`, as recorded in the history (`submitted_by`).
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}:{}", self.platform, self.id)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let (platform, id) = parse_ref(s)?;
                Ok($name { platform, id })
            }
        }

        /// Serialised as its key, so payloads written before the type
        /// existed (a bare Telegram id) still read.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.key())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

platform_ref!(
    /// A chat on a platform: a group, or a person's private chat with the bot.
    ChatRef
);

platform_ref!(
    /// A person's account on a platform.
    PersonRef
);

impl PersonRef {
    /// The person's private chat with the bot. On every platform served so
    /// far it is addressed by the person's own id.
    pub fn private_chat(&self) -> ChatRef {
        ChatRef::new(self.platform, self.id.clone())
    }
}

/// What kind of chat a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatKind {
    /// A person's own chat with the bot.
    Private,
    Group,
    /// A large group (Telegram's supergroups; a basic group can become one).
    Supergroup,
}

impl ChatKind {
    /// The name stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
        }
    }

    pub fn is_group(self) -> bool {
        self != ChatKind::Private
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chat kind '{0}' (expected private, group or supergroup)")]
pub struct UnknownChatKind(pub String);

impl FromStr for ChatKind {
    type Err = UnknownChatKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [ChatKind::Private, ChatKind::Group, ChatKind::Supergroup]
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownChatKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_id_is_a_telegram_one_and_keys_stay_as_they_were() {
        let chat: ChatRef = "-1001".parse().unwrap();
        assert_eq!(chat, ChatRef::new(Platform::Telegram, "-1001"));
        assert_eq!(chat.key(), "-1001");
        assert_eq!(chat.to_string(), "telegram:-1001");
        assert_eq!("telegram:-1001".parse::<ChatRef>().unwrap(), chat);
    }

    #[test]
    fn an_unknown_platform_or_an_empty_id_is_refused() {
        assert_eq!(
            "slack:C1".parse::<PersonRef>(),
            Err(IdError::UnknownPlatform("slack".into()))
        );
        assert_eq!("telegram:".parse::<PersonRef>(), Err(IdError::Empty));
        assert_eq!(" ".parse::<PersonRef>(), Err(IdError::Empty));
    }

    #[test]
    fn refs_serialise_as_their_key_and_read_back() {
        let p = PersonRef::new(Platform::Telegram, "42");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"42\"");
        assert_eq!(serde_json::from_str::<PersonRef>(&json).unwrap(), p);
        assert_eq!(p.private_chat().key(), "42");
    }

    #[test]
    fn a_feishu_ref_is_written_with_its_platform_everywhere() {
        let person: PersonRef = "feishu:ou_84aad35d".parse().unwrap();
        assert_eq!(person, PersonRef::new(Platform::Feishu, "ou_84aad35d"));
        assert_eq!(person.key(), "feishu:ou_84aad35d");
        let json = serde_json::to_string(&person).unwrap();
        assert_eq!(serde_json::from_str::<PersonRef>(&json).unwrap(), person);
        let chat = person.private_chat();
        assert_eq!(chat.key(), "feishu:ou_84aad35d");
        assert_ne!(chat, ChatRef::new(Platform::Telegram, "ou_84aad35d"));
    }

    #[test]
    fn chat_kinds_read_back_from_their_codes() {
        for k in [ChatKind::Private, ChatKind::Group, ChatKind::Supergroup] {
            assert_eq!(k.code().parse::<ChatKind>(), Ok(k));
        }
        assert!("channel".parse::<ChatKind>().is_err());
    }
}
