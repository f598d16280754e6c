//! The demo's timeline: every moment the clock stops at, the scheduler's
//! fires and the script's beats merged in order, with the set-up evening
//! and the owners' weekly habits spelled out as beats.

use chrono::{DateTime, NaiveDate, Utc};

use duban::config::Settings;
use duban::domain::schedule::{Job, effective_time, next_fire};

use super::at_local;
use super::script::{self, Act, Beat, Habit, Person, Report, Via, When, Where};

pub type Steps = Vec<(DateTime<Utc>, Vec<Beat>)>;

/// Every moment at which something happens, in order, with what people do
/// then; and the moment the demo ends (the last week's bulletin).
/// `invite_to_leadership`: the admin adds the bot to the leadership chat
/// first (a platform that delivers nothing from a group without the bot).
pub fn timeline(
    settings: &Settings,
    first_monday: NaiveDate,
    start: DateTime<Utc>,
    weeks: u32,
    invite_to_leadership: bool,
) -> anyhow::Result<(Steps, DateTime<Utc>)> {
    let tz = settings.timezone;
    let horizon = at_local(
        first_monday + chrono::Duration::days(7 * i64::from(weeks)),
        0,
        0,
        tz,
    )?;
    // The scheduler must find the clock exactly at each fire: a fire seen
    // late is marked late in the chat.
    let mut fires = Vec::new();
    // The demo plays what people see; housekeeping shows them nothing.
    for job in Job::ALL.into_iter().filter(|j| j.sends()) {
        let mut after = start;
        while let Some(fire) = next_fire(settings.cron(job), tz, after) {
            let at = effective_time(
                fire,
                tz,
                &settings.calendar,
                settings.holiday_shift.contains(&job),
            );
            if fire > horizon {
                break;
            }
            if at <= horizon {
                fires.push((job, at));
            }
            after = fire;
        }
    }
    let until = fires
        .iter()
        .filter(|(job, _)| *job == Job::Bulletin)
        .map(|(_, at)| *at)
        .max()
        .unwrap_or(horizon);

    let mut beats = setup_beats(invite_to_leadership);
    beats.extend(
        script::EVENTS
            .iter()
            .filter(|b| b.when.week < weeks as i32)
            .copied(),
    );
    beats.extend(habit_beats(weeks));
    let mut steps: Vec<(DateTime<Utc>, Vec<Beat>)> = fires
        .iter()
        .filter(|(_, at)| *at <= until)
        .map(|(_, at)| (*at, Vec::new()))
        .collect();
    for b in beats {
        let day = b.when.date(first_monday);
        let at = at_local(day, b.when.hour, b.when.minute, tz)?;
        if at < start || at > until {
            continue;
        }
        steps.push((at, vec![b]));
    }
    // Stable: beats at one moment keep the script's order.
    steps.sort_by_key(|(at, _)| *at);
    let mut merged: Steps = Vec::new();
    for (at, beats) in steps {
        match merged.last_mut() {
            Some((last, list)) if *last == at => list.extend(beats),
            _ => merged.push((at, beats)),
        }
    }
    Ok((merged, until))
}

/// Sunday evening, in every group: the bot is added and bound to its
/// project, and the liaison and the owner are named; and, when asked, the
/// bot is added to the leadership chat.
fn setup_beats(invite_to_leadership: bool) -> Vec<Beat> {
    let when = When::new(-1, chrono::Weekday::Sun, 20, 0);
    let mut out = Vec::new();
    if invite_to_leadership {
        out.push(Beat {
            when,
            place: Where::Leadership,
            who: &script::ADMIN,
            act: Act::AddBot,
        });
    }
    for p in &script::PROJECTS {
        let place = Where::Group(p.code);
        let admin = &script::ADMIN;
        let mut add = |who: &'static Person, act: Act| {
            out.push(Beat {
                when,
                place,
                who,
                act,
            })
        };
        add(admin, Act::AddBot);
        add(admin, Act::Bind);
        add(p.liaison, Act::Introduce);
        add(
            admin,
            Act::ReplyToLast(p.liaison, script::Tr("/setliaison", "/setliaison")),
        );
        add(&p.owner, Act::Introduce);
        add(
            admin,
            Act::ReplyToLast(&p.owner, script::Tr("/setowner", "/setowner")),
        );
    }
    out
}

/// Each owner's weekly report, on their usual day, unless the script has
/// something else for them that week.
fn habit_beats(weeks: u32) -> Vec<Beat> {
    let mut out = Vec::new();
    for week in 0..weeks as i32 {
        for p in &script::PROJECTS {
            let Habit::Reply(day, hour, minute) = p.habit else {
                continue;
            };
            let scripted = script::EVENTS.iter().any(|b| {
                b.when.week == week
                    && matches!(b.place, Where::Group(code) if code == p.code)
                    && matches!(b.act, Act::Report(_) | Act::Forget)
            });
            if scripted {
                continue;
            }
            out.push(Beat {
                when: When::new(week, day, hour, minute),
                place: Where::Group(p.code),
                who: &p.owner,
                act: Act::Report(Report {
                    via: Via::Prompt,
                    extra: None,
                    adjust: 0,
                    broken: false,
                }),
            });
        }
    }
    out
}
