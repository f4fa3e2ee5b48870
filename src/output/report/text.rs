//! The report as plain-text tables for a terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{change, ordered, percent, score, span, Compliance, Kpis, Report};

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

fn compliance_line(c: &Compliance) -> String {
    format!(
        "{} met, {} breached, {} open: {}",
        c.met,
        c.breached,
        c.open,
        percent(c.compliance)
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
    let mut out = String::new();
    let t = &r.totals.kpis;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "Service report: {} ({})",
        r.policy.name, r.policy.version
    );
    let _ = writeln!(
        out,
        "As of {}, by {}; tickets are counted in the {} of their creation ({}).",
        r.now, r.by, r.by, r.time_zone
    );
    let _ = writeln!(
        out,
        "{} tickets, {} could not be evaluated.",
        r.tickets, r.errors
    );
    out.push('\n');

    out.push_str("Totals\n");
    let mut totals = Table::text(&["measure", "value"]);
    totals.row(vec![
        "first response SLA".into(),
        compliance_line(&t.sla.first_response),
    ]);
    totals.row(vec![
        "resolution SLA".into(),
        compliance_line(&t.sla.resolution),
    ]);
    for (name, s) in [
        ("time to first response", &t.times.first_response),
        ("time to resolution", &t.times.resolution),
    ] {
        totals.row(vec![
            name.into(),
            format!(
                "median {}, p90 {} ({} measured)",
                span(s.median),
                span(s.p90),
                s.samples
            ),
        ]);
    }
    totals.row(vec![
        "escalations fired".into(),
        format!(
            "{} on {} tickets",
            t.escalations.fired, t.escalations.tickets
        ),
    ]);
    totals.row(vec![
        "follow-up visits".into(),
        format!(
            "{} of {} resolutions: {}",
            t.follow_up.visits,
            t.follow_up.resolutions,
            percent(t.follow_up.rate)
        ),
    ]);
    totals.row(vec![
        "satisfaction".into(),
        format!(
            "{} / 5 from {} responses",
            score(t.satisfaction.average),
            t.satisfaction.responses
        ),
    ]);
    totals.render(&mut out);
    out.push('\n');

    out.push_str("Periods (first response and resolution: met / decided, compliance)\n");
    let mut periods = Table::new(&[
        "period",
        "tickets",
        "1st resp",
        "%",
        "median",
        "p90",
        "resolution",
        "%",
        "median",
        "p90",
        "escal.",
        "follow-up",
        "satisf.",
        "change",
    ]);
    let mut empty = 0;
    for p in &r.periods {
        let k = &p.kpis;
        if k.tickets == 0 {
            empty += 1;
            continue;
        }
        periods.row(vec![
            p.label.clone(),
            k.tickets.to_string(),
            ratio_cell(&k.sla.first_response),
            percent(k.sla.first_response.compliance),
            span(k.times.first_response.median),
            span(k.times.first_response.p90),
            ratio_cell(&k.sla.resolution),
            percent(k.sla.resolution.compliance),
            span(k.times.resolution.median),
            span(k.times.resolution.p90),
            k.escalations.fired.to_string(),
            percent(k.follow_up.rate),
            score(k.satisfaction.average),
            change(k.satisfaction.change),
        ]);
    }
    periods.render(&mut out);
    if empty > 0 {
        let _ = writeln!(
            out,
            "  ({empty} {}{} without tickets not shown)",
            r.by,
            if empty == 1 { "" } else { "s" }
        );
    }
    out.push('\n');

    breakdown(
        &mut out,
        "Tickets by category",
        "category",
        &r.order.categories,
        &t.by_category,
        t.tickets,
    );
    breakdown(
        &mut out,
        "Tickets by priority",
        "priority",
        &r.order.priorities,
        &t.by_priority,
        t.tickets,
    );
    breakdown(
        &mut out,
        "Tickets by channel",
        "channel",
        &[],
        &t.by_channel,
        t.tickets,
    );

    out.push_str("Departments\n");
    let mut depts = Table::new(&[
        "department",
        "tickets",
        "open",
        "1st resp %",
        "resolution %",
        "res. median",
        "res. p90",
        "escal.",
    ]);
    for id in ordered(&r.order.departments, t.departments.keys()) {
        if let Some(d) = t.departments.get(id) {
            depts.row(vec![
                id.to_string(),
                d.tickets.to_string(),
                d.open.to_string(),
                percent(d.first_response.compliance),
                percent(d.resolution.compliance),
                span(d.resolution_time.median),
                span(d.resolution_time.p90),
                d.escalations_fired.to_string(),
            ]);
        }
    }
    depts.render(&mut out);
    out.push('\n');

    agents(&mut out, r, t);
    hot_issues(&mut out, r, t);
    out
}

/// Transfers and where agents overrode the rules; nothing when agents never acted.
fn agents(out: &mut String, r: &Report, t: &Kpis) {
    let o = &t.overrides;
    if t.transfers.count == 0 && o.category + o.priority + o.route == 0 {
        return;
    }
    out.push_str("Transfers between departments\n");
    let _ = writeln!(
        out,
        "  {} transfers; {} of {} tickets transferred at least once ({}); held before a transfer: median {}, p90 {}",
        t.transfers.count,
        t.transfers.tickets,
        t.tickets,
        percent(t.transfers.share),
        span(t.transfers.held.median),
        span(t.transfers.held.p90)
    );
    if !t.transfers.by_pair.is_empty() {
        let mut pairs = Table::new(&["from → to", "transfers"]);
        for (pair, n) in &t.transfers.by_pair {
            pairs.row(vec![pair.replace('→', " → "), n.to_string()]);
        }
        pairs.render(out);
        let mut periods = Table::new(&["period", "transfers", "tickets", "share", "overrides"]);
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

    out.push_str("Agents and the rules (rules whose decisions agents overrode)\n");
    let _ = writeln!(
        out,
        "  overridden: {} categories, {} priorities, {} routes",
        o.category, o.priority, o.route
    );
    let mut rows: Vec<(&String, &super::RuleAgreement)> =
        o.by_rule.iter().filter(|(_, a)| a.overridden > 0).collect();
    rows.sort_by(|a, b| b.1.overridden.cmp(&a.1.overridden).then(a.0.cmp(b.0)));
    if !rows.is_empty() {
        let mut table = Table::new(&["rule", "decided", "overridden", "share", "agents chose"]);
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

fn breakdown(
    out: &mut String,
    title: &str,
    column: &str,
    order: &[String],
    counts: &BTreeMap<String, u64>,
    total: u64,
) {
    out.push_str(title);
    out.push('\n');
    let mut table = Table::new(&[column, "tickets", "share"]);
    for id in ordered(order, counts.keys()) {
        if let Some(n) = counts.get(id) {
            table.row(vec![
                id.to_string(),
                n.to_string(),
                percent(super::ratio(*n, total)),
            ]);
        }
    }
    table.render(out);
    out.push('\n');
}

fn hot_issues(out: &mut String, r: &Report, t: &Kpis) {
    out.push_str("Hot issues (keywords in the most tickets of each category)\n");
    if t.hot_issues.is_empty() {
        out.push_str("  none: no keyword occurs in two tickets of one category\n");
        return;
    }
    let mut table = Table::text(&["category", "keywords (tickets)"]);
    for id in ordered(&r.order.categories, t.hot_issues.keys()) {
        if let Some(words) = t.hot_issues.get(id) {
            let list: Vec<String> = words
                .iter()
                .map(|w| format!("{} ({})", w.keyword, w.tickets))
                .collect();
            table.row(vec![id.to_string(), list.join(", ")]);
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
