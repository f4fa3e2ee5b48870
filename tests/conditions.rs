//! Condition operators (contract §2, "Conditions"), tested through the public API: each test
//! builds a policy whose first category rule uses the operator, then checks which category a
//! ticket gets and the trace line that explains it.
//!
//! For every operator there is a ticket that matches, one that does not and one that lacks the
//! field. A missing field never matches, except under `not` and with `exists = false`.

use aftercare::{Policy, Ticket};
use serde_json::{json, Value};

use crate::support::ONE_PRIORITY_ONE_ROUTE;

/// A policy whose first category, `hit`, is chosen when `when` holds; otherwise `miss`.
fn policy(when: &str) -> Policy {
    let text = format!(
        r#"
[policy]
name = "conditions"
version = "1"

[[categories]]
id = "hit"
when = {when}

[[categories]]
id = "miss"
default = true

{ONE_PRIORITY_ONE_ROUTE}"#
    );
    match Policy::from_toml(&text) {
        Ok(p) => p,
        Err(e) => panic!("the test policy for `{when}` does not load:\n{e}"),
    }
}

/// A ticket with an id and a creation time, plus `fields`.
fn ticket(fields: Value) -> Ticket {
    let mut t = json!({ "id": "T1", "created_at": "2025-10-15T10:00:00+08:00" });
    if let (Some(t), Value::Object(extra)) = (t.as_object_mut(), fields) {
        t.extend(extra);
    }
    Ticket::from_json(&t.to_string()).expect("a valid ticket")
}

use crate::support::now;

/// The category and the category trace line.
fn classify(policy: &Policy, fields: Value) -> (String, String) {
    let d = policy.evaluate(&ticket(fields), now()).expect("a decision");
    let line = d
        .trace
        .iter()
        .map(ToString::to_string)
        .find(|l| l.starts_with("category "))
        .expect("a category trace line");
    (d.category.to_string(), line)
}

/// Asserts that the rule matched, and that the trace names it and `because`.
#[track_caller]
fn hit(policy: &Policy, fields: Value, because: &str) {
    let (category, line) = classify(policy, fields);
    assert_eq!(category, "hit", "trace: {line}");
    assert_eq!(line, format!("category hit: rule `hit` matched {because}"));
}

/// Asserts that the rule did not match (the default category was taken).
#[track_caller]
fn miss(policy: &Policy, fields: Value) {
    let (category, line) = classify(policy, fields);
    assert_eq!(category, "miss", "trace: {line}");
    assert_eq!(line, "category miss: no rule matched, default `miss`");
}

// ---- scalar equality ----------------------------------------------------------------------

#[test]
fn string_equality() {
    let p = policy(r#"{ channel = "phone" }"#);
    hit(&p, json!({ "channel": "phone" }), r#"channel = "phone""#);
    miss(&p, json!({ "channel": "chat" }));
    // Equality is exact: case matters for plain values.
    miss(&p, json!({ "channel": "Phone" }));
    miss(&p, json!({}));
}

#[test]
fn number_equality() {
    let p = policy(r#"{ "attributes.units" = 12 }"#);
    hit(
        &p,
        json!({ "attributes": { "units": 12 } }),
        "attributes.units = 12",
    );
    hit(
        &p,
        json!({ "attributes": { "units": 12.0 } }),
        "attributes.units = 12",
    );
    miss(&p, json!({ "attributes": { "units": 13 } }));
    // A string that looks like the number is not the number.
    miss(&p, json!({ "attributes": { "units": "12" } }));
    miss(&p, json!({ "attributes": {} }));
}

#[test]
fn boolean_equality() {
    let p = policy(r#"{ "attributes.safety_hazard" = true }"#);
    hit(
        &p,
        json!({ "attributes": { "safety_hazard": true } }),
        "attributes.safety_hazard = true",
    );
    miss(&p, json!({ "attributes": { "safety_hazard": false } }));
    miss(&p, json!({ "attributes": { "safety_hazard": "true" } }));
    miss(&p, json!({}));
}

#[test]
fn equality_against_a_list_attribute_means_membership() {
    let p = policy(r#"{ "attributes.tags" = "recall" }"#);
    hit(
        &p,
        json!({ "attributes": { "tags": ["store", "recall"] } }),
        r#"attributes.tags = "recall""#,
    );
    miss(&p, json!({ "attributes": { "tags": ["store"] } }));
    miss(&p, json!({ "attributes": { "tags": [] } }));
    miss(&p, json!({}));
}

// ---- arrays: equal to any of them ----------------------------------------------------------

#[test]
fn array_is_any_of() {
    let p = policy(r#"{ channel = ["phone", "wechat"] }"#);
    hit(
        &p,
        json!({ "channel": "wechat" }),
        r#"channel in ["phone", "wechat"]"#,
    );
    hit(
        &p,
        json!({ "channel": "phone" }),
        r#"channel in ["phone", "wechat"]"#,
    );
    miss(&p, json!({ "channel": "email" }));
    miss(&p, json!({}));
}

// ---- operator tables -------------------------------------------------------------------------

#[test]
fn not_operator() {
    let p = policy(r#"{ channel = { not = "phone" } }"#);
    hit(&p, json!({ "channel": "chat" }), r#"channel not = "phone""#);
    miss(&p, json!({ "channel": "phone" }));
    // A missing field is "not phone".
    hit(&p, json!({}), r#"channel not = "phone""#);
}

#[test]
fn not_operator_with_a_list() {
    let p = policy(r#"{ "customer.region" = { not = ["north", "south"] } }"#);
    hit(
        &p,
        json!({ "customer": { "region": "east" } }),
        r#"customer.region not in ["north", "south"]"#,
    );
    miss(&p, json!({ "customer": { "region": "south" } }));
    hit(
        &p,
        json!({}),
        r#"customer.region not in ["north", "south"]"#,
    );
}

#[test]
fn in_operator() {
    let p = policy(r#"{ "customer.tier" = { in = ["vip", "loyal"] } }"#);
    hit(
        &p,
        json!({ "customer": { "tier": "loyal" } }),
        r#"customer.tier in ["vip", "loyal"]"#,
    );
    miss(&p, json!({ "customer": { "tier": "regular" } }));
    miss(&p, json!({ "customer": { "region": "east" } }));
    miss(&p, json!({}));
}

#[test]
fn gt() {
    let p = policy(r#"{ "attributes.affected_units" = { gt = 10 } }"#);
    hit(
        &p,
        json!({ "attributes": { "affected_units": 11 } }),
        "attributes.affected_units > 10 (value 11)",
    );
    hit(
        &p,
        json!({ "attributes": { "affected_units": 10.5 } }),
        "attributes.affected_units > 10 (value 10.5)",
    );
    miss(&p, json!({ "attributes": { "affected_units": 10 } }));
    miss(&p, json!({ "attributes": { "affected_units": "11" } }));
    miss(&p, json!({}));
}

#[test]
fn gte() {
    let p = policy(r#"{ "attributes.affected_units" = { gte = 10 } }"#);
    hit(
        &p,
        json!({ "attributes": { "affected_units": 10 } }),
        "attributes.affected_units >= 10 (value 10)",
    );
    miss(&p, json!({ "attributes": { "affected_units": 9 } }));
    miss(&p, json!({ "attributes": { "affected_units": true } }));
    miss(&p, json!({}));
}

#[test]
fn lt() {
    let p = policy(r#"{ "attributes.age_days" = { lt = 7 } }"#);
    hit(
        &p,
        json!({ "attributes": { "age_days": 6 } }),
        "attributes.age_days < 7 (value 6)",
    );
    hit(
        &p,
        json!({ "attributes": { "age_days": -1 } }),
        "attributes.age_days < 7 (value -1)",
    );
    miss(&p, json!({ "attributes": { "age_days": 7 } }));
    miss(&p, json!({}));
}

#[test]
fn lte() {
    let p = policy(r#"{ "attributes.age_days" = { lte = 7.5 } }"#);
    hit(
        &p,
        json!({ "attributes": { "age_days": 7.5 } }),
        "attributes.age_days <= 7.5 (value 7.5)",
    );
    miss(&p, json!({ "attributes": { "age_days": 8 } }));
    miss(&p, json!({}));
}

#[test]
fn range_as_two_operators_in_one_table() {
    let p = policy(r#"{ "attributes.affected_units" = { gte = 5, lt = 10 } }"#);
    hit(
        &p,
        json!({ "attributes": { "affected_units": 5 } }),
        "attributes.affected_units >= 5 and < 10 (value 5)",
    );
    miss(&p, json!({ "attributes": { "affected_units": 10 } }));
    miss(&p, json!({ "attributes": { "affected_units": 4 } }));
    miss(&p, json!({}));
}

#[test]
fn contains_chinese() {
    let p = policy(r#"{ description = { contains = "漏水" } }"#);
    hit(
        &p,
        json!({ "description": "洗衣机底部漏水,地板都湿了" }),
        r#"description contains "漏水""#,
    );
    miss(&p, json!({ "description": "洗衣机不脱水" }));
    // The keyword is in the subject, but the rule reads the description only.
    miss(&p, json!({ "subject": "漏水" }));
    miss(&p, json!({}));
}

#[test]
fn contains_english_is_case_insensitive() {
    let p = policy(r#"{ subject = { contains = "leak" } }"#);
    hit(
        &p,
        json!({ "subject": "Water LEAK under the unit" }),
        r#"subject contains "leak""#,
    );
    hit(
        &p,
        json!({ "subject": "Leaking pipe" }),
        r#"subject contains "leak""#,
    );
    miss(&p, json!({ "subject": "Loud noise" }));
    miss(&p, json!({ "description": "leak" }));
    miss(&p, json!({}));
}

#[test]
fn contains_keyword_written_in_upper_case() {
    let p = policy(r#"{ subject = { contains = "LEAK" } }"#);
    // Keywords are compared case-insensitively too; the trace shows the folded keyword.
    hit(
        &p,
        json!({ "subject": "small leak" }),
        r#"subject contains "leak""#,
    );
    miss(&p, json!({ "subject": "all dry" }));
}

#[test]
fn contains_any_chinese_and_english() {
    let p = policy(r#"{ text = { contains_any = ["漏水", "leak", "渗水"] } }"#);
    hit(
        &p,
        json!({ "subject": "热水器渗水" }),
        r#"text contains "渗水""#,
    );
    hit(
        &p,
        json!({ "description": "There is a LEAK." }),
        r#"text contains "leak""#,
    );
    hit(
        &p,
        json!({ "subject": "Mixed 语言: 漏水 and leak" }),
        r#"text contains "漏水""#,
    );
    miss(
        &p,
        json!({ "subject": "不制冷", "description": "not cooling" }),
    );
    miss(&p, json!({ "channel": "phone" }));
}

#[test]
fn contains_any_trace_names_the_keyword_that_was_found() {
    let p = policy(r#"{ text = { contains_any = ["noise", "rattle", "leak"] } }"#);
    hit(
        &p,
        json!({ "description": "It started to leak" }),
        r#"text contains "leak""#,
    );
    hit(
        &p,
        json!({ "description": "A RATTLE at night" }),
        r#"text contains "rattle""#,
    );
}

#[test]
fn contains_any_folds_accented_upper_case() {
    let p = policy(r#"{ text = { contains_any = ["écran", "ошибка"] } }"#);
    hit(
        &p,
        json!({ "subject": "ÉCRAN noir" }),
        r#"text contains "écran""#,
    );
    hit(
        &p,
        json!({ "subject": "Écran cassé" }),
        r#"text contains "écran""#,
    );
    hit(
        &p,
        json!({ "description": "ОШИБКА E4" }),
        r#"text contains "ошибка""#,
    );
    miss(&p, json!({ "subject": "ECRAN" })); // no accent: a different word
    miss(&p, json!({}));
}

#[test]
fn contains_any_keyword_with_accented_upper_case() {
    let p = policy(r#"{ text = { contains_any = ["ÉCRAN"] } }"#);
    hit(
        &p,
        json!({ "subject": "écran noir" }),
        r#"text contains "écran""#,
    );
    hit(
        &p,
        json!({ "subject": "ÉCRAN NOIR" }),
        r#"text contains "écran""#,
    );
    miss(&p, json!({ "subject": "noir" }));
}

#[test]
fn contains_any_folds_full_width_upper_case() {
    // Full-width Latin letters have case too: Ｌ (U+FF2C) and ｌ (U+FF4C).
    let p = policy(r#"{ text = { contains_any = ["ｌｅａｋ"] } }"#);
    hit(
        &p,
        json!({ "subject": "ＬＥＡＫ" }),
        r#"text contains "ｌｅａｋ""#,
    );
    hit(
        &p,
        json!({ "subject": "有ｌｅａｋ" }),
        r#"text contains "ｌｅａｋ""#,
    );
    miss(&p, json!({ "subject": "ＤＲＹ" }));

    let p = policy(r#"{ text = { contains_any = ["ＬＥＡＫ"] } }"#);
    hit(
        &p,
        json!({ "description": "ｌｅａｋ" }),
        r#"text contains "ｌｅａｋ""#,
    );
}

#[test]
fn contains_any_on_a_list_attribute() {
    let p = policy(r#"{ "attributes.tags" = { contains_any = ["recall"] } }"#);
    hit(
        &p,
        json!({ "attributes": { "tags": ["store", "Product RECALL 2025"] } }),
        r#"attributes.tags contains "recall""#,
    );
    miss(&p, json!({ "attributes": { "tags": ["store"] } }));
    miss(&p, json!({}));
}

#[test]
fn matches() {
    let p = policy(r#"{ description = { matches = '(?i)\b(error|code)\s*[EF][0-9]{1,2}\b' } }"#);
    let because = r#"description matches /(?i)\b(error|code)\s*[EF][0-9]{1,2}\b/"#;
    hit(
        &p,
        json!({ "description": "The display shows CODE E4" }),
        because,
    );
    hit(&p, json!({ "description": "error f12 again" }), because);
    miss(&p, json!({ "description": "error E123" }));
    miss(&p, json!({ "subject": "code E4" }));
    miss(&p, json!({}));
}

#[test]
fn matches_chinese() {
    let p = policy(r#"{ text = { matches = '显示\s*[EF][0-9]{1,2}' } }"#);
    let because = r#"text matches /显示\s*[EF][0-9]{1,2}/"#;
    hit(&p, json!({ "description": "空调显示E4,不制冷" }), because);
    miss(&p, json!({ "description": "空调显示正常" }));
    miss(&p, json!({}));
}

#[test]
fn exists_true() {
    let p = policy(r#"{ "attributes.store_id" = { exists = true } }"#);
    hit(
        &p,
        json!({ "attributes": { "store_id": "S-12" } }),
        "attributes.store_id exists",
    );
    hit(
        &p,
        json!({ "attributes": { "store_id": false } }),
        "attributes.store_id exists",
    );
    // null is the same as absent.
    miss(&p, json!({ "attributes": { "store_id": null } }));
    miss(&p, json!({ "attributes": { "other": 1 } }));
    miss(&p, json!({}));
}

#[test]
fn exists_false() {
    let p = policy(r#"{ "customer.region" = { exists = false } }"#);
    hit(&p, json!({}), "customer.region is missing");
    hit(
        &p,
        json!({ "customer": { "tier": "vip" } }),
        "customer.region is missing",
    );
    miss(&p, json!({ "customer": { "region": "north" } }));
}

// ---- special keys -------------------------------------------------------------------------

#[test]
fn keys_of_a_table_are_anded() {
    let p = policy(r#"{ channel = "phone", "customer.tier" = "vip" }"#);
    hit(
        &p,
        json!({ "channel": "phone", "customer": { "tier": "vip" } }),
        r#"channel = "phone" and customer.tier = "vip""#,
    );
    miss(
        &p,
        json!({ "channel": "phone", "customer": { "tier": "regular" } }),
    );
    miss(&p, json!({ "channel": "phone" }));
    miss(&p, json!({}));
}

#[test]
fn any() {
    let p =
        policy(r#"{ any = [ { kind = "complaint" }, { text = { contains_any = ["投诉"] } } ] }"#);
    hit(&p, json!({ "kind": "complaint" }), r#"kind = "complaint""#);
    hit(
        &p,
        json!({ "description": "我要投诉" }),
        r#"text contains "投诉""#,
    );
    // Both hold: the trace explains the first that does.
    hit(
        &p,
        json!({ "kind": "complaint", "description": "我要投诉" }),
        r#"kind = "complaint""#,
    );
    miss(&p, json!({ "kind": "fault", "description": "坏了" }));
    miss(&p, json!({}));
}

#[test]
fn all() {
    let p = policy(r#"{ all = [ { kind = "fault" }, { channel = "phone" } ] }"#);
    hit(
        &p,
        json!({ "kind": "fault", "channel": "phone" }),
        r#"kind = "fault" and channel = "phone""#,
    );
    miss(&p, json!({ "kind": "fault", "channel": "chat" }));
    miss(&p, json!({ "kind": "fault" }));
    miss(&p, json!({}));
}

#[test]
fn not_special_key() {
    let p = policy(r#"{ not = { kind = "consultation" } }"#);
    hit(
        &p,
        json!({ "kind": "fault" }),
        r#"not (kind = "consultation")"#,
    );
    miss(&p, json!({ "kind": "consultation" }));
    // A missing field does not equal "consultation", so `not` holds.
    hit(&p, json!({}), r#"not (kind = "consultation")"#);
}

#[test]
fn not_special_key_with_other_keys() {
    let p = policy(
        r#"{ text = { contains_any = ["suggest"] }, not = { any = [ { kind = "consultation" }, { channel = "store" } ] } }"#,
    );
    let because = r#"text contains "suggest" and not (kind = "consultation" or channel = "store")"#;
    hit(&p, json!({ "subject": "I suggest a timer" }), because);
    hit(
        &p,
        json!({ "subject": "I suggest a timer", "kind": "fault" }),
        because,
    );
    miss(
        &p,
        json!({ "subject": "I suggest a timer", "kind": "consultation" }),
    );
    miss(
        &p,
        json!({ "subject": "I suggest a timer", "channel": "store" }),
    );
    miss(&p, json!({}));
}

#[test]
fn nested_special_keys() {
    let p = policy(
        r#"{ any = [ { all = [ { kind = "fault" }, { "attributes.units" = { gte = 10 } } ] }, { not = { channel = { exists = true } } } ] }"#,
    );
    hit(
        &p,
        json!({ "channel": "store", "kind": "fault", "attributes": { "units": 12 } }),
        r#"kind = "fault" and attributes.units >= 10 (value 12)"#,
    );
    hit(&p, json!({ "kind": "fault" }), "not (channel exists)");
    miss(
        &p,
        json!({ "channel": "store", "kind": "fault", "attributes": { "units": 2 } }),
    );
    miss(&p, json!({ "channel": "store" }));
}

// ---- field paths --------------------------------------------------------------------------

#[test]
fn nested_path_table() {
    let p = policy(r#"{ customer = { tier = "vip" } }"#);
    hit(
        &p,
        json!({ "customer": { "tier": "vip" } }),
        r#"customer.tier = "vip""#,
    );
    miss(&p, json!({ "customer": { "tier": "regular" } }));
    miss(&p, json!({ "customer": {} }));
    miss(&p, json!({}));
}

#[test]
fn nested_path_table_with_several_keys_and_operators() {
    let p = policy(r#"{ customer = { tier = { in = ["vip", "loyal"] }, region = "north" } }"#);
    hit(
        &p,
        json!({ "customer": { "tier": "vip", "region": "north" } }),
        r#"customer.tier in ["vip", "loyal"] and customer.region = "north""#,
    );
    miss(
        &p,
        json!({ "customer": { "tier": "vip", "region": "south" } }),
    );
    miss(&p, json!({ "customer": { "tier": "vip" } }));
}

#[test]
fn dotted_keys_are_nested_path_tables() {
    // TOML reads `product.model = "…"` inside an inline table as `product = { model = "…" }`.
    let p = policy(r#"{ product.model = "KFR-35GW", attributes.batch_issue = true }"#);
    hit(
        &p,
        json!({ "product": { "model": "KFR-35GW" }, "attributes": { "batch_issue": true } }),
        r#"product.model = "KFR-35GW" and attributes.batch_issue = true"#,
    );
    miss(&p, json!({ "product": { "model": "KFR-35GW" } }));
    miss(&p, json!({}));
}

#[test]
fn custom_customer_and_product_fields() {
    let p = policy(r#"{ "customer.segment" = "hotel", "product.line" = { in = ["ac", "tv"] } }"#);
    hit(
        &p,
        json!({ "customer": { "segment": "hotel" }, "product": { "line": "ac" } }),
        r#"customer.segment = "hotel" and product.line in ["ac", "tv"]"#,
    );
    miss(
        &p,
        json!({ "customer": { "segment": "hotel" }, "product": { "line": "fridge" } }),
    );
    miss(&p, json!({ "customer": { "segment": "hotel" } }));
}

#[test]
fn id_field() {
    let p = policy(r#"{ id = { matches = '^FB2025' } }"#);
    let (category, line) = classify(&p, json!({}));
    assert_eq!(category, "miss", "{line}");
    let d = p
        .evaluate(
            &Ticket::from_json(
                r#"{"id": "FB202510001", "created_at": "2025-10-15T10:00:00+08:00"}"#,
            )
            .unwrap(),
            now(),
        )
        .unwrap();
    assert_eq!(&*d.category, "hit");
    assert_eq!(
        d.trace[0],
        "category hit: rule `hit` matched id matches /^FB2025/"
    );
}

#[test]
fn text_is_subject_or_description() {
    let p = policy(r#"{ text = { contains = "noise" } }"#);
    hit(
        &p,
        json!({ "subject": "Noise" }),
        r#"text contains "noise""#,
    );
    hit(
        &p,
        json!({ "description": "a loud noise" }),
        r#"text contains "noise""#,
    );
    hit(
        &p,
        json!({ "subject": "fridge", "description": "NOISE at night" }),
        r#"text contains "noise""#,
    );
    miss(&p, json!({ "subject": "fridge", "description": "quiet" }));
    miss(&p, json!({}));
}

#[test]
fn text_does_not_match_across_subject_and_description() {
    let p = policy(r#"{ text = { contains = "water heater" } }"#);
    miss(
        &p,
        json!({ "subject": "water", "description": "heater broken" }),
    );
    miss(
        &p,
        json!({ "subject": "Broken water", "description": "heater" }),
    );
    hit(
        &p,
        json!({ "description": "My water heater" }),
        r#"text contains "water heater""#,
    );
}

#[test]
fn text_equality_and_matches() {
    let p = policy(r#"{ text = "退款" }"#);
    hit(&p, json!({ "subject": "退款" }), r#"text = "退款""#);
    hit(
        &p,
        json!({ "subject": "其他", "description": "退款" }),
        r#"text = "退款""#,
    );
    miss(&p, json!({ "subject": "申请退款" }));
    miss(&p, json!({}));

    let p = policy(r#"{ text = { matches = '^(?i)re:' } }"#);
    hit(
        &p,
        json!({ "subject": "RE: order", "description": "x" }),
        "text matches /^(?i)re:/",
    );
    hit(
        &p,
        json!({ "subject": "order", "description": "Re: order" }),
        "text matches /^(?i)re:/",
    );
    miss(&p, json!({ "subject": "order re: x" }));
}

#[test]
fn text_exists() {
    let p = policy(r#"{ text = { exists = false } }"#);
    hit(&p, json!({}), "text is missing");
    miss(&p, json!({ "description": "x" }));
    miss(&p, json!({ "subject": "x" }));
}

// ---- first match wins, and the default ------------------------------------------------------

#[test]
fn first_matching_category_wins() {
    let p = Policy::from_toml(&format!(
        r#"
[policy]
name = "order"
[[categories]]
id = "complaint"
when = {{ text = {{ contains_any = ["投诉", "complaint"] }} }}
[[categories]]
id = "fault"
when = {{ text = {{ contains_any = ["漏水", "leak"] }} }}
[[categories]]
id = "consultation"
default = true
{ONE_PRIORITY_ONE_ROUTE}"#
    ))
    .unwrap();
    let (c, line) = classify(&p, json!({ "description": "漏水,我要投诉" }));
    assert_eq!(c, "complaint");
    assert_eq!(
        line,
        r#"category complaint: rule `complaint` matched text contains "投诉""#
    );
    let (c, line) = classify(&p, json!({ "description": "It leaks" }));
    assert_eq!(c, "fault");
    assert_eq!(
        line,
        r#"category fault: rule `fault` matched text contains "leak""#
    );
    let (c, line) = classify(&p, json!({ "description": "保修期多久" }));
    assert_eq!(c, "consultation");
    assert_eq!(
        line,
        "category consultation: no rule matched, default `consultation`"
    );
}

#[test]
fn one_keyword_in_several_rules() {
    // Keywords shared between rules of one stage are scanned once; each rule still sees them.
    let p = Policy::from_toml(&format!(
        r#"
[policy]
name = "shared"
[[categories]]
id = "a"
when = {{ text = {{ contains_any = ["x1", "shared"] }}, channel = "phone" }}
[[categories]]
id = "b"
when = {{ text = {{ contains_any = ["shared", "y1"] }} }}
[[categories]]
id = "c"
default = true
{ONE_PRIORITY_ONE_ROUTE}"#
    ))
    .unwrap();
    let (c, line) = classify(&p, json!({ "subject": "SHARED word", "channel": "chat" }));
    assert_eq!(c, "b");
    assert_eq!(
        line,
        r#"category b: rule `b` matched text contains "shared""#
    );
    let (c, _) = classify(&p, json!({ "subject": "shared", "channel": "phone" }));
    assert_eq!(c, "a");
}

#[test]
fn not_exists_false_is_exists() {
    // `{ not = { exists = false } }` reads "the field is not missing": a missing field fails it.
    let p = policy(r#"{ "customer.region" = { not = { exists = false } } }"#);
    hit(
        &p,
        json!({ "customer": { "region": "north" } }),
        "customer.region not is missing",
    );
    miss(&p, json!({}));
}

#[test]
fn exists_false_combined_with_another_operator() {
    // Both operators hold for a missing field: not "x", and missing.
    let p = policy(r#"{ "customer.region" = { exists = false, not = "north" } }"#);
    hit(
        &p,
        json!({}),
        r#"customer.region is missing and not = "north""#,
    );
    miss(&p, json!({ "customer": { "region": "south" } }));
    miss(&p, json!({ "customer": { "region": "north" } }));
}

#[test]
fn many_keywords_in_one_rule_set() {
    // More keywords on one field than fit in a 128-bit set.
    let many: Vec<String> = (0..300).map(|i| format!("\"kw{i:03}x\"")).collect();
    let p = Policy::from_toml(&format!(
        r#"
[policy]
name = "many"
[[categories]]
id = "first"
when = {{ text = {{ contains_any = [{}] }} }}
[[categories]]
id = "second"
when = {{ text = {{ contains_any = ["kw299x", "zzz"] }} }}
[[categories]]
id = "other"
default = true
{ONE_PRIORITY_ONE_ROUTE}"#,
        many[..299].join(", ")
    ))
    .unwrap();
    for (text, category, keyword) in [
        ("KW000X", "first", "kw000x"),
        ("a kw127x b", "first", "kw127x"),
        ("a kw128x b", "first", "kw128x"),
        ("kw200x", "first", "kw200x"),
        ("kw298x", "first", "kw298x"),
        ("kw299x", "second", "kw299x"),
        ("ZZZ", "second", "zzz"),
    ] {
        let (c, line) = classify(&p, json!({ "subject": text }));
        assert_eq!(c, category, "{text}: {line}");
        assert_eq!(
            line,
            format!("category {category}: rule `{category}` matched text contains \"{keyword}\"")
        );
    }
    let (c, _) = classify(&p, json!({ "subject": "kw300x" }));
    assert_eq!(c, "other");
}

/// A pattern repeated across stages runs once per evaluation; what it found must be the same
/// answer in every stage, and a pattern on a field that changes between stages (`category`)
/// must be tested again on the new value.
#[test]
fn a_repeated_pattern_answers_alike_in_every_stage_and_derived_fields_are_read_again() {
    let text = r#"
[policy]
name = "memo"
version = "1"

[[categories]]
id = "gas"
when = { text = { matches = '燃气.{0,4}味' } }

[[categories]]
id = "other"
default = true

[priorities]
order = ["urgent", "normal"]
default = "normal"

[[priority_rules]]
id = "gas-urgent"
priority = "urgent"
when = { text = { matches = '燃气.{0,4}味' }, category = { matches = '^gas$' } }

[[routes]]
id = "safety"
department = "desk"
when = { all = [ { text = { matches = '燃气.{0,4}味' } }, { priority = { matches = '^urg' } },
                 { not = { category = { matches = '^other$' } } } ] }

[[routes]]
id = "all"
default = true
department = "desk"

[departments.desk]
"#;
    let policy = Policy::from_toml(text).expect("loads");
    let d = policy
        .evaluate(&ticket(json!({ "description": "厨房有燃气的味道" })), now())
        .expect("a decision");
    assert_eq!(
        (&*d.category, &*d.priority, &*d.route.rule),
        ("gas", "urgent", "safety")
    );
    let d = policy
        .evaluate(&ticket(json!({ "description": "热水器不热" })), now())
        .expect("a decision");
    assert_eq!(
        (&*d.category, &*d.priority, &*d.route.rule),
        ("other", "normal", "all")
    );
}

/// More distinct patterns than an evaluation keeps inline (128): each still answers for itself.
#[test]
fn many_patterns_each_answer_for_themselves() {
    let rules: String = (0..300)
        .map(|i| {
            format!(
                "[[categories]]\nid = \"c{i}\"\nwhen = {{ text = {{ matches = '^w{i}$' }} }}\n\n"
            )
        })
        .collect();
    let text = format!(
        r#"
[policy]
name = "many"
version = "1"

{rules}
[[categories]]
id = "none"
default = true

{ONE_PRIORITY_ONE_ROUTE}"#
    );
    let policy = Policy::from_toml(&text).expect("loads");
    for i in [0, 127, 128, 200, 299] {
        let d = policy
            .evaluate(&ticket(json!({ "description": format!("w{i}") })), now())
            .expect("a decision");
        assert_eq!(&*d.category, format!("c{i}"));
    }
    let d = policy
        .evaluate(&ticket(json!({ "description": "w300" })), now())
        .expect("a decision");
    assert_eq!(&*d.category, "none");
}

/// The same pattern on two fields is two tests.
#[test]
fn one_pattern_on_two_fields_is_tested_on_each() {
    let policy = policy(
        r#"{ any = [ { subject = { matches = '退货' } }, { description = { matches = '退货' } } ] }"#,
    );
    hit(
        &policy,
        json!({ "subject": "你好", "description": "我要退货" }),
        "description matches /退货/",
    );
    hit(
        &policy,
        json!({ "subject": "退货", "description": "你好" }),
        "subject matches /退货/",
    );
    miss(&policy, json!({ "subject": "你好", "description": "你好" }));
}
