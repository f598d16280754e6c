//! The authorisation matrix: every command × every role × every kind of
//! chat, through the conversation layer on a real database, on Telegram and
//! on Feishu. The expected table is data, below, and is printed in the
//! README; the rules are platform-free, so one table serves both platforms,
//! and one code path builds each platform's people and chats. Each cell runs
//! in a transaction that is rolled back, so cells cannot influence each
//! other.

use chrono::{DateTime, Utc};
use duban::chat::{Attachment, ChatInfo, Env, Event, IncomingMessage, ReplyTo, Sender, handle};
use duban::config::Settings;
use duban::domain::commands::Command;
use duban::domain::ids::{ChatKind, ChatRef, PersonRef, Platform};
use duban::domain::lang::Lang;
use duban::render::text::t;

use crate::helpers::{TestDb, sh};

#[derive(Clone, Copy, Debug)]
enum Who {
    Admin,
    Liaison,
    OtherLiaison,
    Owner,
    Member,
    Stranger,
    Leader,
}

/// The table's columns, in order, with their headings.
const WHO: [(Who, &str); 7] = [
    (Who::Admin, "admin"),
    (Who::Liaison, "liaison of this project"),
    (Who::OtherLiaison, "liaison of another project"),
    (Who::Owner, "owner"),
    (Who::Member, "group member"),
    (Who::Stranger, "stranger"),
    (Who::Leader, "leadership chat member"),
];

/// The groups of the world: P1's, P2's, one bound to nothing, and the
/// leadership chat (listed in `leadership_chats`, and subscribed).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Group {
    Project,
    OtherProject,
    Unbound,
    Leadership,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Where {
    Private,
    UnboundGroup,
    ProjectGroup,
    Leadership,
}

const WHERE: [(Where, &str); 4] = [
    (Where::Private, "private"),
    (Where::UnboundGroup, "unbound group"),
    (Where::ProjectGroup, "project group"),
    (Where::Leadership, "leadership chat"),
];

/// Allowed (Y) or refused (-), per command; columns are WHO, and within
/// each person the four chats of WHERE. A row is one command.
const EXPECTED: &str = "
command     | admin | liaison of this project | liaison of another project | owner | group member | stranger | leadership chat member
/start      | YYYY  | YYYY | YYYY | YYYY | YYYY | YYYY | YYYY
/help       | YYYY  | YYYY | YYYY | YYYY | YYYY | YYYY | YYYY
/newproject | -YY-  | -YY- | -YY- | ---- | ---- | ---- | ----
/bind       | -YY-  | -YY- | -YY- | ---- | ---- | ---- | ----
/pledge     | --Y-  | --Y- | ---- | ---- | ---- | ---- | ----
/report     | --Y-  | --Y- | --Y- | --Y- | --Y- | --Y- | --Y-
/done       | --Y-  | --Y- | --Y- | --Y- | --Y- | --Y- | --Y-
/problem    | --Y-  | --Y- | --Y- | --Y- | --Y- | --Y- | --Y-
/resolve    | YYYY  | YYYY | ---- | ---- | ---- | ---- | ----
/status     | YYYY  | YYYY | YYYY | --YY | --YY | --YY | --YY
/overdue    | YYYY  | YYYY | YYYY | ---Y | ---Y | ---Y | ---Y
/export     | Y--Y  | Y--Y | Y--Y | ---Y | ---Y | ---Y | ---Y
/web        | Y--Y  | Y--Y | Y--Y | ---Y | ---Y | ---Y | ---Y
/setowner   | --Y-  | --Y- | ---- | ---- | ---- | ---- | ----
/setliaison | --Y-  | --Y- | ---- | ---- | ---- | ---- | ----
/subscribe  | YYYY  | ---- | ---- | ---- | ---- | ---- | ----
/lang       | YYYY  | Y-Y- | Y--- | Y--- | Y--- | Y--- | Y---
/cancel     | YYYY  | YYYY | YYYY | YYYY | YYYY | YYYY | YYYY
sheet file  | Y...  | Y... | Y... | -... | -... | -... | -...
";

/// A pledge sheet sent as a file: imported in a private chat, and left
/// alone (`.`: no answer at all) in a group, where files are the group's.
const SHEET: &[u8] = "code,name,owner,zone,industry,stage,investment,milestone,pledged\nS1,导入项目,业主,园区,产业,在建,1000万,竣工,2027-06-30\n".as_bytes();

/// One platform's names for the same world: its people's and groups' ids,
/// and the bot's name there. Everything below builds ids through this, so
/// the matrix runs the same on every platform.
#[derive(Clone, Copy, Debug)]
struct Ids {
    platform: Platform,
}

impl Ids {
    /// A person's id: Telegram's numeric user ids; Feishu's open ids
    /// (`ou_…`).
    fn person(self, who: Who) -> PersonRef {
        let (telegram, feishu) = match who {
            Who::Admin => ("1001", "ou_admin"),
            Who::Liaison => ("1002", "ou_liaison"),
            Who::Owner => ("1003", "ou_owner"),
            Who::Member => ("1004", "ou_member"),
            Who::Stranger => ("1005", "ou_stranger"),
            Who::Leader => ("1006", "ou_leader"),
            Who::OtherLiaison => ("1007", "ou_other_liaison"),
        };
        PersonRef::new(self.platform, self.pick(telegram, feishu))
    }

    /// A group's id: negative on Telegram; Feishu's chat ids (`oc_…`).
    fn group(self, group: Group) -> ChatRef {
        let (telegram, feishu) = match group {
            Group::Project => ("-1001", "oc_project"),
            Group::OtherProject => ("-1002", "oc_other_project"),
            Group::Unbound => ("-1003", "oc_unbound"),
            Group::Leadership => ("-1009", "oc_lead"),
        };
        ChatRef::new(self.platform, self.pick(telegram, feishu))
    }

    fn pick<'a>(self, telegram: &'a str, feishu: &'a str) -> &'a str {
        match self.platform {
            Platform::Telegram => telegram,
            Platform::Feishu => feishu,
        }
    }

    /// The name a command may be addressed to (`/status@name`): the bot's
    /// username on Telegram, the app's name on Feishu.
    fn bot_username(self) -> &'static str {
        self.pick("duban_bot", "督办")
    }

    /// As the settings write an id: `platform:id`.
    fn setting(self, id: &str) -> String {
        format!("{}:{id}", self.platform.code())
    }

    fn sender(self, who: Who) -> Sender {
        let id = self.person(who);
        Sender {
            display_name: format!("user {}", id.id),
            id,
            // Feishu has no usernames; on Telegram none is needed here.
            username: None,
        }
    }

    /// A group as the adapters hand it over: a plain group (Feishu has no
    /// supergroups, and Telegram's make no difference to the rules).
    fn group_chat(self, group: Group) -> ChatInfo {
        ChatInfo {
            id: self.group(group),
            kind: ChatKind::Group,
            title: format!("{group:?}"),
        }
    }

    /// Where `who` writes when they write in `place`: their own private
    /// chat with the bot (its id the person's own), or one of the groups.
    fn chat(self, place: Where, who: Who) -> ChatInfo {
        let group = match place {
            Where::Private => {
                return ChatInfo {
                    id: self.person(who).private_chat(),
                    kind: ChatKind::Private,
                    title: "private".into(),
                };
            }
            Where::UnboundGroup => Group::Unbound,
            Where::ProjectGroup => Group::Project,
            Where::Leadership => Group::Leadership,
        };
        self.group_chat(group)
    }

    /// Settings for the conversation layer: who the admins are, which chat
    /// is the leadership's, and no listed liaisons (the liaisons here are
    /// the ones set with `/setliaison`). `platforms` stays at its default:
    /// the conversation layer never reads it (only the adapters and
    /// `duban run` do), and serving Feishu would ask for an app id and
    /// secret that mean nothing here. Ids carry their platform, so the
    /// Telegram ids are written `telegram:…` just as Feishu's are
    /// `feishu:…`.
    fn settings(self, db: &TestDb) -> Settings {
        let empty = tempfile::NamedTempFile::new().unwrap();
        let admin = self.person(Who::Admin);
        let lead = self.group(Group::Leadership);
        let env: Vec<(String, String)> = vec![
            ("DUBAN__DATABASE__URL".into(), db.url.clone()),
            ("DUBAN__WEB__LISTEN".into(), String::new()),
            ("DUBAN__ADMINS".into(), self.setting(&admin.id)),
            ("DUBAN__LIAISONS".into(), String::new()),
            ("DUBAN__LEADERSHIP_CHATS".into(), self.setting(&lead.id)),
        ];
        Settings::load_from(Some(empty.path()), &env).expect("settings")
    }

    /// A message from `from` in `chat`, answering a message of `answering`
    /// (as `/setowner` and `/setliaison` need; other commands ignore it).
    fn message(self, chat: ChatInfo, from: Who, text: &str, answering: Who) -> IncomingMessage {
        IncomingMessage {
            attachment: None,
            chat,
            from: self.sender(from),
            message_id: 900,
            thread: None,
            text: text.to_string(),
            reply_to: Some(ReplyTo {
                message_id: 1,
                from_bot: false,
                sender: Some(self.sender(answering)),
                text: "hello".into(),
            }),
        }
    }
}

fn args(cmd: Command) -> &'static str {
    match cmd {
        Command::NewProject => " X9 新项目",
        Command::Bind => " P1",
        Command::Pledge => "\n开工 2027-01-01",
        Command::Report => " 进度: 50%",
        Command::Done => " 开工",
        Command::Problem => " 测试问题",
        Command::Resolve => " 1",
        Command::Lang => " en",
        _ => "",
    }
}

/// The world every cell starts from: P1 in the project group, pledged, its
/// liaison and owner set, with a problem; P2 in its own group with its own
/// liaison; the leadership chat subscribed; the unbound group seen once.
async fn setup(conn: &mut duban::store::Conn, env: &Env<'_>, ids: Ids, now: DateTime<Utc>) {
    use Group::{Leadership, OtherProject, Project, Unbound};
    let steps = [
        (Project, Who::Admin, "/newproject P1 项目一", Who::Member),
        (Project, Who::Admin, "/pledge\n开工 2026-12-01", Who::Member),
        (Project, Who::Admin, "/setliaison", Who::Liaison),
        (Project, Who::Admin, "/setowner", Who::Owner),
        (
            OtherProject,
            Who::Admin,
            "/newproject P2 项目二",
            Who::Member,
        ),
        (OtherProject, Who::Admin, "/setliaison", Who::OtherLiaison),
        (Project, Who::Member, "/problem 问题一", Who::Member),
        (Leadership, Who::Admin, "/subscribe", Who::Member),
        (Unbound, Who::Member, "/help", Who::Member),
    ];
    for (group, from, text, answering) in steps {
        let mut m = ids.message(ids.group_chat(group), from, text, answering);
        m.message_id = 100;
        handle(conn, env, Event::Message(m), now)
            .await
            .unwrap_or_else(|e| panic!("{}: setup `{text}`: {e}", ids.platform));
    }
}

fn refusals(lang: Lang) -> Vec<String> {
    let mut v: Vec<String> = [
        "refuse.admin_only",
        "refuse.liaison_only",
        "refuse.project_group_only",
        "refuse.group_only",
        "refuse.not_here",
        "refuse.unbound_group",
    ]
    .iter()
    .map(|k| t(lang, k, &[]))
    .collect();
    v.push(t(lang, "resolve.not_yours", &[("id", "1".into())]));
    v
}

/// One row of the table: its label, then a cell per person, each made of
/// the marks `mark` gives for that person in the four chats.
async fn row(label: &str, mut mark: impl AsyncFnMut(Who, Where) -> char) -> String {
    let mut row = format!("{label:<11} |");
    for (i, (who, _)) in WHO.iter().enumerate() {
        let mut cell = String::new();
        for (place, _) in WHERE {
            cell.push(mark(*who, place).await);
        }
        row.push_str(&format!(" {cell}{}", if i == 0 { "  |" } else { " |" }));
    }
    format!("{}\n", row.trim_end_matches(" |"))
}

/// Runs every cell on `ids`' platform; returns the table in EXPECTED's
/// format.
async fn observed(db: &TestDb, ids: Ids) -> String {
    let settings = ids.settings(db);
    let store = db.store().await;
    let env = Env {
        settings: &settings,
        bot_username: ids.bot_username(),
        prepared: None,
    };
    let now = sh(2026, 11, 24, 10, 0);
    let mut conn = store.pool().acquire().await.unwrap();
    setup(&mut conn, &env, ids, now).await;
    drop(conn);
    let refused = refusals(Lang::ZhCn);
    let headings: Vec<&str> = WHO.iter().map(|(_, h)| *h).collect();
    let mut out = format!("\n{:<11} | {}\n", "command", headings.join(" | "));
    for cmd in Command::ALL {
        let text = format!("/{}{}", cmd.name(), args(cmd));
        let label = format!("/{}", cmd.name());
        out.push_str(
            &row(&label, async |who, place| {
                let m = ids.message(ids.chat(place, who), who, &text, Who::Member);
                let mut tx = store.begin().await.unwrap();
                let replies = handle(&mut tx, &env, Event::Message(m), now).await.unwrap();
                tx.rollback().await.unwrap();
                if replies.iter().any(|r| refused.contains(&r.text)) {
                    '-'
                } else {
                    'Y'
                }
            })
            .await,
        );
    }
    out.push_str(&sheet_row(&store, &env, ids, now, &refused).await);
    store.close().await;
    out
}

/// The `sheet file` row: a file sent by each person in each chat.
async fn sheet_row(
    store: &duban::store::Store,
    env: &Env<'_>,
    ids: Ids,
    now: DateTime<Utc>,
    refused: &[String],
) -> String {
    row("sheet file", async |who, place| {
        let mut m = ids.message(ids.chat(place, who), who, "", Who::Member);
        m.reply_to = None;
        m.attachment = Some(Attachment {
            file_name: "承诺表.csv".into(),
            size: SHEET.len() as u64,
            bytes: Some(SHEET.to_vec()),
        });
        let mut tx = store.begin().await.unwrap();
        let replies = handle(&mut tx, env, Event::Message(m), now).await.unwrap();
        tx.rollback().await.unwrap();
        match replies.first() {
            None => '.',
            Some(r) if refused.contains(&r.text) => '-',
            Some(_) => 'Y',
        }
    })
    .await
}

/// The whole matrix on `platform`, on every database at hand.
async fn the_matrix_holds(platform: Platform) {
    let ids = Ids { platform };
    for db in TestDb::all().await {
        let table = observed(&db, ids).await;
        assert_eq!(
            table, EXPECTED,
            "{platform} on {}: observed table:\n{table}",
            db.label
        );
    }
}

#[tokio::test]
async fn the_matrix_holds_on_telegram() {
    the_matrix_holds(Platform::Telegram).await;
}

#[tokio::test]
async fn the_matrix_holds_on_feishu() {
    the_matrix_holds(Platform::Feishu).await;
}
