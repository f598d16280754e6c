//! The dashboard keeps the portfolio it read until something changes: the
//! next page after a write shows it, on both databases, whoever wrote it.

use duban::service::links::Scope;
use duban::service::reports::submit;
use duban::store::version;

use crate::helpers::{TestDb, sh};
use crate::web::{Dashboard, LEADER, now};

#[tokio::test]
async fn the_version_token_moves_with_every_write_to_the_portfolio_and_not_with_a_read() {
    for db in TestDb::all().await {
        let d = Dashboard::start(&db).await;
        let before = version::current(&d.store).await.unwrap();
        let mut conn = d.store.conn().await.unwrap();
        duban::store::projects::active(&mut conn).await.unwrap();
        drop(conn);
        // PostgreSQL's token is the cluster's transaction snapshot, which
        // any other test's write moves too: only SQLite's is this store's
        // alone.
        if db.label == "sqlite" {
            assert_eq!(version::current(&d.store).await.unwrap(), before);
        }
        let mut conn = d.store.conn().await.unwrap();
        sqlx::query(
            "UPDATE people SET display_name = '李四' WHERE id = (SELECT MIN(id) FROM people)",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let renamed = version::current(&d.store).await.unwrap();
        assert_ne!(renamed.portfolio, before.portfolio, "{}", db.label);
        // A report moves the weekly part; on SQLite, only that one.
        submit(
            &d.store,
            &d.settings,
            "P2026-006",
            "进度: 10%",
            "owner",
            sh(2026, 11, 27, 16, 0),
        )
        .await
        .unwrap();
        let reported = version::current(&d.store).await.unwrap();
        assert_ne!(reported.weekly, renamed.weekly, "{}", db.label);
        if db.label == "sqlite" {
            assert_eq!(reported.portfolio, renamed.portfolio);
        }
        d.store.close().await;
    }
}

#[tokio::test]
async fn the_next_page_after_a_write_shows_it_and_pages_in_between_agree() {
    for db in TestDb::all().await {
        let d = Dashboard::start(&db).await;
        let t = d.token(LEADER, Scope::All, now()).await;
        let t = Some(t.as_str());
        let (_, _, first) = d.get("/", t).await;
        let (_, _, again) = d.get("/", t).await;
        assert_eq!(first, again, "{}: nothing changed, the same page", db.label);
        assert!(!first.contains("改名后的项目"));

        // A rename straight in the database (another process's write).
        let mut conn = d.store.conn().await.unwrap();
        sqlx::query("UPDATE projects SET name = '改名后的项目' WHERE code = 'P2026-001'")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        let (_, _, renamed) = d.get("/", t).await;
        assert!(renamed.contains("改名后的项目"), "{}", db.label);

        // A report this week: P2026-006 had none; now the late page and the
        // map both count it.
        let (_, _, map) = d.get("/", t).await;
        let reported = |page: &str| page.matches("报送率").count();
        assert!(reported(&map) > 0);
        submit(
            &d.store,
            &d.settings,
            "P2026-006",
            "进度: 10%",
            "owner",
            sh(2026, 11, 27, 16, 0),
        )
        .await
        .unwrap();
        let (_, _, after) = d.get("/", t).await;
        assert_ne!(map, after, "{}: the report shows", db.label);
        d.store.close().await;
    }
}
