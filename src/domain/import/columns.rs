//! A sheet's header as offices write it: the columns by any of their names,
//! the unit an amount column names (`总投资（万元）`), and the milestone
//! columns of a wide sheet (`计划开工时间`, `实际开工时间`, `开工 pledged`).

use super::super::lang::fold_width;
use super::super::money::{WAN, YI};
use super::grid::Cell;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Code,
    Name,
    Owner,
    Stage,
    Investment,
    Milestone,
    Pledged,
    Actual,
    Zone,
    Industry,
    Liaison,
    Leader,
    AnnualPlan,
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::Code,
        Column::Name,
        Column::Owner,
        Column::Stage,
        Column::Investment,
        Column::Milestone,
        Column::Pledged,
        Column::Actual,
        Column::Zone,
        Column::Industry,
        Column::Liaison,
        Column::Leader,
        Column::AnnualPlan,
    ];

    /// Header names: the English one first, then the Chinese ones offices use.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Column::Code => &["code", "项目编号", "编号"],
            Column::Name => &["name", "项目名称"],
            Column::Owner => &["owner", "业主单位", "建设单位", "责任单位"],
            Column::Stage => &["stage", "阶段", "项目状态", "进展阶段"],
            Column::Investment => &["investment", "投资额", "总投资", "计划总投资", "项目总投资"],
            Column::Milestone => &["milestone", "节点"],
            Column::Pledged => &["pledged", "承诺日期"],
            Column::Actual => &["actual", "完成日期"],
            Column::Zone => &["zone", "园区"],
            Column::Industry => &["industry", "产业链"],
            Column::Liaison => &["liaison", "联络员"],
            Column::Leader => &["leader", "责任领导", "包联领导"],
            Column::AnnualPlan => &["annual_plan", "年度计划投资"],
        }
    }

    /// Columns every sheet must have.
    pub fn required(self) -> bool {
        matches!(
            self,
            Column::Code | Column::Name | Column::Owner | Column::Stage | Column::Investment
        )
    }

    /// The cells that describe the project, not one milestone: blank (or
    /// merged) on a continuation row.
    pub fn of_project(self) -> bool {
        !matches!(self, Column::Milestone | Column::Pledged | Column::Actual)
    }

    fn named(name: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.names().iter().any(|n| n.eq_ignore_ascii_case(name)))
    }
}

/// Which date of a milestone a wide sheet's column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateKind {
    Pledged,
    Actual,
}

/// What one header cell names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderCell {
    Known {
        column: Column,
        /// Yuan per unit of the plain numbers below (万元: 10,000).
        unit: i64,
    },
    /// A wide sheet's milestone date column.
    MilestoneDate { milestone: String, kind: DateKind },
}

/// A header cell read: its name, and the unit in brackets after it.
pub fn read_header(cell: &Cell) -> Option<HeaderCell> {
    let text = fold_width(&cell.text());
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (name, unit) = split_unit(&text);
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    if let Some(column) = Column::named(name) {
        return Some(HeaderCell::Known { column, unit });
    }
    milestone_column(name).map(|(milestone, kind)| HeaderCell::MilestoneDate { milestone, kind })
}

/// `总投资(万元)` is `总投资` in 万元; a name without a unit is in yuan.
fn split_unit(text: &str) -> (&str, i64) {
    for (suffix, unit) in [("(万元)", WAN), ("(亿元)", YI), ("(元)", 1)] {
        if let Some(name) = text.strip_suffix(suffix) {
            return (name, unit);
        }
    }
    (text, 1)
}

/// `计划开工时间`, `承诺开工时间`, `开工承诺日期` → pledged 开工; `实际开工时间`,
/// `开工完成日期` → actual 开工; `start pledged` / `start actual` in English.
fn milestone_column(name: &str) -> Option<(String, DateKind)> {
    let lower = name.to_lowercase();
    for (suffix, kind) in [
        (" pledged", DateKind::Pledged),
        (" actual", DateKind::Actual),
    ] {
        if let Some(m) = lower.strip_suffix(suffix) {
            return milestone_name(&name[..m.len()]).map(|m| (m, kind));
        }
    }
    let stem = name
        .strip_suffix("时间")
        .or_else(|| name.strip_suffix("日期"))?;
    let (milestone, kind) = if let Some(m) = stem.strip_prefix("计划") {
        (m, DateKind::Pledged)
    } else if let Some(m) = stem.strip_prefix("承诺") {
        (m, DateKind::Pledged)
    } else if let Some(m) = stem.strip_prefix("实际") {
        (m, DateKind::Actual)
    } else if let Some(m) = stem.strip_suffix("承诺") {
        (m, DateKind::Pledged)
    } else if let Some(m) = stem.strip_suffix("完成") {
        (m, DateKind::Actual)
    } else {
        return None;
    };
    milestone_name(milestone).map(|m| (m, kind))
}

fn milestone_name(m: &str) -> Option<String> {
    let m = m.trim();
    (!m.is_empty() && m.chars().count() <= 20).then(|| m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Option<HeaderCell> {
        read_header(&Cell::Text(text.into()))
    }

    #[test]
    fn amount_columns_name_their_unit_in_either_bracket() {
        assert_eq!(
            header("总投资（万元）"),
            Some(HeaderCell::Known {
                column: Column::Investment,
                unit: WAN
            })
        );
        assert_eq!(
            header("投资额(亿元)"),
            Some(HeaderCell::Known {
                column: Column::Investment,
                unit: YI
            })
        );
        assert_eq!(
            header("项目编号"),
            Some(HeaderCell::Known {
                column: Column::Code,
                unit: 1
            })
        );
    }

    #[test]
    fn wide_sheets_name_a_milestone_and_which_date() {
        let m = |name: &str, kind| {
            Some(HeaderCell::MilestoneDate {
                milestone: name.into(),
                kind,
            })
        };
        assert_eq!(header("计划开工时间"), m("开工", DateKind::Pledged));
        assert_eq!(header("计划开工日期"), m("开工", DateKind::Pledged));
        assert_eq!(header("开工承诺日期"), m("开工", DateKind::Pledged));
        assert_eq!(header("承诺开工时间"), m("开工", DateKind::Pledged));
        assert_eq!(header("实际开工时间"), m("开工", DateKind::Actual));
        assert_eq!(header("开工完成日期"), m("开工", DateKind::Actual));
        assert_eq!(header("计划入库时间"), m("入库", DateKind::Pledged));
        assert_eq!(header("Start pledged"), m("Start", DateKind::Pledged));
        assert_eq!(header("start actual"), m("start", DateKind::Actual));
        assert_eq!(
            header("承诺日期"),
            Some(HeaderCell::Known {
                column: Column::Pledged,
                unit: 1
            })
        );
        assert_eq!(header("备注"), None);
    }
}
