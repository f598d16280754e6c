//! A local Telegram Bot API server (being written).
