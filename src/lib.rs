//! duban (督办): keeps investment and construction projects on the schedule
//! their owners pledged.

rust_i18n::i18n!("locales", fallback = "zh-CN");

pub mod app;
pub mod bot;
pub mod chat;
pub mod clock;
pub mod config;
pub mod domain;
pub mod faults;
pub mod feishu;
pub mod jobs;
pub mod ops;
pub mod outbound;
pub mod render;
pub mod service;
pub mod sheets;
pub mod store;
pub mod telemetry;
pub mod web;
