//! Use cases shared by the command line, the bot and the jobs: each wires the
//! pure domain to the store, in one transaction where it writes.

pub mod import;
pub mod links;
pub mod portfolio;
pub mod reports;
