//! What happens over the weeks besides the owners' habits, beat by beat:
//! the set-up evening, then each week's forgotten, malformed, corrected and
//! late reports, a revised pledge, problems raised and resolved.

use chrono::Weekday;

use super::Tr;
use super::beats::{Act, Beat, Report, Via, When, Where};
use super::cast::{ADMIN, ENGINEER, LEADER, LI_NA, Person, ZHANG};
use super::portfolio::PROJECTS;

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
