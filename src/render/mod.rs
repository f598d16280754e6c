//! Everything that turns the domain's results into what people read: plain
//! text from the message catalogues, and Telegram-safe HTML (ARCHITECTURE.md
//! rule 7). The domain stays below this module and never calls into it
//! (rule 1), so its rules are checked without a catalogue and a new way of
//! saying things never touches a rule.

pub mod analysis;
pub mod bulletin;
pub mod chart;
pub mod html;
pub mod lights;
pub mod overview;
pub mod page;
pub mod picture;
pub mod report;
pub mod rhythm;
pub mod text;
