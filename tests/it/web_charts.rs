//! The dashboard's charts: the same as the chats' pictures, inline as SVG
//! (lights by zone, the longest-overdue milestones, the rates week by
//! week), and the picture a bulletin was posted with, read from the ledger.

use duban::domain::outgoing::{Outgoing, OutgoingDocument};
use duban::service::links::Scope;

use crate::helpers::{TestDb, tg_chat};
use crate::web::{Dashboard, LEADER, LIAISON, now};

/// A posted message in the ledger, as a run completes it.
async fn posted(d: &Dashboard, job: &str, period: &str, chat_key: &str, out: &Outgoing) {
    let mut conn = d.store.conn().await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (job, period, chat_key, claimed_at, attempts, late, owner, payload, sent_at, message_id) \
         VALUES ($1, $2, $3, $4, 1, 0, 'x', $5, $4, '8')",
    )
    .bind(job)
    .bind(period)
    .bind(chat_key)
    .bind(now().timestamp())
    .bind(serde_json::to_string(out).unwrap())
    .execute(&mut *conn)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_dashboard_draws_the_pictures_charts_and_shows_the_one_a_bulletin_was_posted_with() {
    for db in TestDb::all().await {
        let d = Dashboard::start(&db).await;
        let t = d.token(LEADER, Scope::All, now()).await;
        let t = Some(t.as_str());
        let (_, _, late) = d.get("/late", t).await;
        assert!(
            late.contains("<svg") && late.contains("逾期最久的"),
            "{late}"
        );

        let png = b"\x89PNG\r\n\x1a\n-the-posted-picture".to_vec();
        let picture = Outgoing {
            picture: Some(OutgoingDocument {
                file_name: "duban-2026-W48.png".into(),
                bytes: png.clone(),
            }),
            ..Outgoing::to(tg_chat(-1009), "2026年第48周 挂图")
        };
        posted(&d, "bulletin", "2026-W48", "-1009#picture", &picture).await;
        let (_, _, list) = d.get("/posts", t).await;
        assert_eq!(
            list.matches(">2026-W48<").count(),
            1,
            "the picture is no post of its own: {list}"
        );
        let (status, _, one) = d.get("/posts/bulletin/2026-W48", t).await;
        assert_eq!(status, 200);
        assert!(
            one.contains(
                "<img class=\"chart\" src=\"/posts/bulletin/2026-W48/picture.png?lang=zh-CN\""
            ),
            "{one}"
        );
        assert!(
            one.contains("周动态 2026-W48"),
            "the text, not the caption: {one}"
        );
        let (status, head, body) = d.get("/posts/bulletin/2026-W48/picture.png", t).await;
        assert_eq!(status, 200);
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: image/png"),
            "{head}"
        );
        assert!(body.ends_with("-the-posted-picture"), "{body}");
        assert_eq!(
            d.get("/posts/bulletin/2026-W47/picture.png", t).await.0,
            404
        );
        assert_eq!(d.get("/posts/nothing/2026-W48/picture.png", t).await.0, 404);

        // The monthly analysis: its rates week by week, drawn again.
        let text = Outgoing::to(tg_chat(-1009), "督办月度分析 · 2026-11");
        posted(&d, "monthly", "2026-11", "-1009", &text).await;
        let (status, _, month) = d.get("/posts/monthly/2026-11", t).await;
        assert_eq!(status, 200);
        assert!(
            month.contains("<svg") && month.contains("按期完成率"),
            "{month}"
        );
        assert!(month.contains(">W48<"), "{month}");
        d.store.close().await;
    }
}

#[tokio::test]
async fn a_posted_picture_is_leaderships_only() {
    let db = TestDb::sqlite();
    let d = Dashboard::start(&db).await;
    let liaison = d.token(LIAISON, Scope::Liaison, now()).await;
    let path = "/posts/bulletin/2026-W48/picture.png";
    assert_eq!(d.get(path, Some(&liaison)).await.0, 403);
    assert_eq!(d.get(path, None).await.0, 401);
    assert_eq!(d.get(path, Some("forged.token")).await.0, 401);
}
