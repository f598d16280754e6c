//! Thursday: each liaison privately learns which of their projects have not
//! reported, which milestones are overdue or at risk, and which problems are
//! past the escalation limit. A liaison the bot may not write to first is
//! mentioned in each project's group instead, and the ledger says so.

use std::collections::BTreeMap;

use crate::domain::ids::ChatRef;
use crate::domain::model::{Person, Role};
use crate::domain::rhythm::{LiaisonItem, RunCtx, liaison_item, worst_first};
use crate::domain::time::ReportingWeek;
use crate::render::rhythm::{deadline_fallback_text, deadline_text};
use crate::service::portfolio;
use crate::store::{Conn, Result, people};

use super::{JobDeps, Planned, html, mention, project_chats};

/// A liaison's items, each with the project groups to fall back to.
type Items = Vec<(LiaisonItem, Vec<ChatRef>)>;

pub async fn plan(
    conn: &mut Conn,
    deps: &JobDeps,
    week: ReportingWeek,
    ctx: RunCtx,
) -> Result<Vec<Planned>> {
    // Per liaison: their items, and the groups to fall back to for each.
    let mut by_liaison: BTreeMap<i64, (Person, Items)> = BTreeMap::new();
    for snap in portfolio::snapshots_with(conn, &deps.settings, week).await? {
        let Some(item) = liaison_item(&snap, ctx, true) else {
            continue;
        };
        let groups: Vec<ChatRef> = project_chats(conn, &deps.settings, snap.project.id)
            .await?
            .into_iter()
            .map(|t| t.chat)
            .collect();
        for liaison in people::with_role(conn, snap.project.id, Role::Liaison).await? {
            by_liaison
                .entry(liaison.id)
                .or_insert_with(|| (liaison.clone(), Vec::new()))
                .1
                .push((item.clone(), groups.clone()));
        }
    }
    let see_more = deps.settings.see_more();
    Ok(by_liaison
        .into_values()
        .map(|(person, items)| {
            let m = mention(&person);
            let mut only: Vec<LiaisonItem> = items.iter().map(|(i, _)| i.clone()).collect();
            worst_first(&mut only);
            let private = person.account.private_chat();
            let mut out = html(
                private.clone(),
                deadline_text(&only, week, ctx, see_more.as_deref()),
            );
            out.fallback = items
                .iter()
                .flat_map(|(item, groups)| {
                    groups
                        .iter()
                        .map(|g| html(g.clone(), deadline_fallback_text(&m, item, ctx.lang)))
                        .collect::<Vec<_>>()
                })
                .collect();
            Planned {
                chat_key: private.key(),
                out,
            }
        })
        .collect())
}
