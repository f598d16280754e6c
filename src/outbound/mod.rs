//! What every platform's adapter does to its outgoing messages the same way:
//! pacing them within the platform's rate limits (`pace.rs`, ARCHITECTURE.md
//! rule 6) and cutting a text longer than the platform takes (`split.rs`).
//! The limits themselves are each adapter's.

pub mod pace;
pub mod split;
