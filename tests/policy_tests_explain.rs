//! `Policy::explain`: text and JSON snapshots, checked by hand first.
//!
//! - `ticket_paused.json` on tests/fixtures/policy_tests/small.toml (Mon–Fri 09:00–12:00,
//!   13:00–18:00): a pause of 6 business hours, resolved, follow-up pending.
//! - `ticket_national_day.json` on policies/default.toml: created the day before National Day
//!   2025, so the 2025-10-01..08 holiday is skipped and the make-up Saturday 10-11 counts.

use aftercare::explain::Explanation;
use aftercare::{Policy, Ticket};

use crate::support::at;

const DIR: &str = "tests/fixtures/policy_tests";
const PERSONAL: [&str; 8] = [
    "王小明",
    "13800000000",
    "SO-123456",
    "SN-987654",
    "李华",
    "li.hua@example.com",
    "SO-2025-0930-1",
    "WM100-0001",
];

fn explain(policy: &str, ticket: &str, now: &str) -> Explanation {
    let policy = Policy::from_path(policy).expect("the policy loads");
    let json = std::fs::read_to_string(format!("{DIR}/{ticket}")).expect("the ticket reads");
    let ticket = Ticket::from_json(&json).expect("a valid ticket");
    // The English form: the bundled policy would write Chinese.
    policy
        .explain(&ticket, at(now))
        .expect("an explanation")
        .in_lang(aftercare::i18n::Lang::En)
}

fn no_personal_data(text: &str) {
    for secret in PERSONAL {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
}

fn windows(why: &Explanation, metric: &str) -> Vec<(String, String)> {
    why.clocks
        .iter()
        .find(|c| c.metric == metric)
        .expect("the clock")
        .windows
        .iter()
        .map(|w| (w.from.to_string(), w.to.to_string()))
        .collect()
}

#[test]
fn a_paused_and_resolved_ticket() {
    let why = explain(
        &format!("{DIR}/small.toml"),
        "ticket_paused.json",
        "2025-11-05T16:00:00+08:00",
    );
    // 16 business hours: Mon 09:00–11:00, the pause takes the rest of Monday, then Tuesday
    // and Wednesday up to 16:00.
    assert_eq!(
        windows(&why, "resolution"),
        [
            ("2025-11-03T09:00:00+08:00", "2025-11-03T11:00:00+08:00"),
            ("2025-11-04T09:00:00+08:00", "2025-11-04T12:00:00+08:00"),
            ("2025-11-04T13:00:00+08:00", "2025-11-04T18:00:00+08:00"),
            ("2025-11-05T09:00:00+08:00", "2025-11-05T12:00:00+08:00"),
            ("2025-11-05T13:00:00+08:00", "2025-11-05T16:00:00+08:00"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let resolution = why
        .clocks
        .iter()
        .find(|c| c.metric == "resolution")
        .expect("a clock");
    assert_eq!(resolution.pauses.len(), 1);
    assert_eq!(resolution.pauses[0].business_time.to_string(), "6h");
    assert_eq!(
        why.next_change_at.map(|t| t.to_string()).as_deref(),
        Some("2025-11-06T15:00:00+08:00")
    );
    assert_eq!(
        why.next_change,
        ["follow_up falls due (breached from then on)"]
    );
    let text = why.to_string();
    let json = serde_json::to_string_pretty(&why).expect("serializes");
    no_personal_data(&text);
    no_personal_data(&json);
    insta::assert_snapshot!("paused_text", text);
    insta::assert_snapshot!("paused_json", json);
}

#[test]
fn a_ticket_across_national_day() {
    let why = explain(
        "policies/default.toml",
        "ticket_national_day.json",
        "2025-10-11T12:00:00+08:00",
    );
    // 6h first response: Tue 16:20–18:00, the holiday, Thu 09:00–12:00 and 13:30–14:50.
    assert_eq!(
        windows(&why, "first_response").last(),
        Some(&(
            "2025-10-09T13:30:00+08:00".to_string(),
            "2025-10-09T14:50:00+08:00".to_string()
        ))
    );
    let first = &why.clocks[0];
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(
        (
            first.skipped[0].from.to_string(),
            first.skipped[0].to.to_string()
        ),
        ("2025-10-01".to_string(), "2025-10-08".to_string())
    );
    // 3bd ends on the make-up Saturday at 16:20; the 4h pause pushes it to Monday 11:20.
    let resolution = &why.clocks[1];
    assert_eq!(
        resolution.clock.due.map(|d| d.to_string()).as_deref(),
        Some("2025-10-13T11:20:00+08:00")
    );
    assert!(resolution
        .windows
        .iter()
        .any(|w| w.from.to_string() == "2025-10-11T09:00:00+08:00"));
    let stages: Vec<(&str, &str)> = why
        .stages
        .iter()
        .map(|s| (s.stage, s.rule.as_str()))
        .collect();
    assert_eq!(
        stages,
        [
            ("category", "fault"),
            ("priority", "fault-medium"),
            ("route", "south-repair")
        ]
    );
    assert_eq!(
        why.next_change,
        ["escalation resolution at 80% (cycle 1) fires: notify assignee"]
    );
    let text = why.to_string();
    let json = serde_json::to_string_pretty(&why).expect("serializes");
    no_personal_data(&text);
    no_personal_data(&json);
    insta::assert_snapshot!("national_day_text", text);
    insta::assert_snapshot!("national_day_json", json);
}

#[test]
fn a_default_priority_and_an_urgent_round_the_clock_ticket() {
    let policy = Policy::from_path(format!("{DIR}/small.toml")).expect("loads");
    let ticket = Ticket::from_json(
        r#"{"id": "B", "created_at": "2025-11-07T17:30:00+08:00", "kind": "complaint",
            "customer": {"tier": "vip"}}"#,
    )
    .expect("a ticket");
    let why = policy
        .explain(&ticket, at("2025-11-08T03:00:00+08:00"))
        .expect("an explanation");
    let resolution = &why.clocks[1];
    assert_eq!(resolution.calendar, "always");
    // 8 hours round the clock, split at local midnight.
    let spans: Vec<String> = resolution
        .windows
        .iter()
        .map(|w| format!("{} {}", w.from, w.length))
        .collect();
    assert_eq!(
        spans,
        [
            "2025-11-07T17:30:00+08:00 6h30m",
            "2025-11-08T00:00:00+08:00 1h30m"
        ]
    );
    assert!(why.escalations.iter().all(|e| e.fired));
    assert_eq!(why.next_change_at, None);
    assert!(why
        .to_string()
        .contains("next change: none without a new event"));
}

// --- Text models: the label, its confidence and the terms for and against ----------------

/// Explains one ticket of the models fixture (tests/fixtures/models).
fn explain_fixture(id: &str) -> (Explanation, aftercare::Decision) {
    let (policy, dir) = crate::support::models::policy();
    let ticket = crate::support::models::tickets()
        .into_iter()
        .find(|t| t.id == id)
        .expect("the fixture ticket");
    let now = at("2025-10-15T12:00:00+08:00");
    let why = policy.explain(&ticket, now).expect("an explanation");
    let decision = policy.evaluate(&ticket, now).expect("a decision");
    let _ = std::fs::remove_dir_all(dir);
    (why, decision)
}

#[test]
fn explain_shows_each_models_label_confidence_and_terms_for_and_against() {
    let (why, d) = explain_fixture("M1");
    let names: Vec<&str> = why.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(names, ["kind", "sentiment"]);
    for m in &why.models {
        let l = d.labels.get(&m.model).expect("the decision's label");
        assert_eq!((m.label.as_str(), m.confidence), (&*l.label, l.confidence));
        assert!(!m.for_label.is_empty(), "{m:?}");
        assert!(m.for_label.len() <= aftercare::explain::TOP_TERMS);
        assert!(m.for_label.iter().all(|t| t.weight > 0.0), "{m:?}");
        assert!(m.against_label.iter().all(|t| t.weight < 0.0), "{m:?}");
        // Strongest first.
        assert!(m.for_label.windows(2).all(|w| w[0].weight >= w[1].weight));
    }
    let kind = &why.models[0];
    assert_eq!(kind.label, "damage");
    assert!(
        kind.for_label.iter().any(|t| t.term.contains('碎')),
        "屏幕碎了 speaks for damage: {kind:?}"
    );
    let text = why.to_string();
    assert!(
        text.contains("\ntext models\n  kind: damage (confidence 0."),
        "{text}"
    );
    assert!(text.contains("\n    for      "), "{text}");
    assert!(text.contains("\n    against  "), "{text}");
    // Not repeated as notes: the section says it.
    assert!(!text.contains("note: model"), "{text}");
    let json = serde_json::to_value(&why).expect("JSON");
    assert_eq!(json["models"][0]["model"], "kind");
    assert!(json["models"][0]["for"][0]["term"].is_string());
    assert!(
        json["models"][0]["for"][0]["weight"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0
    );
    let zh = why.clone().in_lang(aftercare::i18n::Lang::ZhCn).to_string();
    assert!(zh.contains("\n文本模型\n  kind：damage（置信度 0."), "{zh}");
    assert!(
        zh.contains("\n    支持  ") && zh.contains("\n    反对  "),
        "{zh}"
    );
}

#[test]
fn terms_never_name_the_customers_personal_values() {
    // M5's description ends with the customer's own name, which is also `customer.name`.
    let (why, d) = explain_fixture("M5");
    let text = why.to_string();
    let json = serde_json::to_string(&why).expect("JSON");
    let trace: Vec<String> = d.trace.iter().map(ToString::to_string).collect();
    let trace = trace.join("\n");
    for form in [&text, &json, &trace] {
        for c in ["王丽娟", "丽娟", "王", "丽", "娟"] {
            assert!(!form.contains(c), "{c} in\n{form}");
        }
    }
    // The other terms are still there.
    assert!(
        why.models.iter().all(|m| !m.for_label.is_empty()),
        "{why:?}"
    );
    assert!(trace.contains("model kind: damage"), "{trace}");
}

#[test]
fn agents_lines_of_an_explanation_read_in_chinese() {
    let (why, _) = explain_fixture("M4");
    let en = why.to_string();
    assert!(
        en.contains("transfer  event 1 at 2025-10-09T10:00:00+08:00: desk → tech, after 1h of business time"),
        "{en}"
    );
    assert!(
        en.contains("override  route tech by an agent (event 1 at"),
        "{en}"
    );
    let zh = why.in_lang(aftercare::i18n::Lang::ZhCn).to_string();
    assert!(
        zh.contains(
            "转派      事件 1，2025-10-09T10:00:00+08:00：desk → tech，此前停留 1小时 工作时间"
        ),
        "{zh}"
    );
    assert!(
        zh.contains("人工改判  分派 由人工设为 tech（事件 1，"),
        "{zh}"
    );
    assert!(zh.contains("由人工设定（事件 1，"), "{zh}");
    assert!(!zh.contains("by an agent"), "{zh}");
    let (why, _) = explain_fixture("M5");
    let zh = why.in_lang(aftercare::i18n::Lang::ZhCn).to_string();
    assert!(zh.contains("优先级 由人工设为 normal"), "{zh}");
    assert!(zh.contains("规则原本选择 urgent（规则 `upset`）"), "{zh}");
}
