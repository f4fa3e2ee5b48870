//! The SQLite store example against a real database file in a temp folder.

#[path = "../examples/sqlite_store/store.rs"]
mod store;

use aftercare::report::Granularity;
use aftercare::Policy;
use chrono::{DateTime, Utc};
use store::{Store, StoreError};

/// Office Monday–Friday 09:00–18:00 in Shanghai; first response in 2h, resolution in 8h,
/// the supervisor hears about a late resolution.
const POLICY: &str = r#"
[policy]
name = "store test"
calendar = "office"
[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }
[[categories]]
id = "general"
default = true
[priorities]
order = ["normal"]
default = "normal"
[[routes]]
id = "desk"
default = true
department = "desk"
[departments.desk]
supervisor = "desk_supervisor"
[departments.field]
supervisor = "field_supervisor"
[sla.targets.normal]
first_response = "2h"
resolution = "8h"
[[escalations]]
metric = "resolution"
at = "100%"
notify = ["supervisor"]
"#;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2025-10-13T{s}:00+08:00"))
        .expect("an instant")
        .with_timezone(&Utc)
}

/// A fresh folder under the system temp folder, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("aftercare-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn policy() -> Policy {
    Policy::from_toml(POLICY).expect("the test policy loads")
}

#[test]
fn events_evaluate_wakeups_fire_once_and_overdue_is_listed() {
    let dir = TempDir::new("store");
    let db = dir.0.join("tickets.sqlite");
    let mut store = Store::open(&db, policy()).expect("the store opens");
    assert!(db.exists(), "a real file on disk");

    // Monday 09:00: a new ticket; the first response is due at 11:00.
    let (d, fired) = store
        .add_ticket(
            r#"{"id":"T1","created_at":"2025-10-13T09:00:00+08:00","subject":"no hot water",
                "customer":{"name":"王小明","contact":"13800138000"}}"#,
            at("09:00"),
        )
        .expect("stored");
    assert!(fired.is_empty());
    assert_eq!(d.status, "new");
    assert_eq!(store.wakeup("T1").expect("query"), Some(at("11:00")));
    assert!(store.due_wakeups(at("10:59")).expect("query").is_empty());
    assert_eq!(
        store.due_wakeups(at("11:00")).expect("query"),
        [("T1".to_string(), at("11:00"))]
    );

    // 11:30: the scheduler wakes up; the first response is overdue since 11:00.
    let overdue = store.overdue(at("11:30")).expect("overdue");
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].ticket, "T1");
    assert_eq!(overdue[0].metrics, ["first_response"]);
    assert_eq!(overdue[0].since, at("11:00"));
    // The next change: the resolution is due at 17:00.
    assert_eq!(store.wakeup("T1").expect("query"), Some(at("17:00")));

    // 11:45: answered (late). The first response is no longer running, so not overdue.
    let (d, _) = store
        .add_event(
            "T1",
            r#"{"at":"2025-10-13T11:45:00+08:00","type":"first_response"}"#,
            at("11:45"),
        )
        .expect("event stored");
    assert_eq!(d.status, "in_progress");
    assert!(store.overdue(at("11:45")).expect("overdue").is_empty());

    // 17:30: the resolution escalation fires, once however often the scheduler runs.
    let fired = store.run_wakeups(at("17:30")).expect("wake-ups");
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].key, "T1/resolution/1/0");
    assert_eq!(fired[0].notify, ["desk_supervisor"]);
    assert!(store.run_wakeups(at("17:40")).expect("wake-ups").is_empty());
    let (_, again) = store.evaluate("T1", at("17:45")).expect("evaluated");
    assert!(again.is_empty(), "a fired step is notified once");
    assert_eq!(store.unsent_notifications().expect("outbox").len(), 1);
    store
        .mark_sent("T1/resolution/1/0", at("17:46"))
        .expect("marked");
    assert!(store.unsent_notifications().expect("outbox").is_empty());
    let overdue = store.overdue(at("17:50")).expect("overdue");
    assert_eq!(overdue[0].metrics, ["resolution"]);

    // 18:00: resolved. Nothing runs any more: no wake-up, nothing overdue.
    store
        .add_event(
            "T1",
            r#"{"at":"2025-10-13T18:00:00+08:00","type":"resolved"}"#,
            at("18:00"),
        )
        .expect("event stored");
    assert_eq!(store.wakeup("T1").expect("query"), None);
    assert!(store.overdue(at("18:00")).expect("overdue").is_empty());
    assert_eq!(store.event_count("T1").expect("count"), 2);

    // The stored decision carries no personal data.
    let json = store
        .decision_json("T1")
        .expect("query")
        .expect("a decision");
    assert!(json.contains("\"resolved\""));
    assert!(!json.contains("王小明") && !json.contains("13800138000"));
}

#[test]
fn bad_input_is_refused_and_data_survives_reopening() {
    let dir = TempDir::new("store-reopen");
    let db = dir.0.join("tickets.sqlite");
    {
        let mut store = Store::open(&db, policy()).expect("the store opens");
        store
            .add_ticket(
                r#"{"id":"T2","created_at":"2025-10-13T09:00:00+08:00",
                    "events":[{"at":"2025-10-13T09:30:00+08:00","type":"first_response"},
                              {"at":"2025-10-13T10:00:00+08:00","type":"resolved"}]}"#,
                at("10:00"),
            )
            .expect("stored");
        // Resolved twice: refused, and the event is not kept.
        let err = store
            .add_event(
                "T2",
                r#"{"at":"2025-10-13T10:30:00+08:00","type":"resolved"}"#,
                at("10:30"),
            )
            .expect_err("refused");
        assert!(matches!(err, StoreError::Ticket(_)), "{err}");
        assert_eq!(store.event_count("T2").expect("count"), 2);
        // Unknown tickets and duplicates are errors too.
        assert!(matches!(
            store.add_event(
                "T9",
                r#"{"at":"2025-10-13T10:30:00+08:00","type":"resolved"}"#,
                at("10:30")
            ),
            Err(StoreError::UnknownTicket(_))
        ));
        assert!(matches!(
            store.add_ticket(
                r#"{"id":"T2","created_at":"2025-10-13T09:00:00+08:00"}"#,
                at("10:30")
            ),
            Err(StoreError::Duplicate(_))
        ));
        // An invalid ticket never enters the tables.
        assert!(store.add_ticket(r#"{"id":"T3"}"#, at("10:30")).is_err());
    }
    // Reopened from the file: everything is still there.
    let store = Store::open(&db, policy()).expect("the store reopens");
    assert_eq!(store.event_count("T2").expect("count"), 2);
    let report = store
        .report(at("12:00"), Granularity::Week)
        .expect("a report");
    assert_eq!(report.tickets, 1);
    assert_eq!(report.totals.kpis.sla.resolution.met, 1);
    assert_eq!(
        report.totals.kpis.times.resolution.median_seconds,
        Some(3600)
    );
}

#[test]
fn a_transfer_is_stored_and_the_new_holder_is_notified() {
    let dir = TempDir::new("store-transfer");
    let db = dir.0.join("tickets.sqlite");
    let mut store = Store::open(&db, policy()).expect("the store opens");
    store
        .add_ticket(
            r#"{"id":"T5","created_at":"2025-10-13T09:00:00+08:00",
                "events":[{"at":"2025-10-13T09:30:00+08:00","type":"first_response"}]}"#,
            at("09:30"),
        )
        .expect("stored");
    // 10:00: the dispatcher hands the ticket to the field department (转派).
    let (d, _) = store
        .add_event(
            "T5",
            r#"{"at":"2025-10-13T10:00:00+08:00","type":"assigned","department":"field",
                "assignee":"Engineer Zhao","reason":"customer 王小明 asked for a visit"}"#,
            at("10:00"),
        )
        .expect("event stored");
    assert_eq!(&*d.route.department, "field");
    assert_eq!(&*d.rules.route, "agent");
    // The resolution falls due at 17:00: the field department's supervisor hears of it.
    let fired = store.run_wakeups(at("17:00")).expect("wake-ups run");
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].notify, ["field_supervisor"]);
    let json = store
        .decision_json("T5")
        .expect("query")
        .expect("a decision");
    assert!(json.contains("\"transfers\""), "{json}");
    assert!(
        !json.contains("王小明") && !json.contains("asked for a visit"),
        "{json}"
    );
    // An unknown department is refused, and the ticket keeps its events.
    assert!(store
        .add_event(
            "T5",
            r#"{"at":"2025-10-13T17:30:00+08:00","type":"assigned","department":"nowhere"}"#,
            at("17:30"),
        )
        .is_err());
    assert_eq!(store.event_count("T5").expect("count"), 2);
    let report = store
        .report(at("17:30"), Granularity::Week)
        .expect("a report");
    assert_eq!(report.totals.kpis.transfers.count, 1);
    assert_eq!(
        report.totals.kpis.transfers.by_pair.get("desk→field"),
        Some(&1)
    );
}
