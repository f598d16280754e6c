//! What every platform's adapter does to its outgoing messages the same way:
//! pacing them within the platform's rate limits (`pace.rs`, ARCHITECTURE.md
//! rule 6), cutting a text longer than the platform takes (`split.rs`), and
//! recording what a refusal says about a person or a chat (`reach.rs`).
//! The limits and the refusals' codes are each adapter's.

pub mod pace;
pub mod reach;
pub mod split;
