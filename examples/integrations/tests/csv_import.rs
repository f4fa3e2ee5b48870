//! The CFPB-style CSV import on a hand-written fixture (`tests/fixtures/complaints.csv`,
//! thirteen invented rows in the export's shape), and the report on it with the example policy.

#[path = "../examples/csv_import/convert.rs"]
mod convert;

use aftercare::report::{Granularity, ReportBuilder};
use aftercare::Policy;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

const FIXTURE: &str = "tests/fixtures/complaints.csv";

fn conversion() -> convert::Conversion {
    let file = std::fs::File::open(FIXTURE).expect("the fixture");
    convert::convert(file).expect("the header reads")
}

fn by_id<'a>(c: &'a convert::Conversion, id: &str) -> &'a Value {
    c.tickets
        .iter()
        .find(|t| t["id"] == id)
        .expect("the ticket exists")
}

#[test]
fn rows_become_tickets() {
    let c = conversion();
    assert_eq!(c.tickets.len(), 11);
    let skipped: Vec<(u64, &str)> = c
        .skipped
        .iter()
        .map(|n| (n.line, n.message.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (12, "Date received `03/15/2020` is not a YYYY-MM-DD date"),
            (14, "no Complaint ID"),
        ]
    );
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].message.contains("before Date received"));

    // Winter: New York is UTC-5; the narrative keeps its line break.
    assert_eq!(
        by_id(&c, "9000002"),
        &json!({
            "id": "9000002",
            "created_at": "2019-03-06T09:00:00-05:00",
            "channel": "web",
            "kind": "Debt collection",
            "subject": "Attempts to collect debt not owed: Debt is not yours",
            "description": "A collector keeps calling me about a debt that is not mine.\nI asked the collector in writing to stop calling.",
            "customer": { "region": "TX" },
            "attributes": {
                "sub_product": "Other debt",
                "company": "EXAMPLE COLLECTIONS LLC",
                "company_response": "Closed with explanation",
                "consent": "Consent provided",
                "timely_response": true
            },
            "events": [
                { "at": "2019-03-07T09:00:00-05:00", "type": "first_response" },
                // Closed in time: 15 days after the day received (summer time by then).
                { "at": "2019-03-21T09:00:00-04:00", "type": "resolved" }
            ]
        })
    );
    // Received on a Saturday in winter, sent on the Monday after the switch to summer time;
    // tags become a list; no narrative, no description.
    let t = by_id(&c, "9000003");
    assert_eq!(t["created_at"], "2019-03-09T09:00:00-05:00");
    assert_eq!(t["events"][0]["at"], "2019-03-11T09:00:00-04:00");
    assert_eq!(t["channel"], "referral");
    assert_eq!(t["attributes"]["tags"], json!(["Older American"]));
    assert!(t.get("description").is_none());
    assert_eq!(by_id(&c, "9000007")["channel"], "postal_mail");
    assert_eq!(by_id(&c, "9000007")["attributes"]["timely_response"], false);
    // No answer ("Untimely response") and still "In progress": no `resolved` event.
    for id in ["9000007", "9000008"] {
        let events = by_id(&c, id)["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{id}");
        assert_eq!(events[0]["type"], "first_response");
    }
    assert_eq!(
        by_id(&c, "9000005")["attributes"]["consumer_disputed"],
        "No"
    );
    // Sent before it was received: kept, without a first response.
    assert!(by_id(&c, "9000012").get("events").is_none());

    // ZIP codes are dropped.
    let all: String = c.tickets.iter().map(|t| t.to_string()).collect();
    for zip in [
        "303XX", "75001", "90210", "10001", "33101", "98101", "60601",
    ] {
        assert!(!all.contains(zip), "ZIP code {zip} leaked");
    }
    // Every ticket reads.
    for t in &c.tickets {
        aftercare::Ticket::from_value(t.clone()).expect("a valid ticket");
    }
}

#[test]
fn the_example_policy_reports_on_the_fixture() {
    let policy =
        Policy::from_path("../policies/cfpb/policy.toml").expect("the example policy loads");
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2020-04-01T12:00:00-04:00")
        .expect("an instant")
        .with_timezone(&Utc);
    let lines: Vec<String> = conversion().tickets.iter().map(Value::to_string).collect();
    let mut builder = ReportBuilder::new(&policy, now, Granularity::Month);
    assert!(builder.add_json_lines(&lines).is_empty());
    let r = builder.finish();
    assert_eq!(r.time_zone, "America/New_York");
    let t = &r.totals.kpis;
    let cats: Vec<(&str, u64)> = t
        .by_category
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        cats,
        [
            ("bank_account", 1),
            ("credit_card", 1),
            ("credit_reporting", 3),
            ("debt_collection", 2),
            ("loans", 2),
            ("money_transfer", 1),
            ("mortgage", 1),
        ]
    );
    // Older American, Servicemember, and a scam.
    assert_eq!(t.by_priority["high"], 3);
    // Same day (09:00 to 09:00) is 0; the next business day 8h. July 4th and Christmas are
    // holidays: Wednesday to Friday and Tuesday to Thursday count one day each.
    // Late: the servicemember's card complaint (4 days, target end of the same day), the
    // medical debt (5 days), and the complaint that never reached the company.
    let fr = t.sla.first_response;
    assert_eq!((fr.met, fr.breached, fr.open), (8, 3, 0));
    // 0 0 0 0 8h 8h 8h 8h 32h 40h: nearest rank, median = 5th, p90 = 9th.
    assert_eq!(t.times.first_response.samples, 10);
    assert_eq!(t.times.first_response.median_seconds, Some(8 * 3600));
    assert_eq!(t.times.first_response.p90_seconds, Some(32 * 3600));
    // The eight answered in time are met, exactly at the 15 days; the untimely one, the one in
    // progress and the one that never reached the company are breached as of April 2020.
    let res = t.sla.resolution;
    assert_eq!((res.met, res.breached, res.open), (8, 3, 0));
    assert_eq!(t.times.resolution.samples, 8);
    let fifteen_days = 15 * 24 * 3600;
    // Real elapsed time: 9000002's 15 days are an hour shorter (New York skips one in March),
    // the lowest of the eight, below the median.
    assert_eq!(t.times.resolution.median_seconds, Some(fifteen_days));
    assert_eq!(t.times.resolution.p90_seconds, Some(fifteen_days));
    let hot: Vec<&str> = t.hot_issues["debt_collection"]
        .iter()
        .map(|k| k.keyword.as_str())
        .collect();
    assert_eq!(hot, ["collector", "debt"]);
}
