//! `aftercare report` on the bundled sample tickets: text and JSON snapshotted, the HTML page
//! parsed and every chart mark checked against the JSON report.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::Value;

const POLICY: &str = "policies/default.toml";
const TICKETS: &str = "policies/samples/tickets.jsonl";
const NOW: &str = "2025-10-15T12:00:00+08:00";

fn report(extra: &[&str]) -> Output {
    crate::support::aftercare()
        // The bundled policy writes Chinese; these snapshots are the English form.
        .args(["report", POLICY, TICKETS, "--now", NOW, "--lang", "en"])
        .args(extra)
        .output()
        .expect("the binary runs")
}

fn stdout(extra: &[&str]) -> String {
    let out = report(extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a terminal: no progress bar, nothing on stderr.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Every personal value in the sample tickets.
fn personal_values() -> Vec<String> {
    let text = std::fs::read_to_string(TICKETS).expect("the sample tickets");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let t: Value = serde_json::from_str(line).expect("a JSON ticket");
        for path in [
            "/customer/name",
            "/customer/contact",
            "/product/order_no",
            "/product/serial_no",
        ] {
            if let Some(s) = t.pointer(path).and_then(Value::as_str) {
                out.push(s.to_string());
            }
        }
    }
    assert!(
        out.len() > 50,
        "the samples carry personal data to look for"
    );
    out
}

#[test]
fn text_report() {
    let text = stdout(&[]);
    insta::assert_snapshot!(text);
}

#[test]
fn text_report_by_week() {
    let text = stdout(&["--by", "week"]);
    insta::assert_snapshot!(text);
}

#[test]
fn json_report() {
    let json = stdout(&["--format", "json"]);
    let v: Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["tickets"], 29);
    assert_eq!(v["totals"]["tickets"], 29);
    // The four tickets agents acted on: transfers and the rules they overrode.
    let t = &v["totals"];
    assert_eq!(t["transfers"]["count"], 4);
    assert_eq!(t["transfers"]["tickets"], 3);
    assert_eq!(
        t["transfers"]["by_pair"]["customer_center→after_sales_tech"],
        2
    );
    assert_eq!(t["overrides"]["route"], 2);
    assert_eq!(
        t["overrides"]["by_rule"]["route:north-repair"]["overridden"],
        1
    );
    assert_eq!(
        t["overrides"]["by_rule"]["priority:fault-phone-high"]["to"]["urgent"],
        1
    );
    insta::assert_snapshot!(json);
}

#[test]
fn no_personal_data_in_any_format() {
    let secrets = personal_values();
    for format in ["text", "json", "html"] {
        let out = stdout(&["--format", format, "--by", "week"]);
        for s in &secrets {
            assert!(
                !out.contains(s.as_str()),
                "{s} leaked into the {format} report"
            );
        }
    }
}

#[test]
fn output_file_and_errors() {
    let dir = std::env::temp_dir().join(format!("aftercare-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("report.html");
    let out = report(&[
        "--format",
        "html",
        "--output",
        path.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let page = std::fs::read_to_string(&path).expect("the page was written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    let _ = std::fs::remove_dir_all(&dir);

    let out = report(&["--by", "decade"]);
    assert_eq!(out.status.code(), Some(2));

    // A bad ticket is reported on stderr; the report counts it and the exit code is 1.
    let bad = dir.with_extension("jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"X1\",\"created_at\":\"2025-10-15T09:00:00+08:00\"}\n{\"id\":\"X2\"}\n",
    )
    .expect("write");
    let out = crate::support::aftercare()
        .args([
            "report",
            POLICY,
            bad.to_str().unwrap_or_default(),
            "--now",
            NOW,
        ])
        .args(["--format", "json"])
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_file(&bad);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("X2") && stderr.contains("created_at"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(
        (v["tickets"].as_u64(), v["errors"].as_u64()),
        (Some(1), Some(1))
    );
}

/// A start tag and the attributes of the `svg` and `g` elements around it.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    chart: Option<String>,
    group: BTreeMap<String, String>,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Parses the page's tags, checks that every element is closed in order, and returns the
/// start tags with their chart and group.
fn parse(html: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').expect("every tag is closed");
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let (top, _) = stack.pop().expect("an end tag closes an open element");
            assert_eq!(top, name.trim(), "elements close in order");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = tag[..name_end].to_string();
        let mut attrs = BTreeMap::new();
        let mut a = tag[name_end..].trim();
        while !a.is_empty() {
            let eq = a.find('=').expect("attributes have values");
            let key = a[..eq].trim().to_string();
            let value_start = a[eq + 1..].strip_prefix('"').expect("values are quoted");
            let end = value_start.find('"').expect("quoted values end");
            attrs.insert(key, unescape(&value_start[..end]));
            a = value_start[end + 1..].trim();
        }
        let chart = stack
            .iter()
            .rev()
            .find(|(n, _)| n == "svg")
            .and_then(|(_, a)| a.get("data-chart").cloned());
        let group = stack
            .iter()
            .rev()
            .find(|(n, _)| n == "g")
            .map(|(_, a)| a.clone())
            .unwrap_or_default();
        if !self_closing {
            stack.push((name.clone(), attrs.clone()));
        }
        out.push(Element {
            name,
            attrs,
            chart,
            group,
        });
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    out
}

fn num(s: &str) -> f64 {
    s.parse().expect("a number")
}

/// serde_json's default float parsing may be off in the last bit, so compare closely, not
/// exactly.
fn same(a: f64, b: Option<f64>) -> bool {
    b.is_some_and(|b| (a - b).abs() < 1e-9)
}

#[test]
fn html_page_is_self_contained_and_its_charts_match_the_json() {
    let html = stdout(&["--format", "html", "--by", "week"]);
    let json: Value =
        serde_json::from_str(&stdout(&["--format", "json", "--by", "week"])).expect("JSON");

    // Self-contained: nothing is loaded from anywhere.
    let lower = html.to_lowercase();
    for bad in [
        "http", "<script", "<link", "src=", "url(", "@import", "<iframe",
    ] {
        assert!(!lower.contains(bad), "the page contains {bad}");
    }
    let elements = parse(&html);
    let charts: Vec<&str> = elements
        .iter()
        .filter(|e| e.name == "svg")
        .filter_map(|e| e.attrs.get("data-chart").map(String::as_str))
        .collect();
    assert_eq!(
        charts,
        ["volume", "compliance", "satisfaction", "departments"]
    );

    let periods = json["periods"].as_array().expect("periods");
    let period = |label: &str| -> &Value {
        periods
            .iter()
            .find(|p| p["label"] == label)
            .expect("the chart's period is in the JSON")
    };
    let in_chart = |chart: &str| -> Vec<&Element> {
        elements
            .iter()
            .filter(|e| e.chart.as_deref() == Some(chart))
            .collect()
    };

    // Volume: one group per period with its total, one bar per category with its count.
    let groups: Vec<&Element> = in_chart("volume")
        .into_iter()
        .filter(|e| e.name == "g")
        .collect();
    assert_eq!(groups.len(), periods.len(), "a group for every period");
    for (g, p) in groups.iter().zip(periods) {
        assert_eq!(
            g.attrs["data-period"],
            p["label"].as_str().unwrap_or_default()
        );
        assert_eq!(
            num(&g.attrs["data-tickets"]),
            p["tickets"].as_f64().unwrap_or(-1.0)
        );
    }
    let bars: Vec<&Element> = in_chart("volume")
        .into_iter()
        .filter(|e| e.name == "rect")
        .collect();
    let mut bar_total = 0.0;
    for b in &bars {
        let p = period(&b.group["data-period"]);
        let expected = &p["by_category"][&b.attrs["data-category"]];
        assert_eq!(
            num(&b.attrs["data-count"]),
            expected.as_f64().unwrap_or(-1.0)
        );
        bar_total += num(&b.attrs["data-count"]);
    }
    assert_eq!(
        bar_total,
        json["totals"]["tickets"].as_f64().unwrap_or(-1.0)
    );

    // Compliance: a point per period and metric with a compliance, carrying its numbers.
    let points: Vec<&Element> = in_chart("compliance")
        .into_iter()
        .filter(|e| e.name == "circle")
        .collect();
    let expected_points: usize = ["first_response", "resolution"]
        .iter()
        .map(|m| {
            periods
                .iter()
                .filter(|p| !p["sla"][m]["compliance"].is_null())
                .count()
        })
        .sum();
    assert_eq!(points.len(), expected_points);
    assert!(expected_points > 4);
    for c in &points {
        let sla = &period(&c.attrs["data-period"])["sla"][&c.attrs["data-metric"]];
        assert!(same(
            num(&c.attrs["data-compliance"]),
            sla["compliance"].as_f64()
        ));
        assert_eq!(
            num(&c.attrs["data-met"]),
            sla["met"].as_f64().unwrap_or(-1.0)
        );
        assert_eq!(
            num(&c.attrs["data-breached"]),
            sla["breached"].as_f64().unwrap_or(-1.0)
        );
    }

    // Satisfaction: a point per period with responses.
    let points: Vec<&Element> = in_chart("satisfaction")
        .into_iter()
        .filter(|e| e.name == "circle")
        .collect();
    let with_scores: Vec<&Value> = periods
        .iter()
        .filter(|p| p["satisfaction"]["responses"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(points.len(), with_scores.len());
    for c in &points {
        let s = &period(&c.attrs["data-period"])["satisfaction"];
        assert!(same(num(&c.attrs["data-average"]), s["average"].as_f64()));
        assert_eq!(
            num(&c.attrs["data-responses"]),
            s["responses"].as_f64().unwrap_or(-1.0)
        );
        match c.attrs.get("data-change") {
            Some(change) => assert!(same(num(change), s["change"].as_f64())),
            None => assert!(s["change"].is_null()),
        }
    }

    // Departments: a group per department with its tickets and open count; bars add up.
    let depts = &json["totals"]["departments"];
    let groups: Vec<&Element> = in_chart("departments")
        .into_iter()
        .filter(|e| e.name == "g")
        .collect();
    assert_eq!(groups.len(), depts.as_object().map_or(0, |o| o.len()));
    for g in &groups {
        let d = &depts[&g.attrs["data-department"]];
        assert_eq!(
            num(&g.attrs["data-tickets"]),
            d["tickets"].as_f64().unwrap_or(-1.0)
        );
        assert_eq!(
            num(&g.attrs["data-open"]),
            d["open"].as_f64().unwrap_or(-1.0)
        );
    }
    for d in depts.as_object().into_iter().flatten().map(|(k, _)| k) {
        let parts: f64 = in_chart("departments")
            .into_iter()
            .filter(|e| e.name == "rect" && e.group.get("data-department") == Some(d))
            .map(|e| num(&e.attrs["data-count"]))
            .sum();
        assert_eq!(parts, depts[d]["tickets"].as_f64().unwrap_or(-1.0), "{d}");
    }
}

#[test]
fn a_report_over_too_many_periods_is_refused() {
    // Tickets from 1970 and 9998 by week used to write half a million empty weeks (503 MB).
    let path = std::env::temp_dir().join(format!("aftercare-periods-{}.jsonl", std::process::id()));
    std::fs::write(
        &path,
        "{\"id\":\"OLD\",\"created_at\":\"1970-01-05T09:00:00+08:00\"}\n\
         {\"id\":\"FAR\",\"created_at\":\"9998-01-05T09:00:00+08:00\"}\n",
    )
    .expect("write");
    let run = |by: &str| {
        crate::support::aftercare()
            .args([
                "report",
                POLICY,
                path.to_str().unwrap_or_default(),
                "--now",
                NOW,
            ])
            .args(["--by", by, "--format", "json"])
            .output()
            .expect("the binary runs")
    };
    for by in ["week", "month"] {
        let out = run(by);
        assert_eq!(out.status.code(), Some(2), "{by}");
        assert!(out.stdout.is_empty(), "{by}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{by}s (1970-")) && stderr.contains("(MAX_PERIODS)"),
            "{stderr}"
        );
    }
    let _ = std::fs::remove_file(&path);
}
