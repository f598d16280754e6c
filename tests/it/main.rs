//! One integration binary: the store and services on real databases, and
//! the `duban` command line from outside.

// A test is a scenario read top to bottom; the 80-line limit is for the
// product code (ARCHITECTURE.md), not for scenarios.
#![allow(clippy::too_many_lines)]

mod auth;
mod bot;
mod browser;
mod chat_sheets;
mod cli;
mod corrections;
mod demo;
mod export;
mod feishu;
mod feishu_faults;
mod feishu_ws;
mod fuzz;
mod helpers;
mod instance;
mod instances;
mod ops;
mod pictures;
mod replies;
mod retention;
mod retries;
mod rhythm;
mod secrets;
mod sheets;
mod sim;
mod soak;
mod soak_feishu;
mod soak_verify;
mod statements;
mod store;
mod web;
mod web_cache;
mod web_charts;
mod webhook;
