//! The report as one self-contained HTML page: inline CSS and inline SVG charts drawn here,
//! no scripts, no fonts, no external references, so it opens offline and can be mailed.
//!
//! Every mark of a chart carries its numbers in `data-*` attributes (the same values as the
//! JSON report), so the page can be checked or scraped without reading pixels. The markup is
//! also well-formed XML.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{change, ordered, percent, score, span, Compliance, Kpis, Period, Report};
use crate::i18n::{LabelKind, Lang, Msg};

const PALETTE: &[&str] = &[
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];
const FIRST_RESPONSE_COLOR: &str = "#4e79a7";
const RESOLUTION_COLOR: &str = "#e15759";
const SATISFACTION_COLOR: &str = "#59a14f";

const CSS: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif;
       margin: 0; background: #f5f6f8; color: #1f2328; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
p.meta { color: #59636e; margin: 0 0 16px; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 10px; }
.tile { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 10px 12px; }
.tile .value { display: block; font-size: 22px; font-weight: 600; }
.tile .label { display: block; font-size: 12px; color: #59636e; }
.tile .note { display: block; font-size: 11px; color: #818b98; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 14px; }
figure { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; margin: 0; padding: 10px 12px; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
svg { width: 100%; height: auto; display: block; }
svg text { font-size: 11px; fill: #59636e; }
svg .grid { stroke: #e6e9ee; stroke-width: 1; }
svg .axis { stroke: #9aa4ae; stroke-width: 1; }
.legend { font-size: 12px; color: #59636e; margin-top: 4px; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; vertical-align: -1px; }
table { border-collapse: collapse; background: #fff; font-size: 13px; width: 100%; }
th, td { border: 1px solid #d1d9e0; padding: 4px 6px; text-align: right; white-space: nowrap; }
th { background: #f0f2f5; font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
th.group { text-align: center; }
th.words { text-align: left; }
td.words { text-align: left; white-space: normal; }
tr.month td { color: #59636e; font-size: 12px; }
tr.month td:first-child { padding-left: 18px; }
tr.total td { font-weight: 600; border-top: 1px solid #d0d7de; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 14px; align-items: start; }
.scroll { overflow-x: auto; }
.empty { color: #818b98; font-size: 13px; }
dl { font-size: 13px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 10px 14px; }
dt { font-weight: 600; margin-top: 6px; }
dd { margin: 2px 0 0 0; color: #383f47; }
";

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal: enough for a screen, short in the page.
fn px(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// A step of 1, 2 or 5 × 10ⁿ giving about `ticks` ticks up to `max`.
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let unit = raw / mag;
    let nice = if unit <= 1.0 {
        1.0
    } else if unit <= 2.0 {
        2.0
    } else if unit <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// The drawing area shared by the period charts.
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    slots: usize,
}

impl Frame {
    fn new(slots: usize) -> Frame {
        Frame {
            width: 640.0,
            height: 240.0,
            left: 44.0,
            right: 12.0,
            top: 12.0,
            bottom: 36.0,
            slots: slots.max(1),
        }
    }

    fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }

    fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }

    fn slot(&self) -> f64 {
        self.plot_width() / self.slots as f64
    }

    /// The x of the middle of slot `i`.
    fn x(&self, i: usize) -> f64 {
        self.left + self.slot() * (i as f64 + 0.5)
    }

    /// The radius of a point: smaller when many periods share the width.
    fn dot(&self) -> f64 {
        (self.slot() * 0.35).clamp(1.5, 5.0)
    }

    /// The y of `v` on a scale from `lo` to `hi`.
    fn y(&self, v: f64, lo: f64, hi: f64) -> f64 {
        let span = if hi > lo { hi - lo } else { 1.0 };
        self.top + self.plot_height() * (1.0 - (v - lo) / span)
    }

    fn open(&self, out: &mut String, chart: &str, label: &str) {
        let _ = write!(
            out,
            r#"<svg viewBox="0 0 {} {}" role="img" aria-label="{}" data-chart="{}">"#,
            px(self.width),
            px(self.height),
            esc(label),
            chart
        );
    }

    /// Horizontal grid lines with labels at `ticks`.
    fn y_axis(&self, out: &mut String, ticks: &[(f64, String)], lo: f64, hi: f64) {
        for (v, text) in ticks {
            let y = px(self.y(*v, lo, hi));
            let _ = write!(
                out,
                r#"<line class="grid" x1="{}" x2="{}" y1="{y}" y2="{y}"/><text x="{}" y="{y}" dy="4" text-anchor="end">{}</text>"#,
                px(self.left),
                px(self.width - self.right),
                px(self.left - 6.0),
                esc(text)
            );
        }
        let base = px(self.top + self.plot_height());
        let _ = write!(
            out,
            r#"<line class="axis" x1="{}" x2="{}" y1="{base}" y2="{base}"/>"#,
            px(self.left),
            px(self.width - self.right)
        );
    }

    /// Period labels under the slots, thinned out to at most eight so they never overlap.
    fn x_labels(&self, out: &mut String, periods: &[Period]) {
        let every = periods.len().div_ceil(8).max(1);
        for (i, p) in periods.iter().enumerate() {
            if i % every != 0 {
                continue;
            }
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
                px(self.x(i)),
                px(self.height - self.bottom + 16.0),
                esc(&p.label)
            );
        }
    }
}

pub(super) fn render(r: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let t = &r.totals.kpis;
    let l = r.locale;
    let title = l.fill(Msg::ReportTitle, &[&r.policy.name, &r.policy.version]);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="{}"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><title>{}</title><style>{CSS}</style></head><body><main>
"#,
        l.tag(),
        esc(&title)
    );
    let _ = write!(
        out,
        r#"<h1>{}</h1><p class="meta">{} {}</p>"#,
        esc(&title),
        esc(&l.fill(Msg::ReportMeta, &[&r.now, &l.period(r.by), &r.time_zone])),
        esc(&l.fill(Msg::TicketsCount, &[&r.tickets, &r.errors])),
    );
    out.push('\n');

    tiles(&mut out, l, t);

    let _ = writeln!(
        out,
        "<h2>{}</h2><div class=\"charts\">",
        l.text(Msg::Trends)
    );
    volume_chart(&mut out, r);
    compliance_chart(&mut out, r);
    satisfaction_chart(&mut out, r);
    department_chart(&mut out, r);
    out.push_str("</div>\n");

    periods_table(&mut out, r);

    let _ = writeln!(
        out,
        "<h2>{}</h2><div class=\"tables\">",
        l.text(Msg::Breakdowns)
    );
    breakdown(
        &mut out,
        r,
        (Msg::Category, Some(LabelKind::Category)),
        &r.order.categories,
        &t.by_category,
        t.tickets,
    );
    breakdown(
        &mut out,
        r,
        (Msg::Priority, Some(LabelKind::Priority)),
        &r.order.priorities,
        &t.by_priority,
        t.tickets,
    );
    breakdown(
        &mut out,
        r,
        (Msg::Channel, None),
        &[],
        &t.by_channel,
        t.tickets,
    );
    out.push_str("</div>\n");

    departments_table(&mut out, r);
    models_tables(&mut out, r);
    agents_tables(&mut out, r);
    hot_issues(&mut out, r);
    definitions(&mut out, l, !r.order.models.is_empty());
    out.push_str("</main></body></html>\n");
    out
}

fn tiles(out: &mut String, l: Lang, t: &Kpis) {
    let tile = |out: &mut String, value: String, label: &str, note: String| {
        let _ = write!(
            out,
            r#"<div class="tile"><span class="value">{}</span><span class="label">{}</span><span class="note">{}</span></div>"#,
            esc(&value),
            esc(label),
            esc(&note)
        );
    };
    out.push_str("<div class=\"tiles\">");
    tile(
        out,
        t.tickets.to_string(),
        l.text(Msg::TicketsTile),
        String::new(),
    );
    for (label, c) in [
        (Msg::FirstResponseSla, &t.sla.first_response),
        (Msg::ResolutionSla, &t.sla.resolution),
    ] {
        tile(
            out,
            percent(c.compliance),
            l.text(label),
            l.fill(Msg::ComplianceNote, &[&c.met, &c.breached, &c.open]),
        );
    }
    for (label, s) in [
        (Msg::MedianFirstResponse, &t.times.first_response),
        (Msg::MedianResolution, &t.times.resolution),
    ] {
        tile(
            out,
            span(l, s.median),
            l.text(label),
            l.fill(Msg::TimesNote, &[&span(l, s.p90), &s.samples]),
        );
    }
    match &t.follow_up {
        Some(f) => tile(
            out,
            percent(f.rate),
            l.text(Msg::FollowUpVisits),
            l.fill(Msg::FollowUpNote, &[&f.visits, &f.resolutions]),
        ),
        None => tile(
            out,
            "–".into(),
            l.text(Msg::FollowUpVisits),
            l.text(Msg::FollowUpNotConfigured).into(),
        ),
    }
    tile(
        out,
        score(t.satisfaction.average),
        l.text(Msg::SatisfactionScale),
        l.fill(Msg::ResponsesNote, &[&t.satisfaction.responses]),
    );
    tile(
        out,
        t.escalations.fired.to_string(),
        l.text(Msg::EscalationsFired),
        l.fill(Msg::EscalationsNote, &[&t.escalations.tickets]),
    );
    if let Some(s) = &t.sentiment {
        tile(
            out,
            percent(s.share),
            l.text(Msg::NegativeSentiment),
            l.fill(
                Msg::NegativeSentimentLine,
                &[&s.negative, &s.tickets, &percent(s.share)],
            ),
        );
    }
    out.push_str("</div>\n");
}

fn legend(out: &mut String, items: &[(String, &str)]) {
    out.push_str("<div class=\"legend\">");
    for (name, color) in items {
        let _ = write!(
            out,
            r#"<span><i style="background:{color}"></i>{}</span>"#,
            esc(name)
        );
    }
    out.push_str("</div>");
}

fn volume_chart(out: &mut String, r: &Report) {
    let periods = &r.periods;
    let categories = ordered(&r.order.categories, r.totals.kpis.by_category.keys());
    let color = |i: usize| PALETTE.get(i % PALETTE.len()).copied().unwrap_or("#888");
    let f = Frame::new(periods.len());
    let max = periods
        .iter()
        .map(|p| p.kpis.tickets)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = nice_step(max, 4.0);
    let top = (max / step).ceil() * step;
    let l = r.locale;
    let name = |c: &str| r.labels.short(LabelKind::Category, c).to_string();
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption>",
        l.text(Msg::VolumeChart)
    );
    f.open(out, "volume", l.text(Msg::VolumeChart));
    let ticks: Vec<(f64, String)> = (0..=((top / step) as u64))
        .map(|i| (i as f64 * step, format!("{}", i as f64 * step)))
        .collect();
    f.y_axis(out, &ticks, 0.0, top);
    let bar = (f.slot() * 0.7).max(1.0);
    for (i, p) in periods.iter().enumerate() {
        let _ = write!(
            out,
            r#"<g data-period="{}" data-tickets="{}">"#,
            esc(&p.label),
            p.kpis.tickets
        );
        let mut below = 0u64;
        for (ci, cat) in categories.iter().enumerate() {
            let n = p.kpis.by_category.get(*cat).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let y1 = f.y((below + n) as f64, 0.0, top);
            let y0 = f.y(below as f64, 0.0, top);
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-category="{}" data-count="{n}"><title>{} · {}: {n}</title></rect>"#,
                px(f.x(i) - bar / 2.0),
                px(y1),
                px(bar),
                px(y0 - y1),
                color(ci),
                esc(cat),
                esc(&p.label),
                esc(&name(cat))
            );
            below += n;
        }
        out.push_str("</g>");
    }
    f.x_labels(out, periods);
    out.push_str("</svg>");
    let items: Vec<(String, &str)> = categories
        .iter()
        .enumerate()
        .filter(|(_, c)| r.totals.kpis.by_category.contains_key(**c))
        .map(|(i, c)| (name(c), color(i)))
        .collect();
    legend(out, &items);
    out.push_str("</figure>\n");
}

/// A line through the periods that have a value; a gap where one has none.
fn line(out: &mut String, f: &Frame, points: &[(usize, f64)], lo: f64, hi: f64, color: &str) {
    let mut d = String::new();
    let mut last: Option<usize> = None;
    for (i, v) in points {
        let cmd = if last.is_some_and(|l| l + 1 == *i) {
            'L'
        } else {
            'M'
        };
        let _ = write!(d, "{cmd}{},{} ", px(f.x(*i)), px(f.y(*v, lo, hi)));
        last = Some(*i);
    }
    if !d.is_empty() {
        let _ = write!(
            out,
            r#"<path d="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            d.trim_end()
        );
    }
}

fn compliance_chart(out: &mut String, r: &Report) {
    let periods = &r.periods;
    let f = Frame::new(periods.len());
    let l = r.locale;
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption>",
        l.text(Msg::ComplianceChart)
    );
    f.open(out, "compliance", l.text(Msg::ComplianceChart));
    let ticks: Vec<(f64, String)> = (0..=4)
        .map(|i| (i as f64 * 0.25, format!("{}%", i * 25)))
        .collect();
    f.y_axis(out, &ticks, 0.0, 1.0);
    type Metric = fn(&Kpis) -> &Compliance;
    let series: [(&str, &str, Metric); 2] = [
        ("first_response", FIRST_RESPONSE_COLOR, |k| {
            &k.sla.first_response
        }),
        ("resolution", RESOLUTION_COLOR, |k| &k.sla.resolution),
    ];
    for (metric, color, get) in series {
        let points: Vec<(usize, f64)> = periods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| get(&p.kpis).compliance.map(|c| (i, c)))
            .collect();
        line(out, &f, &points, 0.0, 1.0, color);
        for (i, p) in periods.iter().enumerate() {
            let c = get(&p.kpis);
            if let Some(v) = c.compliance {
                // The first series is drawn hollow and larger, so equal values stay visible.
                let (r, fill) = if metric == "first_response" {
                    (px(f.dot()), "#fff")
                } else {
                    (px(f.dot() * 0.6), color)
                };
                let _ = write!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="{r}" fill="{fill}" stroke="{color}" stroke-width="2" data-metric="{metric}" data-period="{}" data-compliance="{v}" data-met="{}" data-breached="{}"><title>{} · {metric}: {} ({} met, {} breached)</title></circle>"#,
                    px(f.x(i)),
                    px(f.y(v, 0.0, 1.0)),
                    esc(&p.label),
                    c.met,
                    c.breached,
                    esc(&p.label),
                    percent(Some(v)),
                    c.met,
                    c.breached
                );
            }
        }
    }
    f.x_labels(out, periods);
    out.push_str("</svg>");
    legend(
        out,
        &[
            (l.text(Msg::FirstResponse).to_string(), FIRST_RESPONSE_COLOR),
            (l.text(Msg::Resolution).to_string(), RESOLUTION_COLOR),
        ],
    );
    out.push_str("</figure>\n");
}

fn satisfaction_chart(out: &mut String, r: &Report) {
    let periods = &r.periods;
    let f = Frame::new(periods.len());
    let l = r.locale;
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption>",
        l.text(Msg::SatisfactionChart)
    );
    f.open(out, "satisfaction", l.text(Msg::SatisfactionChart));
    let ticks: Vec<(f64, String)> = (1..=5).map(|i| (i as f64, i.to_string())).collect();
    f.y_axis(out, &ticks, 1.0, 5.0);
    let points: Vec<(usize, f64)> = periods
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.kpis.satisfaction.average.map(|a| (i, a)))
        .collect();
    line(out, &f, &points, 1.0, 5.0, SATISFACTION_COLOR);
    for (i, p) in periods.iter().enumerate() {
        let s = &p.kpis.satisfaction;
        if let Some(avg) = s.average {
            let change_attr = s
                .change
                .map(|c| format!(r#" data-change="{c}""#))
                .unwrap_or_default();
            let _ = write!(
                out,
                r#"<circle cx="{}" cy="{}" r="{}" fill="{SATISFACTION_COLOR}" data-period="{}" data-average="{avg}" data-responses="{}"{change_attr}><title>{}: {} from {} responses {}</title></circle>"#,
                px(f.x(i)),
                px(f.y(avg, 1.0, 5.0)),
                px(f.dot() * 0.8),
                esc(&p.label),
                s.responses,
                esc(&p.label),
                score(Some(avg)),
                s.responses,
                change(s.change)
            );
        }
    }
    if points.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            px(f.left + f.plot_width() / 2.0),
            px(f.top + f.plot_height() / 2.0),
            l.text(Msg::NoScoresYet)
        );
    }
    f.x_labels(out, periods);
    out.push_str("</svg>");
    legend(
        out,
        &[(l.text(Msg::AverageScore).to_string(), SATISFACTION_COLOR)],
    );
    out.push_str("</figure>\n");
}

fn department_chart(out: &mut String, r: &Report) {
    let t = &r.totals.kpis;
    let depts: Vec<&str> = ordered(&r.order.departments, t.departments.keys())
        .into_iter()
        .filter(|d| t.departments.get(*d).is_some_and(|k| k.tickets > 0))
        .collect();
    let row = 26.0;
    let left = 150.0;
    let right = 110.0;
    let width = 640.0;
    let height = 24.0 + row * depts.len().max(1) as f64;
    let max = depts
        .iter()
        .filter_map(|d| t.departments.get(*d))
        .map(|k| k.tickets)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let scale = (width - left - right) / max;
    let l = r.locale;
    let _ = write!(
        out,
        "<figure><figcaption>{}</figcaption>",
        l.text(Msg::DepartmentChart)
    );
    let _ = write!(
        out,
        r#"<svg viewBox="0 0 {} {}" role="img" aria-label="{}" data-chart="departments">"#,
        px(width),
        px(height),
        l.text(Msg::DepartmentChart)
    );
    for (i, d) in depts.iter().enumerate() {
        let Some(k) = t.departments.get(*d) else {
            continue;
        };
        let y = 8.0 + row * i as f64;
        let done = k.tickets.saturating_sub(k.open);
        let _ = write!(
            out,
            r#"<g data-department="{}" data-tickets="{}" data-open="{}"><text x="{}" y="{}" text-anchor="end">{}</text>"#,
            esc(d),
            k.tickets,
            k.open,
            px(left - 8.0),
            px(y + 13.0),
            esc(r.labels.short(LabelKind::Department, d))
        );
        let mut x = left;
        for (part, n, color) in [("resolved", done, "#4e79a7"), ("open", k.open, "#f28e2b")] {
            if n == 0 {
                continue;
            }
            let w = n as f64 * scale;
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="18" fill="{color}" data-part="{part}" data-count="{n}"><title>{}: {n} {part}</title></rect>"#,
                px(x),
                px(y),
                px(w),
                esc(d)
            );
            x += w;
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{} · {}</text></g>"#,
            px(x + 6.0),
            px(y + 13.0),
            k.tickets,
            percent(k.resolution.compliance)
        );
    }
    out.push_str("</svg>");
    legend(
        out,
        &[
            (l.text(Msg::ResolvedOrClosed).to_string(), "#4e79a7"),
            (l.text(Msg::Open).to_string(), "#f28e2b"),
        ],
    );
    let _ = writeln!(
        out,
        "<div class=\"legend\">{}</div></figure>",
        l.text(Msg::DepartmentBarLabel)
    );
}

fn periods_table(out: &mut String, r: &Report) {
    let l = r.locale;
    let t = |m: Msg| l.text(m);
    let _ = write!(
        out,
        "<h2>{}</h2><div class=\"scroll\"><table><thead>\
<tr><th rowspan=\"2\">{}</th><th rowspan=\"2\">{}</th><th colspan=\"4\" class=\"group\">{}</th><th colspan=\"4\" class=\"group\">{}</th><th rowspan=\"2\">{}</th><th rowspan=\"2\">{}</th><th colspan=\"2\" class=\"group\">{}</th></tr>\
<tr><th>{}</th><th>%</th><th>{}</th><th>{}</th><th>{}</th><th>%</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t(Msg::Periods),
        t(Msg::Period),
        t(Msg::Tickets),
        t(Msg::FirstResponse),
        t(Msg::Resolution),
        t(Msg::Escalations),
        t(Msg::FollowUp),
        t(Msg::Satisfaction),
        t(Msg::MetOfDecided),
        t(Msg::Median),
        t(Msg::P90),
        t(Msg::MetOfDecided),
        t(Msg::Median),
        t(Msg::P90),
        t(Msg::Average),
        t(Msg::Change),
    );
    let mut empty = 0;
    for p in &r.periods {
        if p.kpis.tickets == 0 {
            empty += 1;
            continue;
        }
        period_row(out, l, &p.label, &p.kpis, "");
        // A quarter or a year is followed by its months.
        for m in &p.months {
            period_row(out, l, &m.label, &m.kpis, " class=\"month\"");
        }
    }
    out.push_str("</tbody></table></div>");
    if empty > 0 {
        let _ = write!(
            out,
            r#"<p class="empty">{}</p>"#,
            esc(&l.fill(Msg::EmptyPeriods, &[&empty]))
        );
    }
    out.push('\n');
}

fn period_row(out: &mut String, l: Lang, label: &str, k: &Kpis, class: &str) {
    let cells = [
        k.tickets.to_string(),
        format!(
            "{} / {}",
            k.sla.first_response.met,
            k.sla.first_response.met + k.sla.first_response.breached
        ),
        percent(k.sla.first_response.compliance),
        span(l, k.times.first_response.median),
        span(l, k.times.first_response.p90),
        format!(
            "{} / {}",
            k.sla.resolution.met,
            k.sla.resolution.met + k.sla.resolution.breached
        ),
        percent(k.sla.resolution.compliance),
        span(l, k.times.resolution.median),
        span(l, k.times.resolution.p90),
        k.escalations.fired.to_string(),
        percent(k.follow_up.as_ref().and_then(|f| f.rate)),
        score(k.satisfaction.average),
        change(k.satisfaction.change),
    ];
    let _ = write!(out, "<tr{class}><td>{}</td>", esc(label));
    for c in cells {
        let _ = write!(out, "<td>{}</td>", esc(&c));
    }
    out.push_str("</tr>");
}

fn breakdown(
    out: &mut String,
    r: &Report,
    (column, kind): (Msg, Option<LabelKind>),
    order: &[String],
    counts: &BTreeMap<String, u64>,
    total: u64,
) {
    let l = r.locale;
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l.text(column),
        l.text(Msg::Tickets),
        l.text(Msg::Share)
    );
    for id in ordered(order, counts.keys()) {
        if let Some(n) = counts.get(id) {
            let name = kind.map_or_else(|| id.to_string(), |k| r.labels.with_id(k, id));
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{n}</td><td>{}</td></tr>",
                esc(&name),
                percent(super::ratio(*n, total))
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

fn departments_table(out: &mut String, r: &Report) {
    let l = r.locale;
    let t = &r.totals.kpis;
    let _ = write!(
        out,
        "<h2>{}</h2><div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l.text(Msg::Departments),
        l.text(Msg::Department),
        l.text(Msg::Tickets),
        l.text(Msg::Open),
        l.text(Msg::FirstResponsePercent),
        l.text(Msg::ResolutionPercent),
        l.text(Msg::ResolutionMedian),
        l.text(Msg::ResolutionP90),
        l.text(Msg::Escalations),
    );
    for id in ordered(&r.order.departments, t.departments.keys()) {
        if let Some(d) = t.departments.get(id) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.labels.with_id(LabelKind::Department, id)),
                d.tickets,
                d.open,
                percent(d.first_response.compliance),
                percent(d.resolution.compliance),
                esc(&span(l, d.resolution_time.median)),
                esc(&span(l, d.resolution_time.p90)),
                d.escalations_fired
            );
        }
    }
    out.push_str("</tbody></table></div>\n");
}

/// Per text model: tickets per label in each period and in total, and for the sentiment
/// model the share of negative sentiment per period; nothing for a policy without models.
fn models_tables(out: &mut String, r: &Report) {
    let l = r.locale;
    let t = &r.totals.kpis;
    for m in &r.order.models {
        let Some(totals) = t.by_label.get(&m.name) else {
            continue;
        };
        let sentiment = t.sentiment.as_ref().filter(|s| s.model == m.name);
        // Labels in columns when they fit, as the text form does; otherwise one row per label.
        let wide = m.labels.len() > super::text::LABEL_COLUMNS;
        let (heading, first) = if wide {
            (Msg::ModelLabelsTotalsHeading, Msg::Label)
        } else {
            (Msg::ModelLabelsHeading, Msg::Period)
        };
        let _ = write!(
            out,
            "<h2>{}</h2><div class=\"scroll\"><table><thead><tr><th>{}</th>",
            esc(&l.fill(heading, &[&m.name])),
            l.text(first)
        );
        if wide {
            let _ = write!(
                out,
                "<th>{}</th><th>{}</th></tr></thead><tbody>",
                l.text(Msg::Tickets),
                l.text(Msg::Share)
            );
            let mut rows: Vec<(&String, &u64)> = totals.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (label, n) in rows {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{n}</td><td>{}</td></tr>",
                    esc(label),
                    percent(super::ratio(*n, t.tickets))
                );
            }
            out.push_str("</tbody></table></div>\n");
            continue;
        }
        for label in &m.labels {
            let _ = write!(out, "<th>{}</th>", esc(label));
        }
        if sentiment.is_some() {
            let _ = write!(out, "<th>{}</th>", l.text(Msg::NegativePercent));
        }
        out.push_str("</tr></thead><tbody>");
        let row = |out: &mut String, label: &str, k: &Kpis, class: &str| {
            let counts = k.by_label.get(&m.name);
            let _ = write!(out, "<tr{class}><td>{}</td>", esc(label));
            for name in &m.labels {
                let n = counts.and_then(|c| c.get(name)).copied().unwrap_or(0);
                let _ = write!(out, "<td>{n}</td>");
            }
            if sentiment.is_some() {
                let share = k.sentiment.as_ref().and_then(|s| s.share);
                let _ = write!(out, "<td>{}</td>", percent(share));
            }
            out.push_str("</tr>");
        };
        for p in r.periods.iter().filter(|p| p.kpis.tickets > 0) {
            row(out, &p.label, &p.kpis, "");
            for mo in p.months.iter().filter(|mo| mo.kpis.tickets > 0) {
                row(out, &mo.label, &mo.kpis, " class=\"month\"");
            }
        }
        row(out, l.text(Msg::Total), t, " class=\"total\"");
        out.push_str("</tbody></table></div>\n");
    }
}

/// Transfers per department pair and per period, and the rules agents overrode; nothing when
/// agents never acted.
fn agents_tables(out: &mut String, r: &Report) {
    let l = r.locale;
    let t = &r.totals.kpis;
    let o = &t.overrides;
    if t.transfers.count == 0 && o.category + o.priority + o.route == 0 {
        return;
    }
    let line = l.fill(
        Msg::TransfersLine,
        &[
            &t.transfers.count,
            &t.transfers.tickets,
            &t.tickets,
            &percent(t.transfers.share),
            &span(l, t.transfers.held.median),
            &span(l, t.transfers.held.p90),
        ],
    );
    let overridden = l.fill(Msg::OverriddenLine, &[&o.category, &o.priority, &o.route]);
    let _ = write!(
        out,
        "<h2>{}</h2><p class=\"meta\">{}</p><p class=\"meta\">{}</p><div class=\"tables\">",
        esc(l.text(Msg::DefTransfers)),
        esc(&line),
        esc(&overridden)
    );
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(l.text(Msg::FromTo)),
        esc(l.text(Msg::TransfersColumn))
    );
    for (pair, n) in &t.transfers.by_pair {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{n}</td></tr>",
            esc(&pair.replace('→', " → "))
        );
    }
    out.push_str("</tbody></table>");
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(l.text(Msg::Period)),
        esc(l.text(Msg::TransfersColumn)),
        esc(l.text(Msg::Tickets)),
        esc(l.text(Msg::Share))
    );
    for p in r.periods.iter().filter(|p| p.kpis.tickets > 0) {
        let k = &p.kpis.transfers;
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.label),
            k.count,
            k.tickets,
            percent(k.share)
        );
    }
    out.push_str("</tbody></table>");
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"words\">{}</th></tr></thead><tbody>",
        esc(l.text(Msg::Rule)),
        esc(l.text(Msg::Decided)),
        esc(l.text(Msg::Overridden)),
        esc(l.text(Msg::Share)),
        esc(l.text(Msg::AgentsChose))
    );
    let mut rows: Vec<_> = o.by_rule.iter().filter(|(_, a)| a.overridden > 0).collect();
    rows.sort_by(|a, b| b.1.overridden.cmp(&a.1.overridden).then(a.0.cmp(b.0)));
    for (rule, a) in rows {
        let to: Vec<String> =
            a.to.iter()
                .map(|(v, n)| format!("{} ({n})", esc(v)))
                .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"words\">{}</td></tr>",
            esc(rule),
            a.decided,
            a.overridden,
            percent(super::ratio(a.overridden, a.decided)),
            to.join(", ")
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn hot_issues(out: &mut String, r: &Report) {
    let l = r.locale;
    let t = &r.totals.kpis;
    let _ = write!(out, "<h2>{}</h2>", l.text(Msg::HotIssues));
    if t.hot_issues.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"empty\">{}</p>",
            esc(l.text(Msg::NoHotIssues))
        );
        return;
    }
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th class=\"words\">{}</th></tr></thead><tbody>",
        l.text(Msg::Category),
        l.text(Msg::KeywordsTickets)
    );
    for id in ordered(&r.order.categories, t.hot_issues.keys()) {
        if let Some(words) = t.hot_issues.get(id) {
            let list: Vec<String> = words
                .iter()
                .map(|w| format!("{} ({})", esc(&w.keyword), w.tickets))
                .collect();
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="words">{}</td></tr>"#,
                esc(&r.labels.with_id(LabelKind::Category, id)),
                list.join(", ")
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

fn definitions(out: &mut String, l: Lang, models: bool) {
    let _ = write!(out, "<h2>{}</h2><dl>", l.text(Msg::HowToRead));
    for (term, text) in [
        (Msg::DefCompliance, Msg::DefComplianceText),
        (Msg::DefTimes, Msg::DefTimesText),
        (Msg::Escalations, Msg::DefEscalationsText),
        (Msg::FollowUp, Msg::DefFollowUpText),
        (Msg::Satisfaction, Msg::DefSatisfactionText),
        (Msg::DefTransfers, Msg::DefTransfersText),
        (Msg::HotIssues, Msg::DefHotIssuesText),
        (Msg::DefModels, Msg::DefModelsText),
        (Msg::Category, Msg::DefLabelsText),
    ]
    .into_iter()
    .filter(|(term, _)| models || *term != Msg::DefModels)
    {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            esc(l.text(term)),
            esc(l.text(text))
        );
    }
    out.push_str("</dl>\n");
}
