//! The people of the demo who are not a project's owner (the zone office,
//! its liaisons, a leader, an engineer) and the leadership chat they share.

use super::Tr;

#[derive(Debug)]
pub struct Person {
    pub id: i64,
    pub name: Tr,
    pub username: &'static str,
}

pub static ADMIN: Person = Person {
    id: 2000,
    name: Tr("陈敏", "Chen Min"),
    username: "chenmin",
};
pub static ZHANG: Person = Person {
    id: 2001,
    name: Tr("张伟", "Zhang Wei"),
    username: "zhangwei",
};
pub static LI_NA: Person = Person {
    id: 2002,
    name: Tr("李娜", "Li Na"),
    username: "lina",
};
pub static WANG_QIANG: Person = Person {
    id: 2003,
    name: Tr("王强", "Wang Qiang"),
    username: "wangqiang",
};
pub static LEADER: Person = Person {
    id: 2010,
    name: Tr("刘主任", "Director Liu"),
    username: "director_liu",
};
/// A site engineer in the first project's group.
pub static ENGINEER: Person = Person {
    id: 2020,
    name: Tr("李明", "Li Ming"),
    username: "liming",
};

/// Liaisons who opened a private chat with the bot (Wang Qiang never did:
/// his deadline pings fall back to a mention in the group).
pub static OPENED_PRIVATE: [&Person; 2] = [&ZHANG, &LI_NA];

pub const LEADERSHIP_CHAT: i64 = -1_000_100;
pub static LEADERSHIP_TITLE: Tr = Tr("重点项目督办领导群", "Key projects · leadership chat");
