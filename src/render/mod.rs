//! Everything that turns the domain's results into what people read: plain
//! text from the message catalogues, and Telegram-safe HTML. The domain
//! stays below this module and never calls into it, so its rules can be
//! checked without a catalogue and a new way of saying things never touches
//! a rule.

pub mod analysis;
pub mod bulletin;
pub mod html;
pub mod overview;
pub mod report;
pub mod rhythm;
pub mod text;
