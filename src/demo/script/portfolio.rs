//! The twelve sample projects: each one's owner, group, pledged milestones,
//! liaison, reporting habit and pace; and the CSV that imports them.

use chrono::Weekday;

use duban::domain::lang::Lang;

use super::Tr;
use super::cast::{LI_NA, Person, WANG_QIANG, ZHANG};

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_portfolio_imports() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        for lang in [Lang::ZhCn, Lang::En] {
            let plan = duban::domain::import::parse_csv(portfolio_csv(lang).as_bytes(), today)
                .unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert_eq!(plan.len(), PROJECTS.len());
        }
    }
}
