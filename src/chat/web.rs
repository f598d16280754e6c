//! `/web`: a personal, signed link to the dashboard (`src/web/`), valid for
//! `web.link_days`. Already authorised: a leadership chat or an admin gets
//! the whole portfolio, a liaison in their private chat their own projects.

use chrono::{DateTime, Utc};

use crate::domain::commands::Place;
use crate::render::html::escape_html;
use crate::render::text::{fmt_local, t};
use crate::service::links::{self, Scope, SignerError};
use crate::store::Conn;

use super::context::Here;
use super::{Env, Out};

pub async fn web(tx: &mut Conn, env: &Env<'_>, here: &Here, now: DateTime<Utc>) -> Out {
    let settings = env.settings;
    let scope = if here.roles.admin || here.place == Place::Leadership {
        Scope::All
    } else {
        Scope::Liaison
    };
    let signer = match links::signer(tx, settings).await {
        Ok(s) => s,
        Err(SignerError::Store(e)) => return Err(e),
        Err(e @ SignerError::Random(_)) => {
            tracing::error!(error = %e, "/web: no secret to sign with");
            return Ok(here.say("web.unavailable", &[]));
        }
    };
    let link = links::link(&signer, settings, &here.person.account, scope, now);
    let key = match scope {
        Scope::All => "web.link_all",
        Scope::Liaison => "web.link_own",
    };
    let text = t(
        here.lang,
        key,
        &[
            ("name", escape_html(&here.person.display_name)),
            ("url", escape_html(&link.url)),
            ("until", fmt_local(link.expires, settings.timezone)),
        ],
    );
    Ok(vec![here.reply(text)])
}
