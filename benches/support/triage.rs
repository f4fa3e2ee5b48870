//! The triage policy and its hand-written baseline, shared by `benches/engine.rs` and
//! `benches/peer.rs`.

use aftercare::{AttrValue, Policy, Ticket};

/// The triage policy (`benches/policies/triage.toml`), with or without its first-response
/// targets.
pub fn triage_policy(with_sla: bool) -> Policy {
    let text = std::fs::read_to_string("benches/policies/triage.toml").expect("readable");
    let text = if with_sla {
        text
    } else {
        text.split("[sla.targets")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    Policy::from_toml(&text).expect("valid")
}

/// The triage rules of `benches/policies/triage.toml`, written by hand: the baseline of the
/// triage benches.
pub fn hand_triage(
    t: &Ticket,
) -> (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
) {
    let category = match t.kind.as_deref() {
        Some("complaint") => "complaint",
        Some("fault") => "fault",
        Some("suggestion") => "suggestion",
        _ => "consultation",
    };
    let flag = |k: &str| matches!(t.attributes.get(k), Some(AttrValue::Bool(true)));
    let vip = t.customer.tier.as_deref() == Some("vip");
    let phone = t.channel.as_deref() == Some("phone");
    let priority =
        if flag("safety_hazard") || flag("batch_issue") || (category == "complaint" && vip) {
            "urgent"
        } else if (category == "fault" && phone) || category == "complaint" {
            "high"
        } else if category == "fault" || category == "consultation" {
            "medium"
        } else {
            "low"
        };
    let north = t.customer.region.as_deref() == Some("north");
    let (department, team) = match category {
        "complaint" | "fault" if north => ("after_sales_tech", Some("north_service_team")),
        "complaint" | "fault" => ("after_sales_tech", None),
        "suggestion" => ("product_dept", None),
        _ => ("customer_center", None),
    };
    (category, priority, department, team)
}
