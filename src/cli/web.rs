//! `duban web`: the dashboard from the database alone, without the bot;
//! `--link-for USER_ID` prints a signed link on the server instead.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use duban::clock::Clock;
use duban::config::Settings;
use duban::domain::ids::PersonRef;
use duban::service::links::{self, Scope};
use duban::store::{Store, people};
use duban::web;
use tokio::sync::watch;

use crate::Refused;

/// Prints a link for `user` (a Telegram user id, or `platform:id`): the
/// whole portfolio for an admin or with `whole`, a liaison's own projects
/// otherwise; anyone else is refused, as `/web` would refuse them.
pub async fn link_for(
    store: &Store,
    settings: &Settings,
    user: &str,
    whole: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let person: PersonRef = user
        .parse()
        .map_err(|e| Refused(format!("--link-for '{user}': {e}")))?;
    let mut conn = store.conn().await?;
    let scope = if whole || settings.admins.contains(&person) {
        Scope::All
    } else {
        let liaison_of = people::liaison_projects_of(&mut conn, &person).await?;
        if liaison_of.is_empty() && !settings.liaisons.contains(&person) {
            return Err(Refused(format!(
                "{person} is neither an admin nor the liaison of a project; \
                 for a leader, add --whole (the whole portfolio)"
            ))
            .into());
        }
        Scope::Liaison
    };
    let signer = links::signer(&mut conn, settings).await?;
    let link = links::link(&signer, settings, &person, scope, now);
    println!("{}", link.url);
    eprintln!(
        "valid until {} for {person} ({})",
        duban::render::text::fmt_local(link.expires, settings.timezone),
        match scope {
            Scope::All => "the whole portfolio",
            Scope::Liaison => "their own projects",
        }
    );
    Ok(())
}

/// Serves the dashboard on `web.listen` until `stop`.
pub async fn serve(
    store: &Store,
    settings: Settings,
    clock: Arc<dyn Clock>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let Some(addr) = settings.web.listen else {
        return Err(Refused(
            "web.listen is empty: set it to IP:PORT to serve the dashboard".into(),
        )
        .into());
    };
    let listener = web::listen(addr).await?;
    let state = web::Web::new(store.clone(), Arc::new(settings), clock).await?;
    println!(
        "dashboard on http://{addr} (a link from /web or `duban web --link-for USER_ID` opens it)"
    );
    web::serve(listener, state, stop)
        .await
        .context("serving the dashboard")
}
