//! Who wrote, where, and what they may do there: loaded once per message,
//! before any command runs.

use crate::config::Settings;
use crate::domain::commands::{Place, Refusal, Roles};
use crate::domain::ids::ChatKind;
use crate::domain::lang::Lang;
use crate::domain::model::{Chat, Person, Project, Role};
use crate::domain::outgoing::Outgoing;
use crate::render::text::t;
use crate::store::{Conn, Result, chats, people, projects};

use super::event::{IncomingMessage, Sender};

/// Everything a message handler knows about where and who.
pub struct Here {
    pub chat: Chat,
    pub person: Person,
    pub project: Option<Project>,
    pub roles: Roles,
    pub place: Place,
    pub lang: Lang,
    pub msg: IncomingMessage,
}

/// A message in a chat bound to a project: what the commands that act on a
/// project receive, so none of them checks for the project again.
#[derive(Clone, Copy)]
pub struct InProject<'a> {
    pub here: &'a Here,
    pub project: &'a Project,
}

impl Here {
    /// Records the chat and the person as seen now and works out their roles.
    pub async fn load(tx: &mut Conn, settings: &Settings, msg: IncomingMessage) -> Result<Here> {
        let chat = chats::upsert(tx, &msg.chat.id, msg.chat.kind, &msg.chat.title).await?;
        let person = remember(tx, &msg.from).await?;
        let project = match chat.project_id {
            Some(id) => projects::by_id(tx, id).await?,
            None => None,
        };
        let held = people::roles_of(tx, person.id).await?;
        let here_id = project.as_ref().map(|p| p.id);
        let holds_here = |role: Role| held.iter().any(|&(id, r)| r == role && Some(id) == here_id);
        let roles = Roles {
            admin: settings.admins.contains(&person.account),
            liaison_here: holds_here(Role::Liaison),
            liaison_anywhere: held.iter().any(|&(_, r)| r == Role::Liaison)
                || settings.liaisons.contains(&person.account),
            owner_here: holds_here(Role::Owner),
        };
        let place = if chat.is_leadership || settings.leadership_chats.contains(&chat.address) {
            Place::Leadership
        } else if msg.chat.kind == ChatKind::Private {
            Place::Private
        } else if project.is_some() {
            Place::ProjectGroup
        } else {
            Place::Group
        };
        let lang = chat.lang(settings.locale);
        Ok(Here {
            chat,
            person,
            project,
            roles,
            place,
            lang,
            msg,
        })
    }

    /// The project this chat is bound to, for the commands that need one.
    pub fn in_project(&self) -> Option<InProject<'_>> {
        self.project.as_ref().map(|project| InProject {
            here: self,
            project,
        })
    }

    /// A reply in the same chat (and topic) to the message being handled.
    pub fn reply(&self, text: impl Into<String>) -> Outgoing {
        Outgoing {
            reply_to: Some(self.msg.message_id),
            thread: self.msg.thread,
            ..Outgoing::to(self.msg.chat.id.clone(), text)
        }
    }

    pub fn say(&self, key: &str, args: &[(&str, String)]) -> Vec<Outgoing> {
        vec![self.reply(t(self.lang, key, args))]
    }

    /// A refusal in words; in an unbound group the useful answer is how to
    /// bind it.
    pub fn refuse(&self, refusal: Refusal) -> Vec<Outgoing> {
        if refusal == Refusal::ProjectGroupOnly && self.place == Place::Group {
            return self.say("refuse.unbound_group", &[]);
        }
        self.say(refusal.key(), &[])
    }
}

/// Records a person as last seen (names and usernames change).
pub async fn remember(tx: &mut Conn, who: &Sender) -> Result<Person> {
    people::upsert(tx, &who.id, &who.display_name, who.username.as_deref()).await
}
