//! Feishu (飞书), the second chat platform (issue 16), and the only module
//! that knows it. So far: the event envelope's security (`envelope.rs`).
//! The adapter itself (receiving by long connection or webhook, sending,
//! the simulator) is still to come; nothing calls into this module yet.

pub mod envelope;
