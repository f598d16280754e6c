//! The sample portfolio and what its people do, as data: who is in which
//! chat, each project's pledge, each owner's reporting habit, and the
//! week-by-week events that make a realistic month (a forgotten report, a
//! malformed one corrected, a second report replacing the first, a
//! milestone done late, a slipped pledge, problems solved and one left to
//! escalate).

use chrono::{Datelike, NaiveDate, Weekday};

use duban::domain::lang::Lang;

/// A text in both languages the demo speaks.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub &'static str, pub &'static str);

impl Tr {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::ZhCn => self.0,
            Lang::En => self.1,
        }
    }
}

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

/// Owners report in reply to the Monday prompt on this day and time; or
/// never. Owners in different groups share a few such moments: each moment
/// costs the bot's send pacing a round in wall time, and no reader sees two
/// groups' clocks side by side.
#[derive(Debug, Clone, Copy)]
pub enum Habit {
    Reply(Weekday, u32, u32),
    Silent,
}

#[derive(Debug)]
pub struct Milestone {
    pub name: Tr,
    pub pledged: &'static str,
    pub actual: Option<&'static str>,
}

const fn ms(name: Tr, pledged: &'static str, actual: Option<&'static str>) -> Milestone {
    Milestone {
        name,
        pledged,
        actual,
    }
}

const START: Tr = Tr("开工", "Start");
const TOP_OUT: Tr = Tr("主体封顶", "Topping-out");
const COMPLETE: Tr = Tr("竣工", "Completion");
const PRODUCTION: Tr = Tr("投产", "Production");
const REGISTERED: Tr = Tr("入库", "Registration");
const LAND: Tr = Tr("土地摘牌", "Land");
const EQUIPMENT: Tr = Tr("设备安装", "Equipment");

#[derive(Debug)]
pub struct ProjectSpec {
    pub code: &'static str,
    pub name: Tr,
    pub owner_org: Tr,
    /// As the CSV import reads it.
    pub stage: &'static str,
    pub investment: &'static str,
    pub zone: Tr,
    pub industry: Tr,
    pub liaison: &'static Person,
    pub owner: Person,
    pub chat: i64,
    pub group_title: Tr,
    pub milestones: &'static [Milestone],
    pub habit: Habit,
    /// Progress in % at the first report, and its weekly gain.
    pub progress: (u8, u8),
    /// Investment completed before the demo and per week, in 10 000 yuan.
    pub invested: (i64, i64),
}

/// The two project groups and the private chat the transcript shows.
pub const SHOWN_GROUPS: [&str; 2] = ["P2026-001", "P2026-004"];
pub static SHOWN_LIAISON: &Person = &ZHANG;

pub static PROJECTS: [ProjectSpec; 12] = [
    ProjectSpec {
        code: "P2026-001",
        name: Tr("新能源电池材料项目", "Battery materials plant"),
        owner_org: Tr("宁德某新能源公司", "Ningde New Energy Co."),
        stage: "construction",
        investment: "12亿",
        zone: Tr("高新园", "High-tech Park"),
        industry: Tr("新能源", "new energy"),
        liaison: &ZHANG,
        owner: Person {
            id: 3001,
            name: Tr("王建国", "Wang Jianguo"),
            username: "wangjianguo",
        },
        chat: -1_000_001,
        group_title: Tr(
            "新能源电池材料项目群",
            "Battery materials plant · project group",
        ),
        milestones: &[
            ms(START, "2026-03-01", Some("2026-02-26")),
            ms(TOP_OUT, "2026-12-10", None),
            ms(COMPLETE, "2027-06-30", None),
            ms(PRODUCTION, "2027-09-30", None),
        ],
        habit: Habit::Reply(Weekday::Mon, 9, 40),
        progress: (48, 4),
        invested: (31_000, 1_200),
    },
    ProjectSpec {
        code: "P2026-002",
        name: Tr("智能装备产业园", "Smart equipment park"),
        owner_org: Tr("某智能装备公司", "Smart Equipment Co."),
        stage: "construction",
        investment: "3.5亿",
        zone: Tr("装备园", "Equipment Park"),
        industry: Tr("高端装备", "advanced equipment"),
        liaison: &LI_NA,
        owner: Person {
            id: 3002,
            name: Tr("赵磊", "Zhao Lei"),
            username: "zhaolei",
        },
        chat: -1_000_002,
        group_title: Tr(
            "智能装备产业园项目群",
            "Smart equipment park · project group",
        ),
        milestones: &[
            ms(START, "2026-09-30", Some("2026-10-12")),
            ms(TOP_OUT, "2026-12-05", None),
            ms(COMPLETE, "2027-05-31", None),
        ],
        habit: Habit::Reply(Weekday::Mon, 10, 10),
        progress: (35, 5),
        invested: (9_800, 600),
    },
    ProjectSpec {
        code: "P2026-003",
        name: Tr("生物医药研发中心", "Biomedicine R&D centre"),
        owner_org: Tr("某生物医药公司", "BioPharma Co."),
        stage: "landed",
        investment: "8000万",
        zone: Tr("生物园", "Bio Park"),
        industry: Tr("生物医药", "biomedicine"),
        liaison: &WANG_QIANG,
        owner: Person {
            id: 3003,
            name: Tr("孙丽", "Sun Li"),
            username: "sunli",
        },
        chat: -1_000_003,
        group_title: Tr(
            "生物医药研发中心项目群",
            "Biomedicine R&D centre · project group",
        ),
        milestones: &[
            ms(START, "2026-10-15", None),
            ms(COMPLETE, "2027-12-31", None),
        ],
        habit: Habit::Reply(Weekday::Mon, 10, 10),
        progress: (5, 3),
        invested: (600, 150),
    },
    ProjectSpec {
        code: "P2026-004",
        name: Tr("冷链物流中心", "Cold-chain logistics centre"),
        owner_org: Tr("某物流公司", "Cold Logistics Co."),
        stage: "landed",
        investment: "2.8亿",
        zone: Tr("物流园", "Logistics Park"),
        industry: Tr("现代物流", "logistics"),
        liaison: &ZHANG,
        owner: Person {
            id: 3004,
            name: Tr("周海", "Zhou Hai"),
            username: "zhouhai",
        },
        chat: -1_000_004,
        group_title: Tr(
            "冷链物流中心项目群",
            "Cold-chain logistics centre · project group",
        ),
        milestones: &[
            ms(LAND, "2026-11-20", None),
            ms(START, "2026-12-08", None),
            ms(COMPLETE, "2027-10-31", None),
        ],
        habit: Habit::Reply(Weekday::Tue, 10, 0),
        progress: (30, 3),
        invested: (2_100, 300),
    },
    ProjectSpec {
        code: "P2026-005",
        name: Tr("光伏组件项目", "Solar modules plant"),
        owner_org: Tr("某光伏公司", "Solar Power Co."),
        stage: "production",
        investment: "25亿",
        zone: Tr("高新园", "High-tech Park"),
        industry: Tr("新能源", "new energy"),
        liaison: &LI_NA,
        owner: Person {
            id: 3005,
            name: Tr("吴刚", "Wu Gang"),
            username: "wugang",
        },
        chat: -1_000_005,
        group_title: Tr("光伏组件项目群", "Solar modules plant · project group"),
        milestones: &[
            ms(START, "2025-05-01", Some("2025-04-28")),
            ms(COMPLETE, "2026-06-30", Some("2026-06-20")),
            ms(PRODUCTION, "2026-11-25", None),
            ms(REGISTERED, "2026-12-31", None),
        ],
        habit: Habit::Reply(Weekday::Mon, 9, 40),
        progress: (92, 2),
        invested: (236_000, 2_000),
    },
    ProjectSpec {
        code: "P2026-006",
        name: Tr("城市数据中心", "City data centre"),
        owner_org: Tr("某数据科技公司", "Data Tech Co."),
        stage: "registered",
        investment: "1.2亿",
        zone: Tr("数字园", "Digital Park"),
        industry: Tr("数字经济", "digital economy"),
        liaison: &WANG_QIANG,
        owner: Person {
            id: 3006,
            name: Tr("郑洁", "Zheng Jie"),
            username: "zhengjie",
        },
        chat: -1_000_006,
        group_title: Tr("城市数据中心项目群", "City data centre · project group"),
        milestones: &[ms(REGISTERED, "2026-08-31", Some("2026-08-31"))],
        habit: Habit::Reply(Weekday::Mon, 10, 10),
        progress: (100, 0),
        invested: (12_000, 0),
    },
    ProjectSpec {
        code: "P2026-007",
        name: Tr("半导体封装测试项目", "Chip packaging and test plant"),
        owner_org: Tr("某半导体公司", "Semiconductor Co."),
        stage: "construction",
        investment: "18亿",
        zone: Tr("高新园", "High-tech Park"),
        industry: Tr("集成电路", "integrated circuits"),
        liaison: &ZHANG,
        owner: Person {
            id: 3007,
            name: Tr("冯涛", "Feng Tao"),
            username: "fengtao",
        },
        chat: -1_000_007,
        group_title: Tr(
            "半导体封装测试项目群",
            "Chip packaging plant · project group",
        ),
        milestones: &[
            ms(START, "2026-06-15", Some("2026-06-10")),
            ms(EQUIPMENT, "2026-12-18", None),
            ms(PRODUCTION, "2027-04-30", None),
        ],
        habit: Habit::Reply(Weekday::Mon, 9, 40),
        progress: (61, 4),
        invested: (72_000, 3_000),
    },
    ProjectSpec {
        code: "P2026-008",
        name: Tr("氢燃料电池项目", "Hydrogen fuel cell project"),
        owner_org: Tr("某氢能公司", "Hydrogen Energy Co."),
        stage: "signed",
        investment: "6亿",
        zone: Tr("高新园", "High-tech Park"),
        industry: Tr("新能源", "new energy"),
        liaison: &LI_NA,
        owner: Person {
            id: 3008,
            name: Tr("何静", "He Jing"),
            username: "hejing",
        },
        chat: -1_000_008,
        group_title: Tr("氢燃料电池项目群", "Hydrogen fuel cell · project group"),
        milestones: &[ms(LAND, "2026-12-04", None), ms(START, "2027-03-01", None)],
        habit: Habit::Reply(Weekday::Tue, 10, 0),
        progress: (8, 2),
        invested: (0, 0),
    },
    ProjectSpec {
        code: "P2026-009",
        name: Tr("绿色食品加工项目", "Green food processing plant"),
        owner_org: Tr("某食品公司", "Green Foods Co."),
        stage: "production",
        investment: "1.5亿",
        zone: Tr("农业园", "Agri Park"),
        industry: Tr("食品加工", "food processing"),
        liaison: &WANG_QIANG,
        owner: Person {
            id: 3009,
            name: Tr("许明", "Xu Ming"),
            username: "xuming",
        },
        chat: -1_000_009,
        group_title: Tr(
            "绿色食品加工项目群",
            "Green food processing · project group",
        ),
        milestones: &[
            ms(PRODUCTION, "2026-09-30", Some("2026-09-28")),
            ms(REGISTERED, "2027-03-31", None),
        ],
        habit: Habit::Reply(Weekday::Tue, 10, 0),
        progress: (95, 1),
        invested: (14_500, 100),
    },
    ProjectSpec {
        code: "P2026-010",
        name: Tr("汽车零部件项目", "Auto parts plant"),
        owner_org: Tr("某汽车零部件公司", "Auto Parts Co."),
        stage: "construction",
        investment: "4.2亿",
        zone: Tr("装备园", "Equipment Park"),
        industry: Tr("汽车", "automotive"),
        liaison: &LI_NA,
        owner: Person {
            id: 3010,
            name: Tr("韩冰", "Han Bing"),
            username: "hanbing",
        },
        chat: -1_000_010,
        group_title: Tr("汽车零部件项目群", "Auto parts plant · project group"),
        milestones: &[
            ms(START, "2026-08-01", Some("2026-08-05")),
            ms(TOP_OUT, "2026-11-28", None),
            ms(COMPLETE, "2027-08-31", None),
        ],
        habit: Habit::Reply(Weekday::Mon, 10, 10),
        progress: (40, 2),
        invested: (11_000, 400),
    },
    ProjectSpec {
        code: "P2026-011",
        name: Tr("工业互联网平台", "Industrial internet platform"),
        owner_org: Tr("某信息技术公司", "InfoTech Co."),
        stage: "signed",
        investment: "5000万",
        zone: Tr("数字园", "Digital Park"),
        industry: Tr("数字经济", "digital economy"),
        liaison: &WANG_QIANG,
        owner: Person {
            id: 3011,
            name: Tr("曹宇", "Cao Yu"),
            username: "caoyu",
        },
        chat: -1_000_011,
        group_title: Tr(
            "工业互联网平台项目群",
            "Industrial internet platform · project group",
        ),
        milestones: &[ms(LAND, "2027-01-31", None)],
        habit: Habit::Silent,
        progress: (0, 0),
        invested: (0, 0),
    },
    ProjectSpec {
        code: "P2026-012",
        name: Tr("医疗器械产业园", "Medical devices park"),
        owner_org: Tr("某医疗器械公司", "MedDevice Co."),
        stage: "landed",
        investment: "2.2亿",
        zone: Tr("生物园", "Bio Park"),
        industry: Tr("生物医药", "biomedicine"),
        liaison: &ZHANG,
        owner: Person {
            id: 3012,
            name: Tr("彭飞", "Peng Fei"),
            username: "pengfei",
        },
        chat: -1_000_012,
        group_title: Tr(
            "医疗器械产业园项目群",
            "Medical devices park · project group",
        ),
        milestones: &[
            ms(START, "2026-12-31", None),
            ms(COMPLETE, "2027-12-31", None),
        ],
        habit: Habit::Reply(Weekday::Tue, 10, 0),
        progress: (12, 3),
        invested: (1_800, 200),
    },
];

pub fn project(code: &str) -> &'static ProjectSpec {
    PROJECTS
        .iter()
        .find(|p| p.code == code)
        .unwrap_or_else(|| panic!("the script names an unknown project {code}"))
}

/// The portfolio as the CSV an office would import, in `lang`.
pub fn portfolio_csv(lang: Lang) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "code",
        "name",
        "owner",
        "stage",
        "investment",
        "milestone",
        "pledged",
        "actual",
        "zone",
        "industry",
        "liaison",
    ];
    // Writing to memory cannot fail; a failure would be a bug in the data.
    w.write_record(header).expect("csv header");
    for p in &PROJECTS {
        for m in p.milestones {
            w.write_record([
                p.code,
                p.name.get(lang),
                p.owner_org.get(lang),
                p.stage,
                p.investment,
                m.name.get(lang),
                m.pledged,
                m.actual.unwrap_or(""),
                p.zone.get(lang),
                p.industry.get(lang),
                p.liaison.name.get(lang),
            ])
            .expect("csv row");
        }
    }
    String::from_utf8(w.into_inner().expect("csv flush")).expect("utf-8 csv")
}

/// Where something is said.
#[derive(Debug, Clone, Copy)]
pub enum Where {
    Group(&'static str),
    /// The person's private chat with the bot.
    Private(&'static Person),
    Leadership,
}

/// How a weekly report is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In reply to this week's prompt.
    Prompt,
    /// `/report` and the lines.
    Command,
}

#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub via: Via,
    /// Lines after the usual ones (a milestone done, a problem, a note).
    pub extra: Option<Tr>,
    /// Added to the progress the habit would report (a correction).
    pub adjust: i8,
    /// The progress written in words, which the parser refuses.
    pub broken: bool,
}

impl Report {
    const fn new(via: Via) -> Self {
        Report {
            via,
            extra: None,
            adjust: 0,
            broken: false,
        }
    }

    const fn with(mut self, extra: Tr) -> Self {
        self.extra = Some(extra);
        self
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Act {
    /// The bot is added to the group.
    AddBot,
    /// `/bind` the group's project.
    Bind,
    /// A liaison or an owner says who they are (the message that
    /// /setliaison or /setowner then answers).
    Introduce,
    /// A command, or anything else the bot answers.
    Say(Tr),
    /// Talk among people that the bot does not answer.
    Chatter(Tr),
    /// A reply to `to`'s last message here (how /setowner and /setliaison
    /// name their person).
    ReplyToLast(&'static Person, Tr),
    /// This week's report of the group's project (by its owner); replaces
    /// the owner's habit that week.
    Report(Report),
    /// The owner lets the week pass without reporting.
    Forget,
    /// `/resolve ID note`, the ID being the one the bot gave the problem
    /// containing `needle` in `group`.
    Resolve {
        group: &'static str,
        needle: Tr,
        note: Tr,
    },
}

/// When, relative to the demo's weeks: week 0 starts on the Monday after
/// the demo starts; week -1 is the Sunday evening of set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct When {
    pub week: i32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

impl When {
    pub const fn new(week: i32, day: Weekday, hour: u32, minute: u32) -> Self {
        When {
            week,
            day: day.num_days_from_monday(),
            hour,
            minute,
        }
    }

    pub fn date(self, first_monday: NaiveDate) -> NaiveDate {
        first_monday + chrono::Duration::days(i64::from(self.week) * 7 + i64::from(self.day))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Beat {
    pub when: When,
    pub place: Where,
    pub who: &'static Person,
    pub act: Act,
}

const fn beat(when: When, place: Where, who: &'static Person, act: Act) -> Beat {
    Beat {
        when,
        place,
        who,
        act,
    }
}

use Weekday::{Mon, Sun, Thu, Tue, Wed};

const A: &str = "P2026-001";
const B: &str = "P2026-004";

/// Everything that is not a habit, in any order.
pub static EVENTS: &[Beat] = &[
    // Sunday evening: the zone office sets up; a liaison opens a private
    // chat with the bot so it may write to him first.
    beat(
        When::new(-1, Sun, 20, 30),
        Where::Leadership,
        &ADMIN,
        Act::Say(Tr("/subscribe", "/subscribe")),
    ),
    beat(
        When::new(-1, Sun, 21, 0),
        Where::Private(&ZHANG),
        &ZHANG,
        Act::Say(Tr("/start", "/start")),
    ),
    beat(
        When::new(-1, Sun, 21, 0),
        Where::Private(&LI_NA),
        &LI_NA,
        Act::Say(Tr("/start", "/start")),
    ),
    beat(
        When::new(-1, Sun, 21, 10),
        Where::Group(A),
        &ZHANG,
        Act::Say(Tr("/status", "/status")),
    ),
    // Week 0.
    beat(
        When::new(0, Mon, 8, 30),
        Where::Leadership,
        &LEADER,
        Act::Say(Tr("/status", "/status")),
    ),
    beat(
        When::new(0, Mon, 9, 40),
        Where::Group(A),
        &PROJECTS[0].owner,
        Act::Report(Report::new(Via::Prompt).with(Tr(
            "问题: 临时用电未接通，夜间无法施工",
            "problems: temporary power not connected, no night shifts",
        ))),
    ),
    beat(
        When::new(0, Mon, 9, 0),
        Where::Group(B),
        &PROJECTS[3].owner,
        Act::Forget,
    ),
    beat(
        When::new(0, Mon, 9, 0),
        Where::Group("P2026-003"),
        &PROJECTS[2].owner,
        Act::Forget,
    ),
    beat(
        When::new(0, Wed, 9, 30),
        Where::Group("P2026-005"),
        &PROJECTS[4].owner,
        Act::Say(Tr("/done 投产", "/done Production")),
    ),
    beat(
        When::new(0, Wed, 10, 20),
        Where::Group(B),
        &PROJECTS[3].owner,
        Act::Report(Report {
            broken: true,
            ..Report::new(Via::Command).with(Tr(
                "问题: 冷库用地规划调整手续未批复",
                "problems: planning change for the cold-store plot not approved",
            ))
        }),
    ),
    beat(
        When::new(0, Wed, 10, 25),
        Where::Group(B),
        &PROJECTS[3].owner,
        Act::Report(Report::new(Via::Command).with(Tr(
            "问题: 冷库用地规划调整手续未批复",
            "problems: planning change for the cold-store plot not approved",
        ))),
    ),
    // Week 1.
    beat(
        When::new(1, Mon, 9, 30),
        Where::Group(B),
        &PROJECTS[3].owner,
        Act::Report(
            Report::new(Via::Prompt)
                .with(Tr("完成节点: 土地摘牌 2026-11-30", "done: Land 2026-11-30")),
        ),
    ),
    beat(
        When::new(1, Mon, 9, 35),
        Where::Group(A),
        &PROJECTS[0].owner,
        Act::Report(Report::new(Via::Prompt)),
    ),
    beat(
        When::new(1, Mon, 10, 10),
        Where::Group("P2026-003"),
        &PROJECTS[2].owner,
        Act::Report(
            Report::new(Via::Prompt)
                .with(Tr("完成节点: 开工 2026-11-30", "done: Start 2026-11-30")),
        ),
    ),
    beat(
        When::new(1, Tue, 8, 50),
        Where::Group(A),
        &PROJECTS[0].owner,
        Act::Report(Report {
            adjust: 3,
            ..Report::new(Via::Prompt).with(Tr(
                "备注: 周一进度填错了，以本条为准",
                "note: Monday's progress was wrong, this one stands",
            ))
        }),
    ),
    beat(
        When::new(1, Tue, 10, 0),
        Where::Group("P2026-008"),
        &PROJECTS[7].owner,
        Act::Report(
            Report::new(Via::Prompt)
                .with(Tr("完成节点: 土地摘牌 2026-12-01", "done: Land 2026-12-01")),
        ),
    ),
    beat(
        When::new(1, Tue, 11, 0),
        Where::Group(B),
        &PROJECTS[3].owner,
        Act::Chatter(Tr(
            "土地摘牌晚了十天，开工只能顺延两周，申请调整军令状。",
            "The land came ten days late, so the start moves two weeks; please revise the pledge.",
        )),
    ),
    beat(
        When::new(1, Tue, 11, 5),
        Where::Group(B),
        &ZHANG,
        Act::Say(Tr("/pledge\n开工 2026-12-22", "/pledge\nStart 2026-12-22")),
    ),
    beat(
        When::new(1, Tue, 14, 0),
        Where::Private(&ZHANG),
        &ZHANG,
        Act::Resolve {
            group: A,
            needle: Tr("临时用电", "temporary power"),
            note: Tr(
                "已协调供电公司，周一起临时用电接通",
                "the utility connected temporary power on Monday",
            ),
        },
    ),
    beat(
        When::new(1, Wed, 16, 0),
        Where::Group(A),
        &ENGINEER,
        Act::Say(Tr(
            "/problem 塔吊需办理特种设备使用登记",
            "/problem the tower crane needs its special-equipment registration",
        )),
    ),
    beat(
        When::new(1, Thu, 17, 0),
        Where::Leadership,
        &LEADER,
        Act::Say(Tr("/overdue", "/overdue")),
    ),
    // Week 2.
    beat(
        When::new(2, Mon, 9, 40),
        Where::Group(A),
        &PROJECTS[0].owner,
        Act::Report(Report::new(Via::Prompt).with(Tr(
            "完成节点: 主体封顶 2026-12-07",
            "done: Topping-out 2026-12-07",
        ))),
    ),
    beat(
        When::new(2, Mon, 10, 10),
        Where::Group("P2026-002"),
        &PROJECTS[1].owner,
        Act::Report(Report::new(Via::Prompt).with(Tr(
            "完成节点: 主体封顶 2026-12-07",
            "done: Topping-out 2026-12-07",
        ))),
    ),
    beat(
        When::new(2, Mon, 10, 10),
        Where::Group("P2026-010"),
        &PROJECTS[9].owner,
        Act::Report(Report::new(Via::Prompt).with(Tr(
            "问题: 钢结构材料供应延迟",
            "problems: structural steel delivery delayed",
        ))),
    ),
    beat(
        When::new(2, Thu, 10, 0),
        Where::Group(A),
        &ZHANG,
        Act::Resolve {
            group: A,
            needle: Tr("塔吊", "tower crane"),
            note: Tr("已办结使用登记", "registration done"),
        },
    ),
    // Week 3.
    beat(
        When::new(3, Tue, 10, 30),
        Where::Group("P2026-007"),
        &PROJECTS[6].owner,
        Act::Report(Report::new(Via::Prompt).with(Tr(
            "完成节点: 设备安装 2026-12-15",
            "done: Equipment 2026-12-15",
        ))),
    ),
    beat(
        When::new(3, Wed, 9, 30),
        Where::Private(&ZHANG),
        &ZHANG,
        Act::Say(Tr("/overdue", "/overdue")),
    ),
];

/// What the owner writes as the week's report: the usual lines from the
/// project's pace, then the extra ones.
pub fn report_text(p: &ProjectSpec, week: u32, r: &Report, lang: Lang) -> String {
    let w = i64::from(week);
    let progress =
        (i64::from(p.progress.0) + i64::from(p.progress.1) * w + i64::from(r.adjust)).clamp(0, 100);
    let total = p.invested.0 + p.invested.1 * (w + 1);
    let (this_week, next_week) = work(p.stage, week);
    let mut lines = Vec::new();
    let zh = lang == Lang::ZhCn;
    lines.push(match (zh, r.broken) {
        (true, false) => format!("进度: {progress}%"),
        (true, true) => "进度: 三成左右".to_string(),
        (false, false) => format!("progress: {progress}%"),
        (false, true) => "progress: about a third".to_string(),
    });
    if p.invested.1 > 0 {
        if zh {
            lines.push(format!("本周投资: {}万", p.invested.1));
            lines.push(format!("累计投资: {}", wan_text(total)));
        } else {
            lines.push(format!(
                "invested_week: {} yuan",
                thousands(p.invested.1 * 10_000)
            ));
            lines.push(format!(
                "invested_total: {} yuan",
                thousands(total * 10_000)
            ));
        }
    }
    if zh {
        lines.push(format!("本周完成: {}", this_week.0));
        lines.push(format!("下周计划: {}", next_week.0));
    } else {
        lines.push(format!("this_week: {}", this_week.1));
        lines.push(format!("next_week: {}", next_week.1));
    }
    if let Some(extra) = r.extra {
        lines.push(extra.get(lang).to_string());
    }
    lines.join("\n")
}

/// Amounts as people in the office write them: `1.2亿`, `3500万`.
fn wan_text(wan: i64) -> String {
    if wan >= 10_000 {
        let frac = format!("{:04}", wan % 10_000);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            format!("{}亿", wan / 10_000)
        } else {
            format!("{}.{frac}亿", wan / 10_000)
        }
    } else {
        format!("{wan}万")
    }
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn work(stage: &str, week: u32) -> (Tr, Tr) {
    let options: [(Tr, Tr); 2] = match stage {
        "signed" => [
            (
                Tr("完成项目公司注册", "project company registered"),
                Tr("准备土地摘牌材料", "prepare the land auction papers"),
            ),
            (
                Tr("用地预审材料已报送", "land pre-approval filed"),
                Tr("跟进用地预审", "follow the land pre-approval"),
            ),
        ],
        "landed" => [
            (
                Tr("场地平整与地勘", "site levelling and survey"),
                Tr("办理施工许可", "apply for the construction permit"),
            ),
            (
                Tr("施工图审查", "construction drawings under review"),
                Tr("施工单位进场准备", "contractor mobilisation"),
            ),
        ],
        "construction" => [
            (
                Tr("主体结构施工", "main structure works"),
                Tr("主体结构施工、机电预埋", "main structure and MEP embedding"),
            ),
            (
                Tr("钢结构吊装", "steel structure erection"),
                Tr("屋面及外墙施工", "roof and facade works"),
            ),
        ],
        "production" => [
            (
                Tr("产线稳定运行，产能爬坡", "lines running, output ramping up"),
                Tr("二期设备调试", "phase-2 equipment commissioning"),
            ),
            (
                Tr("完成月度产值统计", "monthly output statistics done"),
                Tr("新产品试产", "trial run of a new product"),
            ),
        ],
        _ => [
            (
                Tr("产值统计报送", "output statistics filed"),
                Tr("季度产值统计", "quarterly output statistics"),
            ),
            (
                Tr("配合入库核查", "registration audit support"),
                Tr("年度统计准备", "prepare the annual statistics"),
            ),
        ],
    };
    options[week as usize % 2]
}

/// The first Monday after `date`.
pub fn next_monday(date: NaiveDate) -> NaiveDate {
    let ahead = 7 - date.weekday().num_days_from_monday();
    date + chrono::Duration::days(i64::from(ahead))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_back_as_written() {
        use duban::domain::money::parse_money;
        assert_eq!(wan_text(31_000 + 1_200), "3.22亿");
        assert_eq!(parse_money(&wan_text(32_200)), Ok(322_000_000));
        assert_eq!(wan_text(2_400), "2400万");
        assert_eq!(thousands(12_000_000), "12,000,000");
        assert_eq!(parse_money("12,000,000 yuan"), Ok(12_000_000));
    }

    #[test]
    fn the_portfolio_imports() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        for lang in [Lang::ZhCn, Lang::En] {
            let plan = duban::domain::import::parse_csv(portfolio_csv(lang).as_bytes(), today)
                .unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert_eq!(plan.len(), PROJECTS.len());
        }
    }

    #[test]
    fn every_report_the_owners_write_is_read() {
        for lang in [Lang::ZhCn, Lang::En] {
            for p in &PROJECTS {
                let text = report_text(p, 2, &Report::new(Via::Prompt), lang);
                duban::domain::report::parse_report(&text)
                    .unwrap_or_else(|e| panic!("{}: {text}: {e}", p.code));
            }
        }
    }
}
