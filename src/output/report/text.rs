//! The report as plain-text tables for a terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{change, ordered, percent, score, span, Compliance, Kpis, Report};
use crate::i18n::{LabelKind, Lang, Msg};

/// Terminal columns a string takes: East Asian wide characters two, combining marks none.
fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// A table with a header row. The first column is left-aligned; the others are right-aligned
/// when they hold numbers.
struct Table {
    rows: Vec<Vec<String>>,
    numeric: bool,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
            numeric: true,
        }
    }

    /// A table whose columns are all text, all left-aligned.
    fn text(header: &[&str]) -> Table {
        Table {
            numeric: false,
            ..Table::new(header)
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| width(c))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (n, row) in self.rows.iter().enumerate() {
            let mut line = String::from("  ");
            for (i, cell) in row.iter().enumerate() {
                let pad = " ".repeat(
                    widths
                        .get(i)
                        .copied()
                        .unwrap_or(0)
                        .saturating_sub(width(cell)),
                );
                if i == 0 || !self.numeric {
                    if i > 0 {
                        line.push_str("  ");
                    }
                    line.push_str(cell);
                    line.push_str(&pad);
                } else {
                    line.push_str("  ");
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if n == 0 {
                let total: usize =
                    widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
                out.push_str("  ");
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
    }
}

fn compliance_line(l: Lang, c: &Compliance) -> String {
    l.fill(
        Msg::ComplianceLine,
        &[&c.met, &c.breached, &c.open, &percent(c.compliance)],
    )
}

fn ratio_cell(c: &Compliance) -> String {
    format!("{}/{}", c.met, c.met + c.breached)
}

pub(super) fn render(r: &Report) -> String {
    let out = render_raw(r);
    match crate::output::escape_controls(&out) {
        std::borrow::Cow::Borrowed(_) => out,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

fn render_raw(r: &Report) -> String {
    let l = r.locale;
    let mut out = String::new();
    let t = &r.totals.kpis;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{}",
        l.fill(Msg::ReportTitle, &[&r.policy.name, &r.policy.version])
    );
    let _ = writeln!(
        out,
        "{}",
        l.fill(Msg::ReportMeta, &[&r.now, &l.period(r.by), &r.time_zone])
    );
    let _ = writeln!(
        out,
        "{}",
        l.fill(Msg::TicketsCount, &[&r.tickets, &r.errors])
    );
    out.push('\n');

    out.push_str(l.text(Msg::Totals));
    out.push('\n');
    let mut totals = Table::text(&[l.text(Msg::Measure), l.text(Msg::Value)]);
    totals.row(vec![
        l.text(Msg::FirstResponseSla).into(),
        compliance_line(l, &t.sla.first_response),
    ]);
    totals.row(vec![
        l.text(Msg::ResolutionSla).into(),
        compliance_line(l, &t.sla.resolution),
    ]);
    for (name, s) in [
        (Msg::TimeToFirstResponse, &t.times.first_response),
        (Msg::TimeToResolution, &t.times.resolution),
    ] {
        totals.row(vec![
            l.text(name).into(),
            l.fill(
                Msg::TimesLine,
                &[&span(l, s.median), &span(l, s.p90), &s.samples],
            ),
        ]);
    }
    totals.row(vec![
        l.text(Msg::EscalationsFired).into(),
        l.fill(
            Msg::EscalationsLine,
            &[&t.escalations.fired, &t.escalations.tickets],
        ),
    ]);
    totals.row(vec![
        l.text(Msg::FollowUpVisits).into(),
        match &t.follow_up {
            Some(f) => l.fill(
                Msg::FollowUpLine,
                &[&f.visits, &f.resolutions, &percent(f.rate)],
            ),
            None => l.text(Msg::FollowUpNotConfigured).into(),
        },
    ]);
    totals.row(vec![
        l.text(Msg::Satisfaction).into(),
        l.fill(
            Msg::SatisfactionLine,
            &[&score(t.satisfaction.average), &t.satisfaction.responses],
        ),
    ]);
    if let Some(s) = &t.sentiment {
        totals.row(vec![
            l.text(Msg::NegativeSentiment).into(),
            l.fill(
                Msg::NegativeSentimentLine,
                &[&s.negative, &s.tickets, &percent(s.share)],
            ),
        ]);
    }
    totals.render(&mut out);
    out.push('\n');

    out.push_str(l.text(Msg::PeriodsHeading));
    out.push('\n');
    let mut periods = Table::new(&[
        l.text(Msg::Period),
        l.text(Msg::Tickets),
        l.text(Msg::FirstResponseShort),
        "%",
        l.text(Msg::Median),
        l.text(Msg::P90),
        l.text(Msg::Resolution),
        "%",
        l.text(Msg::Median),
        l.text(Msg::P90),
        l.text(Msg::EscalationsShort),
        l.text(Msg::FollowUp),
        l.text(Msg::SatisfactionShort),
        l.text(Msg::Change),
    ]);
    let mut empty = 0;
    for p in &r.periods {
        if p.kpis.tickets == 0 {
            empty += 1;
            continue;
        }
        periods.row(period_row(l, p.label.clone(), &p.kpis));
        // A quarter or a year is followed by its months, indented.
        for m in p.months.iter().filter(|m| m.kpis.tickets > 0) {
            periods.row(period_row(l, format!("  {}", m.label), &m.kpis));
        }
    }
    periods.render(&mut out);
    if empty > 0 {
        let _ = writeln!(out, "  ({})", l.fill(Msg::EmptyPeriods, &[&empty]));
    }
    out.push('\n');

    breakdown(
        &mut out,
        r,
        (Msg::ByCategory, Msg::Category),
        Some(LabelKind::Category),
        &r.order.categories,
        &t.by_category,
        t.tickets,
    );
    breakdown(
        &mut out,
        r,
        (Msg::ByPriority, Msg::Priority),
        Some(LabelKind::Priority),
        &r.order.priorities,
        &t.by_priority,
        t.tickets,
    );
    breakdown(
        &mut out,
        r,
        (Msg::ByChannel, Msg::Channel),
        None,
        &[],
        &t.by_channel,
        t.tickets,
    );

    out.push_str(l.text(Msg::Departments));
    out.push('\n');
    let mut depts = Table::new(&[
        l.text(Msg::Department),
        l.text(Msg::Tickets),
        l.text(Msg::Open),
        l.text(Msg::FirstResponsePercent),
        l.text(Msg::ResolutionPercent),
        l.text(Msg::ResolutionMedian),
        l.text(Msg::ResolutionP90),
        l.text(Msg::EscalationsShort),
    ]);
    for id in ordered(&r.order.departments, t.departments.keys()) {
        if let Some(d) = t.departments.get(id) {
            depts.row(vec![
                r.labels.with_id(LabelKind::Department, id),
                d.tickets.to_string(),
                d.open.to_string(),
                percent(d.first_response.compliance),
                percent(d.resolution.compliance),
                span(l, d.resolution_time.median),
                span(l, d.resolution_time.p90),
                d.escalations_fired.to_string(),
            ]);
        }
    }
    depts.render(&mut out);
    out.push('\n');

    models(&mut out, r);
    agents(&mut out, r, t);
    hot_issues(&mut out, r, t);
    out
}

fn period_row(l: Lang, label: String, k: &Kpis) -> Vec<String> {
    vec![
        label,
        k.tickets.to_string(),
        ratio_cell(&k.sla.first_response),
        percent(k.sla.first_response.compliance),
        span(l, k.times.first_response.median),
        span(l, k.times.first_response.p90),
        ratio_cell(&k.sla.resolution),
        percent(k.sla.resolution.compliance),
        span(l, k.times.resolution.median),
        span(l, k.times.resolution.p90),
        k.escalations.fired.to_string(),
        percent(k.follow_up.as_ref().and_then(|f| f.rate)),
        score(k.satisfaction.average),
        change(k.satisfaction.change),
    ]
}

/// Transfers and where agents overrode the rules; nothing when agents never acted.
fn agents(out: &mut String, r: &Report, t: &Kpis) {
    let l = r.locale;
    let o = &t.overrides;
    if t.transfers.count == 0 && o.category + o.priority + o.route == 0 {
        return;
    }
    out.push_str(l.text(Msg::TransfersHeading));
    out.push('\n');
    let _ = writeln!(
        out,
        "  {}",
        l.fill(
            Msg::TransfersLine,
            &[
                &t.transfers.count,
                &t.transfers.tickets,
                &t.tickets,
                &percent(t.transfers.share),
                &span(l, t.transfers.held.median),
                &span(l, t.transfers.held.p90),
            ]
        )
    );
    if !t.transfers.by_pair.is_empty() {
        let mut pairs = Table::new(&[l.text(Msg::FromTo), l.text(Msg::TransfersColumn)]);
        for (pair, n) in &t.transfers.by_pair {
            pairs.row(vec![pair.replace('→', " → "), n.to_string()]);
        }
        pairs.render(out);
        let mut periods = Table::new(&[
            l.text(Msg::Period),
            l.text(Msg::TransfersColumn),
            l.text(Msg::Tickets),
            l.text(Msg::Share),
            l.text(Msg::OverridesColumn),
        ]);
        for p in r.periods.iter().filter(|p| p.kpis.tickets > 0) {
            let k = &p.kpis;
            periods.row(vec![
                p.label.clone(),
                k.transfers.count.to_string(),
                k.transfers.tickets.to_string(),
                percent(k.transfers.share),
                (k.overrides.category + k.overrides.priority + k.overrides.route).to_string(),
            ]);
        }
        periods.render(out);
    }
    out.push('\n');

    out.push_str(l.text(Msg::AgentsRulesHeading));
    out.push('\n');
    let _ = writeln!(
        out,
        "  {}",
        l.fill(Msg::OverriddenLine, &[&o.category, &o.priority, &o.route])
    );
    let mut rows: Vec<(&String, &super::RuleAgreement)> =
        o.by_rule.iter().filter(|(_, a)| a.overridden > 0).collect();
    rows.sort_by(|a, b| b.1.overridden.cmp(&a.1.overridden).then(a.0.cmp(b.0)));
    if !rows.is_empty() {
        let mut table = Table::new(&[
            l.text(Msg::Rule),
            l.text(Msg::Decided),
            l.text(Msg::Overridden),
            l.text(Msg::Share),
            l.text(Msg::AgentsChose),
        ]);
        for (rule, a) in rows {
            let to: Vec<String> = a.to.iter().map(|(v, n)| format!("{v} ({n})")).collect();
            table.row(vec![
                rule.clone(),
                a.decided.to_string(),
                a.overridden.to_string(),
                percent(super::ratio(a.overridden, a.decided)),
                to.join(", "),
            ]);
        }
        table.render(out);
    }
    out.push('\n');
}

/// The most labels a model may have for its table to list periods in rows and labels in
/// columns; a model with more is shown as one column of totals (the JSON has every period).
pub(super) const LABEL_COLUMNS: usize = 8;

/// Per text model: tickets per label in each period and in total, and for the sentiment
/// model the share of negative sentiment per period; nothing for a policy without models.
fn models(out: &mut String, r: &Report) {
    let l = r.locale;
    let t = &r.totals.kpis;
    for m in &r.order.models {
        let Some(totals) = t.by_label.get(&m.name) else {
            continue;
        };
        let sentiment = t.sentiment.as_ref().filter(|s| s.model == m.name);
        if m.labels.len() > LABEL_COLUMNS {
            out.push_str(&l.fill(Msg::ModelLabelsTotalsHeading, &[&m.name]));
            out.push('\n');
            let mut table =
                Table::new(&[l.text(Msg::Label), l.text(Msg::Tickets), l.text(Msg::Share)]);
            let mut rows: Vec<(&String, &u64)> = totals.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (label, n) in rows {
                table.row(vec![
                    label.clone(),
                    n.to_string(),
                    percent(super::ratio(*n, t.tickets)),
                ]);
            }
            table.render(out);
            out.push('\n');
            continue;
        }
        out.push_str(&l.fill(Msg::ModelLabelsHeading, &[&m.name]));
        out.push('\n');
        let mut header: Vec<&str> = vec![l.text(Msg::Period)];
        header.extend(m.labels.iter().map(String::as_str));
        if sentiment.is_some() {
            header.push(l.text(Msg::NegativePercent));
        }
        let mut table = Table::new(&header);
        let row = |label: String, k: &Kpis| {
            let counts = k.by_label.get(&m.name);
            let mut cells = vec![label];
            for name in &m.labels {
                let n = counts.and_then(|c| c.get(name)).copied().unwrap_or(0);
                cells.push(n.to_string());
            }
            if sentiment.is_some() {
                cells.push(percent(k.sentiment.as_ref().and_then(|s| s.share)));
            }
            cells
        };
        for p in r.periods.iter().filter(|p| p.kpis.tickets > 0) {
            table.row(row(p.label.clone(), &p.kpis));
            for mo in p.months.iter().filter(|mo| mo.kpis.tickets > 0) {
                table.row(row(format!("  {}", mo.label), &mo.kpis));
            }
        }
        table.row(row(l.text(Msg::Total).to_string(), t));
        table.render(out);
        out.push('\n');
    }
}

fn breakdown(
    out: &mut String,
    r: &Report,
    (title, column): (Msg, Msg),
    kind: Option<LabelKind>,
    order: &[String],
    counts: &BTreeMap<String, u64>,
    total: u64,
) {
    let l = r.locale;
    out.push_str(l.text(title));
    out.push('\n');
    let mut table = Table::new(&[l.text(column), l.text(Msg::Tickets), l.text(Msg::Share)]);
    for id in ordered(order, counts.keys()) {
        if let Some(n) = counts.get(id) {
            let name = kind.map_or_else(|| id.to_string(), |k| r.labels.with_id(k, id));
            table.row(vec![name, n.to_string(), percent(super::ratio(*n, total))]);
        }
    }
    table.render(out);
    out.push('\n');
}

fn hot_issues(out: &mut String, r: &Report, t: &Kpis) {
    let l = r.locale;
    out.push_str(l.text(Msg::HotIssuesHeading));
    out.push('\n');
    if t.hot_issues.is_empty() {
        let _ = writeln!(out, "  {}", l.text(Msg::NoHotIssues));
        return;
    }
    let mut table = Table::text(&[l.text(Msg::Category), l.text(Msg::KeywordsTickets)]);
    for id in ordered(&r.order.categories, t.hot_issues.keys()) {
        if let Some(words) = t.hot_issues.get(id) {
            let list: Vec<String> = words
                .iter()
                .map(|w| format!("{} ({})", w.keyword, w.tickets))
                .collect();
            table.row(vec![
                r.labels.with_id(LabelKind::Category, id),
                list.join(", "),
            ]);
        }
    }
    table.render(out);
}

#[cfg(test)]
mod tests {
    use super::width;

    #[test]
    fn chinese_characters_are_two_columns_wide() {
        assert_eq!(width("制冷"), 4);
        assert_eq!(width("e21"), 3);
        // A combining accent takes no column of its own.
        assert_eq!(width("e\u{301}"), 1);
    }
}
