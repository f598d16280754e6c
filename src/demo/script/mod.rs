//! The sample portfolio and what its people do, as data: who is in which
//! chat, each project's pledge, each owner's reporting habit, and the
//! week-by-week events that make a realistic month (a forgotten report, a
//! malformed one corrected, a second report replacing the first, a
//! milestone done late, a slipped pledge, problems solved and one left to
//! escalate).

mod beats;
mod cast;
mod events;
mod portfolio;
mod report;

use chrono::{Datelike, NaiveDate};

use duban::domain::lang::Lang;

pub use beats::{Act, Beat, Report, Via, When, Where};
pub use cast::{
    ADMIN, ENGINEER, LEADER, LEADERSHIP_CHAT, LEADERSHIP_TITLE, LI_NA, OPENED_PRIVATE, Person,
    WANG_QIANG, ZHANG,
};
pub use events::EVENTS;
pub use portfolio::{Habit, PROJECTS, portfolio_csv, project};
pub use report::report_text;

/// A text in both languages the demo speaks.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub &'static str, pub &'static str);

impl Tr {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::ZhCn => self.0,
            Lang::En => self.1,
        }
    }
}

/// The two project groups and the private chat the transcript shows.
pub const SHOWN_GROUPS: [&str; 2] = ["P2026-001", "P2026-004"];
pub static SHOWN_LIAISON: &Person = &ZHANG;

/// The first Monday after `date`.
pub fn next_monday(date: NaiveDate) -> NaiveDate {
    let ahead = 7 - date.weekday().num_days_from_monday();
    date + chrono::Duration::days(i64::from(ahead))
}
