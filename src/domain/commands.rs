//! The chat commands, how their text is read, and who may use which where.
//! One table decides both refusals and what `/help` lists, so the two can
//! never disagree.

use super::time::{DateError, Due, parse_pledge_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Start,
    Help,
    NewProject,
    Bind,
    Pledge,
    Report,
    Done,
    Problem,
    Resolve,
    Status,
    Overdue,
    Export,
    Web,
    SetOwner,
    SetLiaison,
    Subscribe,
    Lang,
    Cancel,
}

impl Command {
    pub const ALL: [Command; 18] = [
        Command::Start,
        Command::Help,
        Command::NewProject,
        Command::Bind,
        Command::Pledge,
        Command::Report,
        Command::Done,
        Command::Problem,
        Command::Resolve,
        Command::Status,
        Command::Overdue,
        Command::Export,
        Command::Web,
        Command::SetOwner,
        Command::SetLiaison,
        Command::Subscribe,
        Command::Lang,
        Command::Cancel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::NewProject => "newproject",
            Command::Bind => "bind",
            Command::Pledge => "pledge",
            Command::Report => "report",
            Command::Done => "done",
            Command::Problem => "problem",
            Command::Resolve => "resolve",
            Command::Status => "status",
            Command::Overdue => "overdue",
            Command::Export => "export",
            Command::Web => "web",
            Command::SetOwner => "setowner",
            Command::SetLiaison => "setliaison",
            Command::Subscribe => "subscribe",
            Command::Lang => "lang",
            Command::Cancel => "cancel",
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        let lower = name.to_ascii_lowercase();
        Command::ALL.into_iter().find(|c| c.name() == lower)
    }

    /// Catalogue key of the one-line description (`/help`, setMyCommands).
    pub fn help_key(self) -> String {
        format!("cmd.{}", self.name())
    }
}

/// A command as typed: `/name@bot args`, args possibly over several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Known(Command, String),
    /// A command we do not have, addressed to no bot in particular (in a
    /// group it may be another bot's).
    Unknown(String),
    /// A command we do not have, addressed to us by name (`/foo@duban_bot`).
    UnknownToUs(String),
    /// Addressed to another bot (`/cmd@other_bot`): not ours to answer.
    OtherBot,
}

/// Reads a message that starts with `/`. `None` when it is not a command.
pub fn parse_command(text: &str, bot_username: &str) -> Option<Parsed> {
    let rest = text.strip_prefix('/')?;
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let (head, args) = rest.split_at(end);
    if head.is_empty() {
        return None;
    }
    let (name, to_us) = match head.split_once('@') {
        Some((name, bot)) if bot.eq_ignore_ascii_case(bot_username) => (name, true),
        Some(_) => return Some(Parsed::OtherBot),
        None => (head, false),
    };
    let args = args.trim_start_matches([' ', '\t']);
    let args = args
        .strip_prefix("\r\n")
        .or_else(|| args.strip_prefix('\n'))
        .unwrap_or(args);
    Some(match Command::from_name(name) {
        Some(c) => Parsed::Known(c, args.trim_end().to_string()),
        None if to_us => Parsed::UnknownToUs(name.to_string()),
        None => Parsed::Unknown(name.to_string()),
    })
}

/// What the person is, here and in general.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    /// Listed in `admins`.
    pub admin: bool,
    /// Liaison of the project this chat is bound to.
    pub liaison_here: bool,
    /// Liaison of any project, or listed in `liaisons`.
    pub liaison_anywhere: bool,
    /// Owner contact of the project this chat is bound to.
    pub owner_here: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A private chat with the bot.
    Private,
    /// A group not bound to any project.
    Group,
    /// A group bound to a project.
    ProjectGroup,
    /// A chat subscribed to bulletins.
    Leadership,
}

/// Why a command is refused; each has its own polite text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Only an administrator may.
    AdminOnly,
    /// Only an administrator or a liaison may.
    LiaisonOnly,
    /// Must be used in a project's group.
    ProjectGroupOnly,
    /// Must be used in a group.
    GroupOnly,
    /// Not available in this chat at all.
    NotHere,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::AdminOnly => "refuse.admin_only",
            Refusal::LiaisonOnly => "refuse.liaison_only",
            Refusal::ProjectGroupOnly => "refuse.project_group_only",
            Refusal::GroupOnly => "refuse.group_only",
            Refusal::NotHere => "refuse.not_here",
        }
    }
}

/// May a person with `roles` use `cmd` in `place`? the command table of README.md.
pub fn authorize(cmd: Command, roles: Roles, place: Place) -> Result<(), Refusal> {
    use Command::*;
    let liaison_here = roles.admin || roles.liaison_here;
    let liaison_anywhere = roles.admin || roles.liaison_anywhere || roles.liaison_here;
    let in_group = matches!(place, Place::Group | Place::ProjectGroup);
    match cmd {
        Start | Help | Cancel => Ok(()),
        NewProject | Bind => {
            if !in_group {
                Err(Refusal::GroupOnly)
            } else if !liaison_anywhere {
                Err(Refusal::LiaisonOnly)
            } else {
                Ok(())
            }
        }
        Pledge | SetOwner | SetLiaison => {
            if place != Place::ProjectGroup {
                Err(Refusal::ProjectGroupOnly)
            } else if !liaison_here {
                Err(Refusal::LiaisonOnly)
            } else {
                Ok(())
            }
        }
        Report | Done | Problem => {
            if place == Place::ProjectGroup {
                Ok(())
            } else {
                Err(Refusal::ProjectGroupOnly)
            }
        }
        Resolve => {
            if liaison_anywhere {
                Ok(())
            } else {
                Err(Refusal::LiaisonOnly)
            }
        }
        Status => match place {
            Place::ProjectGroup | Place::Leadership => Ok(()),
            _ if liaison_anywhere => Ok(()),
            _ => Err(Refusal::NotHere),
        },
        Overdue => {
            if place == Place::Leadership || liaison_anywhere {
                Ok(())
            } else {
                Err(Refusal::LiaisonOnly)
            }
        }
        // The workbook, and the dashboard's link: a liaison's own projects
        // (an admin's: all) in their private chat, where no one else reads
        // it; all of them in a leadership chat, whose members read the
        // bulletin anyway.
        Export | Web => match place {
            Place::Leadership => Ok(()),
            Place::Private if liaison_anywhere => Ok(()),
            Place::Private => Err(Refusal::LiaisonOnly),
            _ => Err(Refusal::NotHere),
        },
        Subscribe => {
            if roles.admin {
                Ok(())
            } else {
                Err(Refusal::AdminOnly)
            }
        }
        // Anyone chooses the language of their own private chat; a project
        // group's is its liaisons' choice; other chats' the admins'.
        Lang => match place {
            Place::Private => Ok(()),
            _ if roles.admin => Ok(()),
            Place::ProjectGroup if roles.liaison_here => Ok(()),
            Place::ProjectGroup => Err(Refusal::LiaisonOnly),
            _ => Err(Refusal::AdminOnly),
        },
    }
}

/// The commands `/help` shows this person here.
pub fn available(roles: Roles, place: Place) -> Vec<Command> {
    Command::ALL
        .into_iter()
        .filter(|c| *c != Command::Start && authorize(*c, roles, place).is_ok())
        .collect()
}

/// One line of `/pledge`: a milestone name, then its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeLine {
    pub line: usize,
    pub name: String,
    pub date: Due,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PledgeError {
    #[error("no milestones given")]
    Empty,
    #[error("line {line} '{text}': expected a milestone name and a date")]
    Shape { line: usize, text: String },
    #[error("line {line} '{text}': {source}")]
    Date {
        line: usize,
        text: String,
        source: DateError,
    },
    #[error("line {line} '{text}': milestone listed twice")]
    Duplicate { line: usize, text: String },
    #[error("line {line}: a milestone name may have at most {limit} characters")]
    NameTooLong {
        line: usize,
        text: String,
        limit: usize,
    },
    #[error("at most {limit} milestones at once")]
    TooMany { limit: usize },
}

/// Longest milestone name, and most milestones in one `/pledge`.
pub const MAX_MILESTONE_NAME: usize = 100;
pub const MAX_PLEDGE_LINES: usize = 50;

/// Reads `/pledge` lines `milestone YYYY-MM-DD` (name may contain spaces).
pub fn parse_pledge(text: &str) -> Result<Vec<PledgeLine>, PledgeError> {
    let mut out: Vec<PledgeLine> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let shape = || PledgeError::Shape {
            line: n,
            text: line.to_string(),
        };
        let (name, date) = line.rsplit_once(char::is_whitespace).ok_or_else(shape)?;
        let name = name.trim().trim_end_matches([':', '：']).trim();
        if name.is_empty() {
            return Err(shape());
        }
        if name.chars().count() > MAX_MILESTONE_NAME {
            return Err(PledgeError::NameTooLong {
                line: n,
                text: line.chars().take(40).collect(),
                limit: MAX_MILESTONE_NAME,
            });
        }
        if out.len() == MAX_PLEDGE_LINES {
            return Err(PledgeError::TooMany {
                limit: MAX_PLEDGE_LINES,
            });
        }
        let date = parse_pledge_date(date).map_err(|source| PledgeError::Date {
            line: n,
            text: line.to_string(),
            source,
        })?;
        if out.iter().any(|p| p.name == name) {
            return Err(PledgeError::Duplicate {
                line: n,
                text: line.to_string(),
            });
        }
        out.push(PledgeLine {
            line: n,
            name: name.to_string(),
            date,
        });
    }
    if out.is_empty() {
        return Err(PledgeError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_commands_as_telegram_sends_them() {
        let p = |t| parse_command(t, "duban_bot");
        assert_eq!(
            p("/help"),
            Some(Parsed::Known(Command::Help, String::new()))
        );
        assert_eq!(
            p("/newproject@Duban_Bot P1 新能源 项目"),
            Some(Parsed::Known(Command::NewProject, "P1 新能源 项目".into()))
        );
        assert_eq!(
            p("/pledge\n开工 2026-12-01\n竣工 2027-06-30"),
            Some(Parsed::Known(
                Command::Pledge,
                "开工 2026-12-01\n竣工 2027-06-30".into()
            ))
        );
        assert_eq!(p("/help@other_bot"), Some(Parsed::OtherBot));
        assert_eq!(
            p("/frobnicate x"),
            Some(Parsed::Unknown("frobnicate".into()))
        );
        assert_eq!(
            p("/frobnicate@duban_bot"),
            Some(Parsed::UnknownToUs("frobnicate".into()))
        );
        assert_eq!(p("hello"), None);
        assert_eq!(p("/"), None);
    }

    #[test]
    fn export_is_for_liaisons_privately_and_for_leadership_chats() {
        let admin = Roles {
            admin: true,
            ..Default::default()
        };
        let other_liaison = Roles {
            liaison_anywhere: true,
            ..Default::default()
        };
        let stranger = Roles::default();
        let cases = [
            (other_liaison, Place::Private, Ok(())),
            (stranger, Place::Private, Err(Refusal::LiaisonOnly)),
            (stranger, Place::Leadership, Ok(())),
            (admin, Place::ProjectGroup, Err(Refusal::NotHere)),
            (admin, Place::Group, Err(Refusal::NotHere)),
        ];
        for (roles, place, expected) in cases {
            assert_eq!(
                authorize(Command::Export, roles, place),
                expected,
                "{place:?}"
            );
        }
    }

    #[test]
    fn the_command_table_of_the_spec() {
        let stranger = Roles::default();
        let admin = Roles {
            admin: true,
            ..Default::default()
        };
        let liaison = Roles {
            liaison_here: true,
            liaison_anywhere: true,
            ..Default::default()
        };
        let other_liaison = Roles {
            liaison_anywhere: true,
            ..Default::default()
        };
        assert_eq!(
            authorize(Command::Pledge, stranger, Place::ProjectGroup),
            Err(Refusal::LiaisonOnly)
        );
        assert_eq!(
            authorize(Command::Pledge, other_liaison, Place::ProjectGroup),
            Err(Refusal::LiaisonOnly)
        );
        assert_eq!(
            authorize(Command::Pledge, liaison, Place::ProjectGroup),
            Ok(())
        );
        assert_eq!(
            authorize(Command::Pledge, admin, Place::Private),
            Err(Refusal::ProjectGroupOnly)
        );
        assert_eq!(
            authorize(Command::Report, stranger, Place::ProjectGroup),
            Ok(())
        );
        assert_eq!(
            authorize(Command::Report, admin, Place::Group),
            Err(Refusal::ProjectGroupOnly)
        );
        assert_eq!(
            authorize(Command::NewProject, other_liaison, Place::Group),
            Ok(())
        );
        assert_eq!(
            authorize(Command::NewProject, admin, Place::Private),
            Err(Refusal::GroupOnly)
        );
        assert_eq!(
            authorize(Command::Subscribe, liaison, Place::Group),
            Err(Refusal::AdminOnly)
        );
        assert_eq!(
            authorize(Command::Status, stranger, Place::Leadership),
            Ok(())
        );
        assert_eq!(
            authorize(Command::Status, stranger, Place::Private),
            Err(Refusal::NotHere)
        );
        assert_eq!(
            authorize(Command::Overdue, stranger, Place::Leadership),
            Ok(())
        );
        assert_eq!(
            authorize(Command::Overdue, stranger, Place::ProjectGroup),
            Err(Refusal::LiaisonOnly)
        );
        assert_eq!(
            authorize(Command::Resolve, other_liaison, Place::Private),
            Ok(())
        );
    }

    #[test]
    fn help_lists_exactly_what_is_allowed() {
        let member = available(Roles::default(), Place::ProjectGroup);
        assert!(member.contains(&Command::Report));
        assert!(!member.contains(&Command::Pledge));
        let admin = available(
            Roles {
                admin: true,
                ..Default::default()
            },
            Place::ProjectGroup,
        );
        assert!(admin.contains(&Command::Pledge) && admin.contains(&Command::Subscribe));
    }

    #[test]
    fn reads_pledges() {
        let p = parse_pledge("开工 2026-12-01\n\n主体 封顶： 2027/03/01").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].name, "主体 封顶");
        assert_eq!(p[1].line, 3);
        assert!(matches!(
            parse_pledge("开工"),
            Err(PledgeError::Shape { line: 1, .. })
        ));
        assert!(matches!(
            parse_pledge("开工 2026-13-01"),
            Err(PledgeError::Date { .. })
        ));
        assert!(matches!(
            parse_pledge("a 2026-01-01\na 2026-02-01"),
            Err(PledgeError::Duplicate { line: 2, .. })
        ));
        assert_eq!(parse_pledge(" \n"), Err(PledgeError::Empty));
    }

    proptest! {
        #[test]
        fn command_parser_never_panics(s in "/\\PC{0,60}") {
            let _ = parse_command(&s, "duban_bot");
            let _ = parse_pledge(&s);
        }
    }
}
