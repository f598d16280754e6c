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

/// Everyone in the demo: the zone office, its liaisons, a leader, an
/// engineer, and each project's owner.
pub fn everyone() -> impl Iterator<Item = &'static Person> {
    [&ADMIN, &ZHANG, &LI_NA, &WANG_QIANG, &LEADER, &ENGINEER]
        .into_iter()
        .chain(PROJECTS.iter().map(|p| &p.owner))
}

/// Who is in a group: the admin, who sets every group up; a project's
/// liaison and owner; anyone the script has speak there. (A platform that
/// checks membership, as Feishu does, needs the list.)
pub fn members(place: Where) -> Vec<&'static Person> {
    let mut out: Vec<&'static Person> = vec![&ADMIN];
    if let Where::Group(code) = place {
        let p = project(code);
        out.extend([p.liaison, &p.owner]);
    }
    let same = |a: Where, b: Where| match (a, b) {
        (Where::Group(x), Where::Group(y)) => x == y,
        (Where::Leadership, Where::Leadership) => true,
        _ => false,
    };
    for b in EVENTS.iter().filter(|b| same(b.place, place)) {
        out.push(b.who);
    }
    out.sort_by_key(|p| p.id);
    out.dedup_by_key(|p| p.id);
    out
}
