//! One integration binary: the store and services on real databases, and
//! the `duban` command line from outside.

mod auth;
mod bot;
mod cli;
mod demo;
mod fuzz;
mod helpers;
mod rhythm;
mod secrets;
mod sim;
mod soak;
mod store;
