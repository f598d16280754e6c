//! duban (督办): keeps investment and construction projects on the schedule
//! their owners pledged.

rust_i18n::i18n!("locales", fallback = "zh-CN");

pub mod config;
pub mod domain;
pub mod service;
pub mod store;
pub mod telemetry;
