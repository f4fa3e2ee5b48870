//! The report on a small sample whose business times are known by hand.
//!
//! Office: Shanghai, Monday–Friday 09:00–18:00 (9 business hours a day, no holidays). Targets:
//! normal 2h to first response and 8h to resolution, urgent 1h and 4h; one escalation at 100%
//! of the resolution target. `now` is Friday 2025-10-17 18:00 (closing time).
//!
//! | ticket | created | what happened | first response | resolution |
//! |---|---|---|---|---|
//! | A1 | Mon 09-29 09:00 | answered 09:30, resolved 13:00, visit 5 | met 30m | met 4h |
//! | B1 | Mon 10-06 09:00 | answered 10:00, resolved 16:00, visit 4 | met 1h | met 7h |
//! | B2 | Mon 10-06 09:00 | answered 12:00, resolved Tue 12:00, visit 2 (second handling), resolved Wed 12:00, visit 3 | breached 3h | breached 12h + 2h |
//! | B3 | Tue 10-07 09:00 | answered 09:15, resolved 09:45 | met 15m | met 45m |
//! | B4 | Wed 10-08 09:00 | urgent; answered 09:20, resolved 15:00, visit 4 | met 20m | breached 6h |
//! | B5 | Fri 10-10 17:00 | answered Mon 10:00 (exactly at due) | met 2h | running, breached |
//! | C1 | Mon 10-13 09:00 | answered 09:30, waiting for the customer 10:00 → Tue 10:00, resolved Tue 12:00, visit 5 | met 30m | met 3h (9h paused) |
//! | C2 | Tue 10-14 09:00 | nothing | running, breached | running, breached |
//! | C3 | Fri 10-17 15:00 | nothing | running, breached (3h) | open (3h) |
//! | C4 | Fri 10-17 17:30 | answered 17:45 | met 15m | open (30m) |
//! | C5 | Thu 10-16 09:00 | answered 09:10, resolved 10:00 | met 10m | met 1h |
//! | E1 | Wed 10-15 09:00 | resolved twice: an error, not counted | | |

use aftercare::report::{Granularity, Kpis, Report};
use aftercare::{Policy, Ticket};
use chrono::{DateTime, Utc};

const POLICY: &str = r#"
[policy]
name = "report sample"
version = "1"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }

[[categories]]
id = "complaint"
when = { kind = "complaint" }
[[categories]]
id = "fault"
when = { kind = "fault" }
[[categories]]
id = "consultation"
default = true

[priorities]
order = ["urgent", "normal"]
default = "normal"
[[priority_rules]]
id = "safety"
priority = "urgent"
when = { "attributes.safety" = true }

[[routes]]
id = "repairs"
when = { category = "fault" }
department = "tech"
[[routes]]
id = "desk"
default = true
department = "desk"
[departments.tech]
[departments.desk]

[sla]
pause_statuses = ["waiting_customer"]
on_reopen = "restart"
[sla.targets.urgent]
first_response = "1h"
resolution = "4h"
[sla.targets.normal]
first_response = "2h"
resolution = "8h"

[[escalations]]
metric = "resolution"
at = "100%"
notify = ["assignee"]

[follow_up]
within = "24h"
unsatisfied_at_or_below = 2
"#;

const TICKETS: &[&str] = &[
    r#"{"id":"A1","created_at":"2025-09-29T09:00:00+08:00","channel":"phone","kind":"fault",
        "subject":"Washer leaks water",
        "events":[{"at":"2025-09-29T09:30:00+08:00","type":"first_response"},
                  {"at":"2025-09-29T13:00:00+08:00","type":"resolved"},
                  {"at":"2025-09-30T10:00:00+08:00","type":"follow_up","score":5}]}"#,
    r#"{"id":"B1","created_at":"2025-10-06T09:00:00+08:00","channel":"phone","kind":"fault",
        "subject":"洗衣机漏水",
        "events":[{"at":"2025-10-06T10:00:00+08:00","type":"first_response"},
                  {"at":"2025-10-06T16:00:00+08:00","type":"resolved"},
                  {"at":"2025-10-07T10:00:00+08:00","type":"follow_up","score":4}]}"#,
    r#"{"id":"B2","created_at":"2025-10-06T09:00:00+08:00","channel":"web","kind":"complaint",
        "subject":"Rude technician",
        "events":[{"at":"2025-10-06T12:00:00+08:00","type":"first_response"},
                  {"at":"2025-10-07T12:00:00+08:00","type":"resolved"},
                  {"at":"2025-10-08T10:00:00+08:00","type":"follow_up","score":2},
                  {"at":"2025-10-08T12:00:00+08:00","type":"resolved"},
                  {"at":"2025-10-09T10:00:00+08:00","type":"follow_up","score":3}]}"#,
    r#"{"id":"B3","created_at":"2025-10-07T09:00:00+08:00","channel":"email",
        "subject":"How to clean the filter",
        "events":[{"at":"2025-10-07T09:15:00+08:00","type":"first_response"},
                  {"at":"2025-10-07T09:45:00+08:00","type":"resolved"}]}"#,
    r#"{"id":"B4","created_at":"2025-10-08T09:00:00+08:00","channel":"phone","kind":"fault",
        "subject":"热水器漏电","description":"The water heater gives shocks","attributes":{"safety":true},
        "events":[{"at":"2025-10-08T09:20:00+08:00","type":"first_response"},
                  {"at":"2025-10-08T15:00:00+08:00","type":"resolved"},
                  {"at":"2025-10-09T10:00:00+08:00","type":"follow_up","score":4}]}"#,
    r#"{"id":"B5","created_at":"2025-10-10T17:00:00+08:00","channel":"chat",
        "subject":"Filter price?",
        "events":[{"at":"2025-10-13T10:00:00+08:00","type":"first_response"}]}"#,
    r#"{"id":"C1","created_at":"2025-10-13T09:00:00+08:00","channel":"web","kind":"complaint",
        "subject":"The technician was rude","description":"王小明 here: he was rude on the phone",
        "customer":{"name":"王小明","contact":"13800138000","region":"east"},
        "product":{"order_no":"SO-7781","serial_no":"SN-ABC56"},
        "events":[{"at":"2025-10-13T09:30:00+08:00","type":"first_response"},
                  {"at":"2025-10-13T10:00:00+08:00","type":"status","status":"waiting_customer"},
                  {"at":"2025-10-14T10:00:00+08:00","type":"status","status":"in_progress"},
                  {"at":"2025-10-14T12:00:00+08:00","type":"resolved"},
                  {"at":"2025-10-15T10:00:00+08:00","type":"follow_up","score":5}]}"#,
    r#"{"id":"C2","created_at":"2025-10-14T09:00:00+08:00","channel":"phone","kind":"fault",
        "subject":"Washer not draining"}"#,
    r#"{"id":"C3","created_at":"2025-10-17T15:00:00+08:00","channel":"email",
        "subject":"Warranty question"}"#,
    r#"{"id":"C4","created_at":"2025-10-17T17:30:00+08:00","channel":"chat","kind":"fault",
        "subject":"空调漏水",
        "events":[{"at":"2025-10-17T17:45:00+08:00","type":"first_response"}]}"#,
    r#"{"id":"C5","created_at":"2025-10-16T09:00:00+08:00","channel":"wechat",
        "subject":"Warranty length",
        "events":[{"at":"2025-10-16T09:10:00+08:00","type":"first_response"},
                  {"at":"2025-10-16T10:00:00+08:00","type":"resolved"}]}"#,
    r#"{"id":"E1","created_at":"2025-10-15T09:00:00+08:00","channel":"phone",
        "events":[{"at":"2025-10-15T10:00:00+08:00","type":"resolved"},
                  {"at":"2025-10-15T11:00:00+08:00","type":"resolved"}]}"#,
];

const H: i64 = 3600;
const M: i64 = 60;

fn now() -> DateTime<Utc> {
    crate::support::at("2025-10-17T18:00:00+08:00")
}

fn report(by: Granularity) -> Report {
    let policy = Policy::from_toml(POLICY).expect("the sample policy loads");
    let tickets: Vec<Ticket> = TICKETS
        .iter()
        .map(|t| Ticket::from_json(t).expect("a valid ticket"))
        .collect();
    Report::build(&policy, &tickets, now(), by)
}

fn counts(map: &std::collections::BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    map.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn totals_match_the_hand_count() {
    let r = report(Granularity::Week);
    assert_eq!(r.tickets, 11);
    assert_eq!(r.errors, 1, "E1 resolves twice");
    assert_eq!(r.time_zone, "Asia/Shanghai");
    let t: &Kpis = &r.totals.kpis;
    assert_eq!(t.tickets, 11);
    assert_eq!(
        counts(&t.by_category),
        [("complaint", 2), ("consultation", 4), ("fault", 5)]
    );
    assert_eq!(counts(&t.by_priority), [("normal", 10), ("urgent", 1)]);
    assert_eq!(counts(&t.by_department), [("desk", 6), ("tech", 5)]);
    assert_eq!(
        counts(&t.by_channel),
        [
            ("chat", 2),
            ("email", 2),
            ("phone", 4),
            ("web", 2),
            ("wechat", 1)
        ]
    );

    // First response: B2 late, C2 and C3 still unanswered past due.
    let fr = t.sla.first_response;
    assert_eq!((fr.met, fr.breached, fr.open), (8, 3, 0));
    assert!(close(fr.compliance, 8.0 / 11.0));
    // Resolution: B2 (first cycle), B4, B5, C2 late; C3 and C4 still within their target.
    let res = t.sla.resolution;
    assert_eq!((res.met, res.breached, res.open), (5, 4, 2));
    assert!(close(res.compliance, 5.0 / 9.0));

    // Answered: 10m 15m 15m 20m 30m 30m 1h 2h 3h. Nearest rank: median = 5th, p90 = 9th.
    let frt = t.times.first_response;
    assert_eq!(frt.samples, 9);
    assert_eq!(frt.median_seconds, Some(30 * M));
    assert_eq!(frt.p90_seconds, Some(3 * H));
    assert_eq!(frt.median.map(|s| s.to_string()).as_deref(), Some("30m"));
    // Resolved: 45m 1h 3h 4h 6h 7h 14h (B2: 12h + 2h). Median = 4th, p90 = 7th.
    let rt = t.times.resolution;
    assert_eq!(rt.samples, 7);
    assert_eq!(rt.median_seconds, Some(4 * H));
    assert_eq!(rt.p90_seconds, Some(14 * H));

    // The 100% step fired for B2 (first cycle), B4, B5 and C2.
    assert_eq!((t.escalations.fired, t.escalations.tickets), (4, 4));
    // Resolutions: A1 B1 B2 B2 B3 B4 C1 C5; visits: A1 B1 B2 B2 B4 C1.
    let f = t.follow_up.expect("the policy owes follow-up visits");
    assert_eq!((f.resolutions, f.visits), (8, 6));
    assert!(close(f.rate, 0.75));
    // Scores 5 4 2 3 4 5.
    assert_eq!(t.satisfaction.responses, 6);
    assert!(close(t.satisfaction.average, 23.0 / 6.0));
    assert_eq!(t.satisfaction.change, None);

    let tech = &t.departments["tech"];
    assert_eq!((tech.tickets, tech.open), (5, 2)); // C2, C4 open
    assert!(close(tech.resolution.compliance, 0.5)); // A1 B1 met; B4 C2 breached
    let desk = &t.departments["desk"];
    assert_eq!((desk.tickets, desk.open), (6, 2)); // B5, C3 open
    assert!(close(desk.resolution.compliance, 0.6)); // B3 C1 C5 met; B2 B5 breached
    assert_eq!(desk.resolution_time.median_seconds, Some(H)); // 45m 1h 3h 14h
}

#[test]
fn weeks_start_on_monday_in_the_calendar_zone() {
    let r = report(Granularity::Week);
    let labels: Vec<(&str, String, u64)> = r
        .periods
        .iter()
        .map(|p| (p.label.as_str(), p.start.to_string(), p.kpis.tickets))
        .collect();
    assert_eq!(
        labels,
        [
            ("2025-W40", "2025-09-29".to_string(), 1),
            ("2025-W41", "2025-10-06".to_string(), 5),
            ("2025-W42", "2025-10-13".to_string(), 5),
        ]
    );

    let w41 = &r.periods[1].kpis;
    let fr = w41.sla.first_response;
    assert_eq!((fr.met, fr.breached), (4, 1));
    assert!(close(fr.compliance, 0.8));
    // 15m 20m 1h 2h 3h.
    assert_eq!(w41.times.first_response.median_seconds, Some(H));
    assert_eq!(w41.times.first_response.p90_seconds, Some(3 * H));
    let res = w41.sla.resolution;
    assert_eq!((res.met, res.breached, res.open), (2, 3, 0));
    // 45m 6h 7h 14h: the median of an even count is the lower middle.
    assert_eq!(w41.times.resolution.median_seconds, Some(6 * H));
    assert_eq!(w41.times.resolution.p90_seconds, Some(14 * H));
    assert_eq!(w41.escalations.fired, 3);
    let f41 = w41.follow_up.expect("configured");
    assert_eq!((f41.resolutions, f41.visits), (5, 4));
    assert!(close(w41.satisfaction.average, 3.25));
    assert!(close(w41.satisfaction.change, 3.25 - 5.0));

    let w42 = &r.periods[2].kpis;
    assert_eq!(
        (w42.sla.first_response.met, w42.sla.first_response.breached),
        (3, 2)
    );
    let res = w42.sla.resolution;
    assert_eq!((res.met, res.breached, res.open), (2, 1, 2));
    assert!(close(res.compliance, 2.0 / 3.0));
    // 10m 15m 30m; 1h 3h.
    assert_eq!(w42.times.first_response.median_seconds, Some(15 * M));
    assert_eq!(w42.times.first_response.p90_seconds, Some(30 * M));
    assert_eq!(w42.times.resolution.median_seconds, Some(H));
    assert_eq!(w42.times.resolution.p90_seconds, Some(3 * H));
    assert!(close(w42.follow_up.and_then(|f| f.rate), 0.5));
    assert!(close(w42.satisfaction.change, 5.0 - 3.25));
}

#[test]
fn months_split_september_from_october() {
    let r = report(Granularity::Month);
    let labels: Vec<(&str, u64)> = r
        .periods
        .iter()
        .map(|p| (p.label.as_str(), p.kpis.tickets))
        .collect();
    assert_eq!(labels, [("2025-09", 1), ("2025-10", 10)]);
    assert_eq!(r.periods[1].end.to_string(), "2025-11-01");
    assert_eq!(
        r.totals.start.map(|d| d.to_string()).as_deref(),
        Some("2025-09-01")
    );
}

#[test]
fn hot_issues_are_words_and_bigrams_found_in_two_tickets() {
    let r = report(Granularity::Month);
    let hot: Vec<(&str, Vec<(&str, u64)>)> = r
        .totals
        .kpis
        .hot_issues
        .iter()
        .map(|(c, words)| {
            (
                c.as_str(),
                words
                    .iter()
                    .map(|w| (w.keyword.as_str(), w.tickets))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        hot,
        [
            ("complaint", vec![("rude", 2), ("technician", 2)]),
            ("consultation", vec![("filter", 2), ("warranty", 2)]),
            ("fault", vec![("washer", 2), ("water", 2), ("漏水", 2)]),
        ]
    );
}

#[test]
fn json_has_the_contract_fields_and_no_personal_data() {
    let r = report(Granularity::Week);
    let json = r.to_json();
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    for part in std::iter::once(&v["totals"]).chain(v["periods"].as_array().into_iter().flatten()) {
        for key in ["start", "tickets", "by_category", "by_department"] {
            assert!(part.get(key).is_some(), "missing {key} in {part}");
        }
        for metric in ["first_response", "resolution"] {
            for key in ["met", "breached", "compliance"] {
                assert!(
                    part["sla"][metric].get(key).is_some(),
                    "missing sla.{metric}.{key}"
                );
            }
        }
        for key in ["responses", "average"] {
            assert!(
                part["satisfaction"].get(key).is_some(),
                "missing satisfaction.{key}"
            );
        }
    }
    assert_eq!(v["periods"][1]["start"], "2025-10-06");
    assert_eq!(v["periods"][1]["sla"]["first_response"]["compliance"], 0.8);
    assert_eq!(v["totals"]["satisfaction"]["responses"], 6);
    for secret in ["王小明", "小明", "13800138000", "SO-7781", "SN-ABC56"] {
        assert!(
            !json.contains(secret),
            "{secret} leaked into the JSON report"
        );
        assert!(
            !r.to_text().contains(secret),
            "{secret} leaked into the text report"
        );
        assert!(
            !r.to_html().contains(secret),
            "{secret} leaked into the HTML report"
        );
    }
}

#[test]
fn no_tickets_make_an_empty_report() {
    let policy = Policy::from_toml(POLICY).expect("the sample policy loads");
    let r = Report::build(&policy, &[], now(), Granularity::Week);
    assert!(r.periods.is_empty());
    assert_eq!(r.totals.kpis.tickets, 0);
    assert_eq!(r.totals.kpis.sla.first_response.compliance, None);
    assert!(r.to_text().contains("0 tickets"));
    assert!(r.to_html().contains("</html>"));
}

#[test]
fn a_report_spans_at_most_max_periods() {
    use aftercare::report::{ReportBuilder, MAX_PERIODS};
    let policy = Policy::from_toml(POLICY).expect("the sample policy loads");
    let lines = [
        r#"{"id": "OLD", "created_at": "1970-01-05T09:00:00+08:00"}"#,
        r#"{"id": "FAR", "created_at": "9998-01-05T09:00:00+08:00"}"#,
    ];
    let far = crate::support::at("9998-01-06T09:00:00+08:00");
    let mut builder = ReportBuilder::new(&policy, far, Granularity::Week);
    assert!(builder.add_json_lines(&lines).is_empty());
    let e = builder.try_finish().expect_err("417,000 weeks");
    assert_eq!(
        (e.first.as_str(), e.last.as_str()),
        ("1970-W02", "9998-W02")
    );
    assert!(e.periods > MAX_PERIODS, "{e}");
    assert!(e.to_string().contains("(MAX_PERIODS)"), "{e}");
    // `finish` lists only the periods with tickets then.
    let mut builder = ReportBuilder::new(&policy, far, Granularity::Week);
    builder.add_json_lines(&lines);
    let r = builder.finish();
    let labels: Vec<&str> = r.periods.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["1970-W02", "9998-W02"]);
    // Within the bound every period is there, empty ones included.
    let mut builder = ReportBuilder::new(&policy, far, Granularity::Month);
    builder.add_json_lines(&[
        lines[0],
        r#"{"id": "B", "created_at": "1971-01-05T09:00:00+08:00"}"#,
    ]);
    assert_eq!(builder.try_finish().expect("13 months").periods.len(), 13);
}

// --- Text models: tickets per label, negative sentiment, follow-up not configured ----------

/// The models fixture (tests/fixtures/models): a `kind` model (damage / return) and a
/// `sentiment` model, no `[follow_up]`. Its five tickets read, by hand:
/// M1 (2025-09) damage, negative; M2 (2025-09) return, positive; M3, M5 (2025-10) damage,
/// negative; M4 (2025-10) return, positive.
fn models_report(lang: Option<aftercare::i18n::Lang>) -> Report {
    let (policy, dir) = crate::support::models::policy();
    let tickets = crate::support::models::tickets();
    let r = Report::build(&policy, &tickets, now(), Granularity::Month);
    let _ = std::fs::remove_dir_all(dir);
    match lang {
        Some(l) => r.in_lang(l),
        None => r,
    }
}

#[test]
fn reports_count_tickets_per_label_of_each_model_per_period_and_in_totals() {
    let r = models_report(None);
    let t = &r.totals.kpis;
    assert_eq!(counts(&t.by_label["kind"]), [("damage", 3), ("return", 2)]);
    assert_eq!(
        counts(&t.by_label["sentiment"]),
        [("negative", 3), ("positive", 2)]
    );
    let sep = &r.periods[0].kpis;
    assert_eq!(r.periods[0].label, "2025-09");
    assert_eq!(
        counts(&sep.by_label["kind"]),
        [("damage", 1), ("return", 1)]
    );
    let oct = &r.periods[1].kpis;
    assert_eq!(
        counts(&oct.by_label["kind"]),
        [("damage", 2), ("return", 1)]
    );
    // Every period's counts add up to its tickets, for each model.
    for p in &r.periods {
        for (model, labels) in &p.kpis.by_label {
            assert_eq!(labels.values().sum::<u64>(), p.kpis.tickets, "{model}");
        }
    }
    // The models and their labels, in policy order, for tables and legends.
    let models: Vec<(&str, Vec<&str>)> = r
        .order
        .models
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.labels.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        models,
        [
            ("kind", vec!["damage", "return"]),
            ("sentiment", vec!["negative", "positive"])
        ]
    );
}

#[test]
fn reports_show_the_share_of_negative_sentiment_per_period() {
    let r = models_report(None);
    let s = r.totals.kpis.sentiment.as_ref().expect("a sentiment model");
    assert_eq!(
        (s.model.as_str(), s.tickets, s.negative),
        ("sentiment", 5, 3)
    );
    assert!(close(s.share, 0.6));
    let sep = r.periods[0].kpis.sentiment.as_ref().expect("per period");
    assert_eq!((sep.tickets, sep.negative), (2, 1));
    assert!(close(sep.share, 0.5));
    let oct = r.periods[1].kpis.sentiment.as_ref().expect("per period");
    assert_eq!((oct.tickets, oct.negative), (3, 2));

    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("JSON");
    assert_eq!(json["totals"]["sentiment"]["negative"], 3);
    assert_eq!(
        json["periods"][1]["sentiment"]["share"].as_f64(),
        Some(2.0 / 3.0)
    );
    assert_eq!(json["periods"][0]["by_label"]["kind"]["return"], 1);

    let text = r.to_text();
    assert!(
        text.contains("negative sentiment      3 of 5 tickets: 60.0%\n"),
        "{text}"
    );
    assert!(
        text.contains("Labels of model sentiment (tickets per period)"),
        "{text}"
    );
    assert!(
        text.contains("  2025-10         2         1       66.7%"),
        "{text}"
    );
    assert!(
        text.contains("  total           3         2       60.0%"),
        "{text}"
    );
    let html = r.to_html();
    assert!(html.contains("Labels of model kind (tickets per period)"));
    assert!(
        html.contains("<td>66.7%</td>"),
        "the HTML table has the share per period"
    );
}

#[test]
fn the_sentiment_model_is_named_sentiment_or_else_the_first_with_a_negative_label() {
    // Renamed: `mood` is the only model with a `negative` label, so it is the sentiment model.
    let dir = crate::support::models::fixture_with(|p| {
        p.replace("[models.sentiment]", "[models.mood]")
            .replace("model.sentiment", "model.mood")
    });
    let policy = Policy::from_path(dir.join("policy.toml")).expect("loads");
    let tickets = crate::support::models::tickets();
    let r = Report::build(&policy, &tickets, now(), Granularity::Month);
    assert_eq!(
        r.totals.kpis.sentiment.as_ref().map(|s| s.model.as_str()),
        Some("mood")
    );
    // Without a model that has the label, there are no sentiment figures.
    let only_kind = crate::support::models::fixture_with(|p| {
        p.replace("[models.sentiment]\npath = \"models/sentiment.model\"\n", "")
            .replace(
                r#"when = { "model.sentiment" = "negative", "model.sentiment.confidence" = { gte = 0.5 } }"#,
                r#"when = { "model.kind" = "damage" }"#,
            )
    });
    let policy = Policy::from_path(only_kind.join("policy.toml")).expect("loads");
    let r = Report::build(&policy, &tickets, now(), Granularity::Month);
    assert!(r.totals.kpis.sentiment.is_none());
    assert_eq!(r.totals.kpis.by_label.len(), 1);
    let json = r.to_json();
    assert!(!json.contains("\"sentiment\""), "{json}");
    assert!(!r.to_text().contains("negative sentiment"));
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(only_kind);
}

#[test]
fn a_report_of_a_policy_without_follow_up_says_it_is_not_configured() {
    use aftercare::i18n::Lang;
    let r = models_report(None);
    assert!(r.totals.kpis.follow_up.is_none());
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("JSON");
    assert!(json["totals"]["follow_up"].is_null());
    assert!(json["periods"][0]["follow_up"].is_null());
    let text = r.to_text();
    assert!(
        text.contains("follow-up visits        not configured (the policy has no [follow_up])"),
        "{text}"
    );
    assert!(!text.contains("0 of 0 resolutions"), "{text}");
    assert!(r
        .to_html()
        .contains("not configured (the policy has no [follow_up])"));
    let zh = models_report(Some(Lang::ZhCn));
    assert!(
        zh.to_text().contains("未配置（策略没有 [follow_up]）"),
        "{}",
        zh.to_text()
    );
    assert!(zh.to_html().contains("未配置（策略没有 [follow_up]）"));
    // A policy with `[follow_up]` counts visits, also in periods without any.
    let plain = report(Granularity::Week);
    assert!(plain.periods.iter().all(|p| p.kpis.follow_up.is_some()));
    // … and without models, its JSON has no label counts at all.
    let json = plain.to_json();
    assert!(
        !json.contains("by_label") && !json.contains("\"models\""),
        "{json}"
    );
}

#[test]
fn model_sections_read_in_chinese_and_leak_no_personal_data() {
    use aftercare::i18n::Lang;
    let zh = models_report(Some(Lang::ZhCn));
    let text = zh.to_text();
    assert!(text.contains("模型 kind 的标签（每期工单数）"), "{text}");
    assert!(
        text.contains("负面情绪        5 张工单中 3 张：60.0%\n"),
        "{text}"
    );
    assert!(text.contains("负面占比"), "{text}");
    assert!(text.contains("合计"), "{text}");
    let html = zh.to_html();
    assert!(html.contains("模型 sentiment 的标签（每期工单数）"));
    assert!(
        html.contains("文本模型"),
        "the definitions explain the model figures"
    );
    let json = zh.to_json();
    for form in [text, html, json] {
        for secret in crate::support::models::PERSONAL {
            assert!(!form.contains(secret), "{secret} leaked:\n{form}");
        }
    }
}

#[test]
fn a_model_with_many_labels_is_one_row_per_label_with_totals() {
    use aftercare::text::{train, Example, TrainOptions};
    let dir = crate::support::models::fixture();
    let pairs = [
        ("屏幕碎了", "damage"),
        ("外壳有裂痕", "damage"),
        ("我要退货", "return"),
        ("申请退款退货", "return"),
        ("噪音很大", "noise"),
        ("声音太吵", "noise"),
        ("漏水了", "leak"),
        ("一直滴水", "leak"),
        ("有煤气味", "smell"),
        ("闻到焦味", "smell"),
        ("门关不上", "door"),
        ("门坏了", "door"),
        ("不通电", "power"),
        ("开不了机", "power"),
        ("屏幕不亮", "display"),
        ("显示乱码", "display"),
        ("快递没到", "delivery"),
        ("物流太慢", "delivery"),
    ];
    let examples: Vec<Example> = pairs.iter().map(|(t, l)| Example::new(*t, *l)).collect();
    let opts = TrainOptions {
        min_examples: 2,
        min_df: 1,
        ..TrainOptions::default()
    };
    let model = train(&examples, "kind", &opts, &mut |_| {}).expect("trains");
    assert_eq!(model.labels().len(), 9);
    std::fs::write(dir.join("models/kind.model"), model.to_bytes()).expect("written");
    let policy = Policy::from_path(dir.join("policy.toml")).expect("loads");
    let r = Report::build(
        &policy,
        &crate::support::models::tickets(),
        now(),
        Granularity::Month,
    );
    // Every label is counted, zeros included.
    assert_eq!(r.totals.kpis.by_label["kind"].len(), 9);
    let text = r.to_text();
    assert!(
        text.contains("Labels of model kind (all periods; each period in the JSON form)\n  label"),
        "{text}"
    );
    // Most tickets first; a label without tickets still has its row.
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Labels of model kind"))
        .skip(3)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 9, "{text}");
    assert!(
        rows[0].starts_with("  damage") || rows[0].starts_with("  return"),
        "{rows:?}"
    );
    assert!(rows[8].trim_end().ends_with("0   0.0%"), "{rows:?}");
    let html = r.to_html();
    assert!(html.contains("Labels of model kind (all periods; each period in the JSON form)"));
    let _ = std::fs::remove_dir_all(dir);
}
