//! The pages a refused request gets: how to get a link (401), not yours
//! (403), not found (404). They name no project and echo nothing sent.

use super::{Frame, Nav, esc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// No session, or a link forged, malformed or expired.
    NoLink,
    /// A liaison asking for what is not theirs.
    NotYours,
    NotFound,
}

pub fn render(f: &Frame, d: Denial) -> String {
    let (title, text) = match d {
        Denial::NoLink => ("web.denied_title", "web.denied_text"),
        Denial::NotYours => ("web.not_yours_title", "web.not_yours_text"),
        Denial::NotFound => ("web.not_found_title", "web.not_found_text"),
    };
    let body = format!("<p>{}</p>", esc(&f.t(text, &[])));
    f.page(Nav::Other, &f.t(title, &[]), &body)
}
