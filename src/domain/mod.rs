//! Pure rules of the portfolio: no I/O, no clock; every function takes `now`
//! and plain values and returns a decision or data. Turning those into text
//! is `render`'s work.

pub mod analysis;
pub mod bulletin;
pub mod calendar;
pub mod commands;
pub mod history;
pub mod ids;
pub mod import;
pub mod indicators;
pub mod lang;
pub mod model;
pub mod money;
pub mod outgoing;
pub mod overview;
pub mod ranking;
pub mod report;
pub mod rhythm;
pub mod schedule;
pub mod status;
pub mod time;
