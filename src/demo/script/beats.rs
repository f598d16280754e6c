//! The vocabulary of the script: where, when and by whom something is
//! done, and what it is.

use chrono::{NaiveDate, Weekday};

use super::Tr;
use super::cast::Person;

/// Where something is said.
#[derive(Debug, Clone, Copy)]
pub enum Where {
    Group(&'static str),
    /// The person's private chat with the bot.
    Private(&'static Person),
    Leadership,
}

/// How a weekly report is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In reply to this week's prompt.
    Prompt,
    /// `/report` and the lines.
    Command,
}

#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub via: Via,
    /// Lines after the usual ones (a milestone done, a problem, a note).
    pub extra: Option<Tr>,
    /// Added to the progress the habit would report (a correction).
    pub adjust: i8,
    /// The progress written in words, which the parser refuses.
    pub broken: bool,
}

impl Report {
    pub const fn new(via: Via) -> Self {
        Report {
            via,
            extra: None,
            adjust: 0,
            broken: false,
        }
    }

    pub const fn with(mut self, extra: Tr) -> Self {
        self.extra = Some(extra);
        self
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Act {
    /// The bot is added to the group.
    AddBot,
    /// `/bind` the group's project.
    Bind,
    /// A liaison or an owner says who they are (the message that
    /// /setliaison or /setowner then answers).
    Introduce,
    /// A command, or anything else the bot answers.
    Say(Tr),
    /// Talk among people that the bot does not answer.
    Chatter(Tr),
    /// A reply to `to`'s last message here (how /setowner and /setliaison
    /// name their person).
    ReplyToLast(&'static Person, Tr),
    /// This week's report of the group's project (by its owner); replaces
    /// the owner's habit that week.
    Report(Report),
    /// The owner lets the week pass without reporting.
    Forget,
    /// `/resolve ID note`, the ID being the one the bot gave the problem
    /// containing `needle` in `group`.
    Resolve {
        group: &'static str,
        needle: Tr,
        note: Tr,
    },
}

/// When, relative to the demo's weeks: week 0 starts on the Monday after
/// the demo starts; week -1 is the Sunday evening of set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct When {
    pub week: i32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

impl When {
    pub const fn new(week: i32, day: Weekday, hour: u32, minute: u32) -> Self {
        When {
            week,
            day: day.num_days_from_monday(),
            hour,
            minute,
        }
    }

    pub fn date(self, first_monday: NaiveDate) -> NaiveDate {
        first_monday + chrono::Duration::days(i64::from(self.week) * 7 + i64::from(self.day))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Beat {
    pub when: When,
    pub place: Where,
    pub who: &'static Person,
    pub act: Act,
}
