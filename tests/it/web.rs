//! The dashboard from outside: its pages over HTTP on a real database, the
//! signed links and their refusals, a liaison's scope on every page and
//! download, `/web` through the bot, `duban web` and its logs.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use duban::clock::ManualClock;
use duban::config::Settings;
use duban::domain::model::Role;
use duban::service::import::import_csv;
use duban::service::links::{self, Scope};
use duban::service::reports::submit;
use duban::store::{Store, people, projects};
use tokio::sync::watch;

use crate::helpers::{EXAMPLE_CSV, TestDb, free_port, http_get_with, revised_csv, sh, tg_person};

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
pub const LEADER: i64 = 1006;
pub const LIAISON: i64 = 2001;

pub fn now() -> DateTime<Utc> {
    sh(2026, 11, 27, 17, 0)
}

/// The example portfolio with a revised pledge (P2026-003's start), two
/// reports, a liaison of P2026-001 only, and a posted bulletin.
async fn portfolio(store: &Store, settings: &Settings) {
    import_csv(
        store,
        EXAMPLE_CSV.as_bytes(),
        "v1",
        sh(2026, 11, 25, 8, 0),
        SHANGHAI,
    )
    .await
    .unwrap();
    import_csv(
        store,
        revised_csv().as_bytes(),
        "v2",
        sh(2026, 11, 25, 9, 0),
        SHANGHAI,
    )
    .await
    .unwrap();
    for (code, text) in [
        (
            "P2026-001",
            "进度: 40%\n本周投资: 300万\n问题: 用地指标未落实",
        ),
        ("P2026-002", "进度: 65%\n本周完成: 主体结构 <施工>"),
    ] {
        submit(
            store,
            settings,
            code,
            text,
            "owner",
            sh(2026, 11, 26, 10, 0),
        )
        .await
        .unwrap();
    }
    let mut conn = store.conn().await.unwrap();
    let liaison = people::upsert(&mut conn, &tg_person(LIAISON), "张伟", None)
        .await
        .unwrap();
    let p1 = projects::by_code(&mut conn, "P2026-001")
        .await
        .unwrap()
        .unwrap();
    people::add_role(&mut conn, p1.id, liaison.id, Role::Liaison)
        .await
        .unwrap();
    let payload =
        r#"{"chat":"-1009","text":"<b>周动态 2026-W48</b>\n逾期 A&amp;B &lt;x&gt;","html":true}"#;
    sqlx::query(
        "INSERT INTO outbox (job, period, chat_key, claimed_at, attempts, late, owner, payload, sent_at, message_id) \
         VALUES ('bulletin', '2026-W48', '-1009', $1, 1, 0, 'x', $2, $1, '7')",
    )
    .bind(now().timestamp())
    .bind(payload)
    .execute(&mut *conn)
    .await
    .unwrap();
}

/// The dashboard of `db` served in this process on a free port, "now"
/// from a clock the test holds.
pub struct Dashboard {
    pub port: u16,
    pub store: Store,
    pub settings: Arc<Settings>,
    clock: ManualClock,
    _stop: watch::Sender<bool>,
}

impl Dashboard {
    pub async fn start(db: &TestDb) -> Dashboard {
        let store = db.store().await;
        let port = free_port();
        let mut settings = db.settings();
        settings.web.listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
        settings.web.url = format!("http://127.0.0.1:{port}");
        portfolio(&store, &settings).await;
        let settings = Arc::new(settings);
        let clock = ManualClock::new(now());
        let web = duban::web::Web::new(store.clone(), settings.clone(), Arc::new(clock.clone()))
            .await
            .unwrap();
        let listener = duban::web::listen(settings.web.listen.unwrap())
            .await
            .unwrap();
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(duban::web::serve(listener, web, stopped));
        Dashboard {
            port,
            store,
            settings,
            clock,
            _stop: stop,
        }
    }

    /// A link's token, signed as `/web` would sign it at `at`.
    pub async fn token(&self, user: i64, scope: Scope, at: DateTime<Utc>) -> String {
        let mut conn = self.store.conn().await.unwrap();
        let signer = links::signer(&mut conn, &self.settings).await.unwrap();
        let link = links::link(&signer, &self.settings, &tg_person(user), scope, at);
        link.url.split_once("t=").unwrap().1.to_string()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        let cookie = token.map(|t| format!("duban_session={t}"));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        http_get_with(self.port, path, &headers).await
    }
}

#[tokio::test]
async fn a_link_opens_a_session_cookie_that_is_http_only_and_strict_and_lasts_as_the_link() {
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let token = d.token(LEADER, Scope::All, now()).await;
    let (status, head, _) = d.get(&format!("/login?t={token}"), None).await;
    assert_eq!(status, 303, "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("location: /?lang=zh-cn"), "{head}");
    let cookie = head.lines().find(|l| l.starts_with("set-cookie:")).unwrap();
    assert!(cookie.contains(&format!("duban_session={}", token.to_ascii_lowercase())));
    for flag in ["httponly", "samesite=strict", "path=/", "max-age=604800"] {
        assert!(cookie.contains(flag), "{flag}: {cookie}");
    }
    let (status, _, body) = d.get("/", Some(&token)).await;
    assert_eq!(status, 200);
    assert!(body.contains("挂图作战"), "{body}");
}

#[tokio::test]
async fn every_page_answers_the_whole_portfolio_to_a_leader_escaped_and_under_a_strict_policy() {
    for db in TestDb::all().await {
        let d = Dashboard::start(&db).await;
        let t = d.token(LEADER, Scope::All, now()).await;
        let t = Some(t.as_str());
        let (status, head, map) = d.get("/", t).await;
        assert_eq!(status, 200, "{map}");
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("content-security-policy: default-src 'none'; style-src 'self'"),
            "{head}"
        );
        assert!(head.contains("referrer-policy: no-referrer"));
        assert!(!map.contains("<script"), "no script at all");
        for code in ["P2026-001", "P2026-002", "P2026-003", "P2026-006"] {
            assert!(map.contains(code), "{code} on the map");
        }
        assert!(map.contains("开工率"), "the rates line");
        assert!(map.contains("<svg"), "the lights-by-zone chart");
        assert!(map.contains("class=\"light red\"") || map.contains("class=\"light yellow\""));
        // One zone only, by filter.
        let (_, _, one) = d.get("/?zone=%E9%AB%98%E6%96%B0%E5%9B%AD", t).await;
        assert!(
            one.contains("P2026-001") && !one.contains(">P2026-002<"),
            "{one}"
        );
        // A project: the first pledge, the revision, the escaped report text.
        let (status, _, p3) = d.get("/projects/P2026-003", t).await;
        assert_eq!(status, 200);
        assert!(
            p3.contains("2026-10-15") && p3.contains("2026-11-10"),
            "{p3}"
        );
        let (_, _, p2) = d.get("/projects/P2026-002", t).await;
        assert!(
            p2.contains("主体结构 &lt;施工&gt;") && !p2.contains("<施工>"),
            "{p2}"
        );
        let (status, _, late) = d.get("/late", t).await;
        assert_eq!(status, 200);
        assert!(
            late.contains("P2026-003"),
            "P2026-003's start is overdue: {late}"
        );
        // The posted bulletin, tags dropped and escaped again.
        let (status, _, posts) = d.get("/posts", t).await;
        assert_eq!(status, 200);
        assert!(posts.contains("2026-W48"), "{posts}");
        let (status, _, one) = d.get("/posts/bulletin/2026-W48", t).await;
        assert_eq!(status, 200);
        assert!(
            one.contains("逾期 A&amp;B &lt;x&gt;") && !one.contains("<b>周动态"),
            "{one}"
        );
        let (status, _, _) = d.get("/posts/bulletin/2031-W01", t).await;
        assert_eq!(status, 404);
        let (status, head, xlsx) = d.get("/export.xlsx", t).await;
        assert_eq!(status, 200);
        assert!(head.contains("spreadsheetml"), "{head}");
        assert!(xlsx.starts_with("PK"), "a zip (xlsx) file");
        // English on request.
        let (_, _, en) = d.get("/?lang=en", t).await;
        assert!(en.contains("Battle map") && en.contains("lang=\"en\""));
        d.store.close().await;
    }
}

#[tokio::test]
async fn no_cookie_a_forged_an_expired_or_a_malformed_link_gets_401_and_how_to_get_one() {
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let good = d.token(LEADER, Scope::All, now()).await;
    let (claims, _) = good.split_once('.').unwrap();
    let forged = format!("{claims}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let expired = d.token(LEADER, Scope::All, now() - Duration::days(8)).await;
    for path in [
        "/",
        "/projects/P2026-001",
        "/late",
        "/posts",
        "/export.xlsx",
    ] {
        for token in [
            None,
            Some(forged.as_str()),
            Some(expired.as_str()),
            Some("garbage"),
        ] {
            let (status, _, body) = d.get(path, token).await;
            assert_eq!(status, 401, "{path} with {token:?}");
            assert!(body.contains("/web"), "says how to get a link: {body}");
            assert!(
                !body.contains("P2026-001 "),
                "shows nothing of the portfolio"
            );
        }
    }
    for token in [forged.as_str(), expired.as_str(), ""] {
        let (status, head, _) = d.get(&format!("/login?t={token}"), None).await;
        assert_eq!(status, 401);
        assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
    }
    // The link expires with its days: valid a second before, not at.
    d.clock
        .set(now() + Duration::days(7) - Duration::seconds(1));
    assert_eq!(d.get("/", Some(&good)).await.0, 200);
    d.clock.set(now() + Duration::days(7));
    assert_eq!(d.get("/", Some(&good)).await.0, 401);
}

#[tokio::test]
async fn a_liaison_sees_only_their_projects_on_every_page_and_in_the_download() {
    for db in TestDb::all().await {
        let d = Dashboard::start(&db).await;
        let token = d.token(LIAISON, Scope::Liaison, now()).await;
        let t = Some(token.as_str());
        let (status, _, map) = d.get("/", t).await;
        assert_eq!(status, 200);
        assert!(map.contains("P2026-001"));
        for other in ["P2026-002", "P2026-003", "P2026-004"] {
            assert!(!map.contains(other), "{other} is not theirs");
        }
        assert!(!map.contains("/posts"), "no bulletins tab for a liaison");
        assert_eq!(d.get("/projects/P2026-001", t).await.0, 200);
        let (status, _, body) = d.get("/projects/P2026-002", t).await;
        assert_eq!(status, 403);
        assert!(!body.contains("智能装备产业园"), "{body}");
        let (_, _, late) = d.get("/late", t).await;
        assert!(!late.contains("P2026-003"), "{late}");
        assert_eq!(d.get("/posts", t).await.0, 403);
        assert_eq!(d.get("/posts/bulletin/2026-W48", t).await.0, 403);
        let (status, _, _) = d.get("/export.xlsx", t).await;
        assert_eq!(status, 200);
        let bytes = xlsx_bytes(d.port, &token).await;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let first = calamine::Reader::sheet_names(&book)[0].clone();
        let sheet = calamine::Reader::worksheet_range(&mut book, &first).unwrap();
        let codes: Vec<String> = sheet
            .rows()
            .skip(1)
            .map(|r| r[0].to_string())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            codes,
            vec!["P2026-001".to_string()],
            "only theirs in the workbook"
        );
        d.store.close().await;
    }
}

/// The workbook's bytes as sent (the shared helper reads text).
async fn xlsx_bytes(port: u16, token: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "GET /export.xlsx HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: duban_session={token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    raw.split_off(at)
}

#[tokio::test]
async fn a_role_taken_away_is_gone_from_the_next_page_though_the_link_is_still_valid() {
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let t = d.token(LIAISON, Scope::Liaison, now()).await;
    assert_eq!(d.get("/projects/P2026-001", Some(&t)).await.0, 200);
    sqlx::query("DELETE FROM project_roles")
        .execute(d.store.pool())
        .await
        .unwrap();
    assert_eq!(d.get("/projects/P2026-001", Some(&t)).await.0, 403);
    let (_, _, map) = d.get("/", Some(&t)).await;
    assert!(!map.contains("P2026-001"));
}

#[tokio::test]
async fn the_generated_secret_is_made_once_so_links_survive_a_restart() {
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let t = d.token(LEADER, Scope::All, now()).await;
    d.store.close().await;
    // Another process on the same database: a restart, or a second instance.
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let signer = links::signer(&mut conn, &db.settings()).await.unwrap();
    assert!(signer.verify(&t, now()).is_ok());
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

/// The link in a reply: from `http://` to the end of its line.
fn link_in(text: &str) -> String {
    let at = text.find("http://").expect("a link in the reply");
    text[at..].lines().next().unwrap().trim().to_string()
}

#[tokio::test]
async fn web_answers_a_liaison_privately_with_a_link_duban_run_serves_and_refuses_a_stranger() {
    use crate::bot::{ADMIN, LEAD_CHAT, LEADER as LEAD, LIAISON as BOT_LIAISON, STRANGER};
    let db = TestDb::sqlite();
    let sim = crate::bot::world().await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let settings = crate::bot::settings_for(&db, &sim, &[("DUBAN__WEB__LISTEN", &listen)]);
    let bot = crate::bot::Running::start_with(&sim, settings, now()).await;
    let reply = crate::bot::ask(&sim, BOT_LIAISON, BOT_LIAISON, "/web").await;
    let url = link_in(&reply.plain);
    assert!(
        url.starts_with(&format!("http://{listen}/login?t=")),
        "{url}"
    );
    assert!(
        reply.plain.contains("2026-12-04"),
        "valid for 7 days: {}",
        reply.plain
    );
    let path = url.trim_start_matches(&format!("http://{listen}"));
    let (status, head, _) = http_get_with(port, path, &[]).await;
    assert_eq!(status, 303);
    let token = path.split_once("t=").unwrap().1;
    let cookie = format!("duban_session={token}");
    let (status, _, body) = http_get_with(port, "/", &[("Cookie", &cookie)]).await;
    assert_eq!(status, 200, "{head}");
    assert!(body.contains("挂图作战"));
    let admin = crate::bot::ask(&sim, ADMIN, ADMIN, "/web").await;
    assert!(admin.plain.contains("全部项目"), "{}", admin.plain);
    let lead = crate::bot::ask(&sim, LEAD_CHAT, LEAD, "/web").await;
    assert!(lead.plain.contains("全部项目"), "{}", lead.plain);
    let refused = crate::bot::ask(&sim, STRANGER, STRANGER, "/web").await;
    assert!(!refused.plain.contains("http://"), "{}", refused.plain);
    bot.stop().await;
}

#[tokio::test]
async fn a_problem_shows_who_raised_it_by_name() {
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let mut conn = d.store.conn().await.unwrap();
    let p1 = projects::by_code(&mut conn, "P2026-001")
        .await
        .unwrap()
        .unwrap();
    let raiser = tg_person(LIAISON).to_string();
    duban::store::problems::insert(&mut conn, p1.id, "环评批复未下达", &raiser, now(), None)
        .await
        .unwrap();
    drop(conn);
    let t = d.token(LEADER, Scope::All, now()).await;
    let (_, _, page) = d.get("/projects/P2026-001", Some(&t)).await;
    assert!(page.contains("环评批复未下达"), "{page}");
    assert!(page.contains("张伟") && !page.contains(&raiser), "{page}");
}
