//! The authorisation matrix: every command × every role × every kind of
//! chat, through the conversation layer on a real database. The expected
//! table is data, below, and is printed in the README; each cell runs in a
//! transaction that is rolled back, so cells cannot influence each other.

use chrono::{DateTime, Utc};
use duban::chat::{Attachment, ChatInfo, Env, Event, IncomingMessage, ReplyTo, Sender, handle};
use duban::domain::commands::Command;
use duban::domain::ids::ChatKind;
use duban::domain::lang::Lang;
use duban::render::text::t;

use crate::bot::{settings_for, world};
use crate::helpers::{TestDb, sh, tg_chat, tg_person};

const ADMIN: i64 = 1001;
const LIAISON: i64 = 1002;
const OTHER_LIAISON: i64 = 1007;
const OWNER: i64 = 1003;
const MEMBER: i64 = 1004;
const STRANGER: i64 = 1005;
const LEADER: i64 = 1006;

const PROJECT_GROUP: &str = "-1001";
const OTHER_PROJECT_GROUP: &str = "-1002";
const UNBOUND_GROUP: &str = "-1003";
const LEAD_CHAT: &str = "-1009";

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

const WHO: [(Who, &str); 7] = [
    (Who::Admin, "admin"),
    (Who::Liaison, "liaison of this project"),
    (Who::OtherLiaison, "liaison of another project"),
    (Who::Owner, "owner"),
    (Who::Member, "group member"),
    (Who::Stranger, "stranger"),
    (Who::Leader, "leadership chat member"),
];

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

fn sender(id: i64) -> Sender {
    Sender {
        id: tg_person(id),
        display_name: format!("user{id}"),
        username: None,
    }
}

fn chat(place: Where, who: i64) -> ChatInfo {
    let (id, kind) = match place {
        Where::Private => (who.to_string(), ChatKind::Private),
        Where::UnboundGroup => (UNBOUND_GROUP.to_string(), ChatKind::Group),
        Where::ProjectGroup => (PROJECT_GROUP.to_string(), ChatKind::Group),
        Where::Leadership => (LEAD_CHAT.to_string(), ChatKind::Group),
    };
    ChatInfo {
        id: tg_chat(id),
        kind,
        title: "chat".into(),
    }
}

fn user(who: Who) -> i64 {
    match who {
        Who::Admin => ADMIN,
        Who::Liaison => LIAISON,
        Who::OtherLiaison => OTHER_LIAISON,
        Who::Owner => OWNER,
        Who::Member => MEMBER,
        Who::Stranger => STRANGER,
        Who::Leader => LEADER,
    }
}

fn message(place: Where, from: i64, text: String, now_id: i64) -> Event {
    Event::Message(IncomingMessage {
        attachment: None,
        chat: chat(place, from),
        from: sender(from),
        message_id: now_id,
        thread: None,
        text,
        // /setowner and /setliaison answer a message: the member's.
        reply_to: Some(ReplyTo {
            message_id: 1,
            from_bot: false,
            sender: Some(sender(MEMBER)),
            text: "hello".into(),
        }),
    })
}

async fn say(
    conn: &mut duban::store::Conn,
    env: &Env<'_>,
    now: DateTime<Utc>,
    place: Where,
    from: i64,
    text: &str,
) {
    handle(conn, env, message(place, from, text.to_string(), 100), now)
        .await
        .unwrap();
}

async fn setup(conn: &mut duban::store::Conn, env: &Env<'_>, now: DateTime<Utc>) {
    say(
        conn,
        env,
        now,
        Where::ProjectGroup,
        ADMIN,
        "/newproject P1 项目一",
    )
    .await;
    say(
        conn,
        env,
        now,
        Where::ProjectGroup,
        ADMIN,
        "/pledge\n开工 2026-12-01",
    )
    .await;
    // LIAISON is liaison of P1 (set by the admin in reply to them)…
    for (who, cmd) in [(LIAISON, "/setliaison"), (OWNER, "/setowner")] {
        let e = Event::Message(IncomingMessage {
            reply_to: Some(ReplyTo {
                message_id: 1,
                from_bot: false,
                sender: Some(sender(who)),
                text: "hi".into(),
            }),
            ..match message(Where::ProjectGroup, ADMIN, cmd.to_string(), 0) {
                Event::Message(m) => m,
                _ => unreachable!(),
            }
        });
        handle(conn, env, e, now).await.unwrap();
    }
    // …OTHER_LIAISON of P2, in its own group.
    let e = Event::Message(IncomingMessage {
        chat: ChatInfo {
            id: tg_chat(OTHER_PROJECT_GROUP),
            kind: ChatKind::Group,
            title: "P2".into(),
        },
        ..match message(
            Where::ProjectGroup,
            ADMIN,
            "/newproject P2 项目二".into(),
            0,
        ) {
            Event::Message(m) => m,
            _ => unreachable!(),
        }
    });
    handle(conn, env, e, now).await.unwrap();
    let e = Event::Message(IncomingMessage {
        chat: ChatInfo {
            id: tg_chat(OTHER_PROJECT_GROUP),
            kind: ChatKind::Group,
            title: "P2".into(),
        },
        reply_to: Some(ReplyTo {
            message_id: 1,
            from_bot: false,
            sender: Some(sender(OTHER_LIAISON)),
            text: "hi".into(),
        }),
        ..match message(Where::ProjectGroup, ADMIN, "/setliaison".into(), 0) {
            Event::Message(m) => m,
            _ => unreachable!(),
        }
    });
    handle(conn, env, e, now).await.unwrap();
    say(
        conn,
        env,
        now,
        Where::ProjectGroup,
        MEMBER,
        "/problem 问题一",
    )
    .await;
    say(conn, env, now, Where::Leadership, ADMIN, "/subscribe").await;
    say(conn, env, now, Where::UnboundGroup, MEMBER, "/help").await;
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

/// Runs every cell; returns the table in EXPECTED's format.
async fn observed(db: &TestDb) -> String {
    let sim = world().await;
    let settings = settings_for(db, &sim, &[("DUBAN__LIAISONS", "")]);
    let store = db.store().await;
    let env = Env {
        settings: &settings,
        bot_username: "duban_bot",
        prepared: None,
    };
    let now = sh(2026, 11, 24, 10, 0);
    let mut conn = store.pool().acquire().await.unwrap();
    setup(&mut conn, &env, now).await;
    drop(conn);
    let refused = refusals(Lang::ZhCn);
    let mut out = String::from(
        "\ncommand     | admin | liaison of this project | liaison of another project | owner | group member | stranger | leadership chat member\n",
    );
    for cmd in Command::ALL {
        let mut row = format!("{:<11} |", format!("/{}", cmd.name()));
        for (i, (who, _)) in WHO.iter().enumerate() {
            let mut cell = String::new();
            for (place, _) in WHERE {
                let mut tx = store.begin().await.unwrap();
                let text = format!("/{}{}", cmd.name(), args(cmd));
                let replies = handle(&mut tx, &env, message(place, user(*who), text, 900), now)
                    .await
                    .unwrap();
                tx.rollback().await.unwrap();
                let refusal = replies.iter().any(|r| refused.contains(&r.text));
                cell.push(if refusal { '-' } else { 'Y' });
            }
            row.push_str(&format!(" {cell}{}", if i == 0 { "  |" } else { " |" }));
        }
        out.push_str(row.trim_end_matches(" |"));
        out.push('\n');
    }
    out.push_str(&sheet_row(&store, &env, now, &refused).await);
    store.close().await;
    out
}

/// The `sheet file` row: a file sent by each person in each chat.
async fn sheet_row(
    store: &duban::store::Store,
    env: &Env<'_>,
    now: DateTime<Utc>,
    refused: &[String],
) -> String {
    let mut row = String::from("sheet file  |");
    for (i, (who, _)) in WHO.iter().enumerate() {
        let mut cell = String::new();
        for (place, _) in WHERE {
            let Event::Message(mut m) = message(place, user(*who), String::new(), 900) else {
                unreachable!()
            };
            m.reply_to = None;
            m.attachment = Some(Attachment {
                file_name: "承诺表.csv".into(),
                size: SHEET.len() as u64,
                bytes: Some(SHEET.to_vec()),
            });
            let mut tx = store.begin().await.unwrap();
            let replies = handle(&mut tx, env, Event::Message(m), now).await.unwrap();
            tx.rollback().await.unwrap();
            cell.push(match replies.first() {
                None => '.',
                Some(r) if refused.contains(&r.text) => '-',
                Some(_) => 'Y',
            });
        }
        row.push_str(&format!(" {cell}{}", if i == 0 { "  |" } else { " |" }));
    }
    format!("{}\n", row.trim_end_matches(" |"))
}

#[tokio::test]
async fn every_command_every_role_every_chat() {
    for db in TestDb::all().await {
        let table = observed(&db).await;
        assert_eq!(table, EXPECTED, "{}: observed table:\n{table}", db.label);
    }
}
