//! The JSON Schemas in schema/: fresh (generated from `aftercare::schema`), in step with the
//! parser (the same keys in every table), and satisfied by the bundled policies.
//!
//! Regenerate the files with `AFTERCARE_BLESS=1 cargo test --test main schema::`.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

const POLICY_SCHEMA: &str = "schema/policy.schema.json";
const CASES_SCHEMA: &str = "schema/cases.schema.json";

/// Compares a committed schema with the generated one; rewrites it under `AFTERCARE_BLESS=1`.
fn check_fresh(path: &str, generated: &Value) {
    let text = serde_json::to_string_pretty(generated).expect("a schema serializes") + "\n";
    if std::env::var_os("AFTERCARE_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all("schema").expect("schema/ can be created");
        std::fs::write(path, &text).expect("the schema can be written");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    // Compared as JSON, so that key order (which depends on serde_json features) does not count.
    let same = serde_json::from_str::<Value>(&committed).is_ok_and(|c| &c == generated);
    assert!(
        same,
        "{path} is stale: it differs from what src/schema.rs generates.\n\
         Regenerate it with `AFTERCARE_BLESS=1 cargo test --test main schema::` and commit the result."
    );
}

#[test]
fn the_committed_policy_schema_is_fresh() {
    check_fresh(POLICY_SCHEMA, &aftercare::schema::policy());
}

#[test]
fn the_committed_cases_schema_is_fresh() {
    check_fresh(CASES_SCHEMA, &aftercare::schema::cases());
}

// --- In step with the parser ----------------------------------------------------------------

/// Every table of a policy with an extra key `zzzzzz`: the parser reports each as unknown and
/// lists the keys it knows in the hint.
const EVERY_TABLE: &str = r#"
zzzzzz = 1
[policy]
name = "keys"
calendar = "office"
zzzzzz = 1
[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], zzzzzz = 1 }
zzzzzz = 1
[[categories]]
id = "general"
default = true
when = { kind = { zzzzzz = 1 } }
zzzzzz = 1
[priorities]
order = ["normal"]
default = "normal"
zzzzzz = 1
[[priority_rules]]
id = "r"
priority = "normal"
when = { kind = "x" }
zzzzzz = 1
[[routes]]
id = "all"
default = true
department = "desk"
zzzzzz = 1
[departments.desk]
zzzzzz = 1
[sla]
zzzzzz = 1
[sla.targets.normal]
first_response = "4h"
zzzzzz = 1
[[escalations]]
metric = "first_response"
at = "100%"
notify = ["assignee"]
zzzzzz = 1
[follow_up]
within = "24h"
zzzzzz = 1
[scripts]
path = "hooks.rhai"
zzzzzz = 1
"#;

/// Where each table the parser names ("unknown key `zzzzzz` in {what}") is in the schema.
const TABLES: [(&str, &str); 15] = [
    ("the policy", ""),
    ("`[policy]`", "/definitions/Meta"),
    ("calendar `office`", "/definitions/Calendar"),
    ("`week`", "/definitions/Week"),
    ("a category", "/definitions/Category"),
    (
        "the operators for `kind`",
        "/definitions/FieldValue/anyOf/2",
    ),
    ("`[priorities]`", "/definitions/Priorities"),
    ("a priority rule", "/definitions/PriorityRule"),
    ("a route", "/definitions/Route"),
    ("department `desk`", "/definitions/Department"),
    ("`[sla]`", "/definitions/Sla"),
    ("targets for `normal`", "/definitions/Targets"),
    ("an escalation", "/definitions/Escalation"),
    ("`[follow_up]`", "/definitions/FollowUp"),
    ("`[scripts]`", "/definitions/Scripts"),
];

#[test]
fn the_schema_and_the_parser_accept_the_same_keys_in_every_table() {
    let err = aftercare::Policy::from_toml_in("keys.toml", EVERY_TABLE, Path::new("."))
        .expect_err("every table has an unknown key");
    let schema = aftercare::schema::policy();
    let mut seen = BTreeSet::new();
    for d in err.diagnostics() {
        let Some(what) = d.message.strip_prefix("unknown key `zzzzzz` in ") else {
            continue;
        };
        let hint = d.hint.as_deref().unwrap_or_default();
        let parser: BTreeSet<&str> = hint
            .strip_prefix("expected one of: ")
            .unwrap_or_else(|| panic!("a list of keys for {what}: {hint}"))
            .split(", ")
            .collect();
        let (_, pointer) = TABLES
            .iter()
            .find(|(w, _)| *w == what)
            .unwrap_or_else(|| panic!("a schema location for {what}"));
        let table = schema.pointer(pointer).expect("the schema has the table");
        let described: BTreeSet<&str> = table["properties"]
            .as_object()
            .expect("the table lists its properties")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(parser, described, "keys of {what}");
        assert_eq!(
            table["additionalProperties"],
            Value::Bool(false),
            "{what} admits no other keys"
        );
        seen.insert(what.to_string());
    }
    let all: BTreeSet<String> = TABLES.iter().map(|(w, _)| w.to_string()).collect();
    assert_eq!(seen, all, "every table was checked");
}

// --- The bundled policies satisfy it --------------------------------------------------------

fn toml_file_as_json(path: &str) -> Value {
    let text = std::fs::read_to_string(path).expect("the file");
    let value: toml::Value = toml::from_str(&text).expect("TOML");
    serde_json::to_value(value).expect("JSON")
}

#[test]
fn the_bundled_policies_and_fixtures_are_valid() {
    let schema = aftercare::schema::policy();
    for path in [
        "policies/default.toml",
        "policies/calendars/cn.toml",
        "tests/fixtures/lifecycle.toml",
        "tests/fixtures/lints.toml",
        "tests/fixtures/diff/old.toml",
        "tests/fixtures/diff/new.toml",
    ] {
        let errors = validate(&schema, &toml_file_as_json(path));
        assert!(errors.is_empty(), "{path}:\n{}", errors.join("\n"));
    }
}

#[test]
fn the_schema_rejects_what_the_parser_rejects() {
    let schema = aftercare::schema::policy();
    for (toml, why) in [
        ("[policy]\nnmae = \"x\"", "a misspelt key"),
        (
            "[sla.targets.high]\nfirst_response = \"4 hours\"",
            "a bad duration",
        ),
        (
            "[[escalations]]\nmetric = \"resolved\"\nat = \"80%\"\nnotify = [\"a\"]",
            "an unknown metric",
        ),
        (
            "[[escalations]]\nmetric = \"resolution\"\nat = \"80\"\nnotify = [\"a\"]",
            "a step without %",
        ),
        (
            "[[categories]]\nid = \"x\"\nwhen = { kind = { contains_all = [\"a\"] } }",
            "an unknown operator",
        ),
        (
            "[[categories]]\nid = \"x\"\nwhen = { colour = \"red\" }",
            "an unknown field",
        ),
        (
            "[[routes]]\nid = \"x\"\ndefault = true",
            "a route without a department",
        ),
        (
            "[calendars.c]\ntimezone = \"UTC\"\nweek = { mon = [\"9-17\"] }",
            "a bad window",
        ),
        (
            "[follow_up]\nwithin = \"1bd\"\nunsatisfied_at_or_below = 6",
            "a score past 5",
        ),
    ] {
        let value: toml::Value = toml::from_str(toml).expect("TOML");
        let value = serde_json::to_value(value).expect("JSON");
        assert!(!validate(&schema, &value).is_empty(), "{why} passes");
    }
}

#[test]
fn a_cases_file_is_valid() {
    let cases = r#"
policy = "../default.toml"

[[case]]
name = "safety hazard is urgent and goes to the technical department"
now = "2024-05-01T12:00:00+08:00"
ticket = { id = "T1", created_at = "2024-05-01T09:00:00+08:00", channel = "phone",
           description = "热水器漏电,有安全隐患", attributes = { safety_hazard = true },
           events = [ { at = "2024-05-01T10:00:00+08:00", type = "first_response" } ] }
[case.expect]
category = "fault"
priority = "urgent"
"route.department" = "after_sales_tech"
"sla.first_response.due" = "2024-05-01T11:00:00+08:00"
"sla.first_response.status" = "met"

[[case]]
name = "a ticket without created_at is rejected"
now = "2024-05-01T12:00:00+08:00"
ticket = { id = "T2" }
expect = { error = "created_at" }
"#;
    let value: toml::Value = toml::from_str(cases).expect("TOML");
    let value = serde_json::to_value(value).expect("JSON");
    let schema = aftercare::schema::cases();
    let errors = validate(&schema, &value);
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    let bad = cases.replace("\"route.department\"", "\"routing.department\"");
    let value =
        serde_json::to_value(toml::from_str::<toml::Value>(&bad).expect("TOML")).expect("JSON");
    assert!(!validate(&schema, &value).is_empty());
}

// --- A small strict validator -----------------------------------------------------------------
//
// Full JSON Schema validators bring dozens of crates (URL and IDNA handling among them) into
// the build; the generated schemas use a handful of draft-7 keywords, checked here. Any other
// keyword fails the test, so a schema change cannot slip past unchecked.

/// Every problem, as `pointer: message` (also used on the OpenAPI document's schemas in
/// tests/server.rs).
pub(crate) fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, value, "", &mut errors);
    errors
}

const IGNORED: [&str; 7] = [
    "$schema",
    "title",
    "description",
    "definitions",
    "format",
    "default",
    "x-taplo",
];

fn check(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let map = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            errors.push(format!("{at}: not allowed"));
            return;
        }
        Value::Object(map) => map,
        other => panic!("not a schema: {other}"),
    };
    let mut fail = |m: String| errors.push(format!("{at}: {m}"));
    let mut nested = Vec::new();
    for (key, arg) in map {
        match key.as_str() {
            k if IGNORED.contains(&k) => {}
            "$ref" => {
                let pointer = arg
                    .as_str()
                    .and_then(|r| r.strip_prefix('#'))
                    .expect("a local $ref");
                let target = root.pointer(pointer).expect("the $ref resolves");
                check(root, target, value, at, &mut nested);
            }
            "type" => {
                let types: Vec<&str> = match arg {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("bad type"),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    fail(format!("expected {types:?}, found {value}"));
                }
            }
            "enum" => {
                if !arg.as_array().expect("an enum list").contains(value) {
                    fail(format!("{value} is not one of {arg}"));
                }
            }
            "const" => {
                if arg != value {
                    fail(format!("{value} is not {arg}"));
                }
            }
            "pattern" => {
                if let Some(s) = value.as_str() {
                    let re = regex::Regex::new(arg.as_str().expect("a pattern")).expect("a regex");
                    if !re.is_match(s) {
                        fail(format!("{s:?} does not match {re}"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(n), Some(limit)) = (value.as_f64(), arg.as_f64()) {
                    if (key == "minimum" && n < limit) || (key == "maximum" && n > limit) {
                        fail(format!("{n} is out of range ({key} {limit})"));
                    }
                }
            }
            "minLength" => {
                if let Some(s) = value.as_str() {
                    if (s.chars().count() as u64) < arg.as_u64().expect("a length") {
                        fail("too short".into());
                    }
                }
            }
            "minItems" => {
                if let Some(a) = value.as_array() {
                    if (a.len() as u64) < arg.as_u64().expect("a count") {
                        fail("too few items".into());
                    }
                }
            }
            "minProperties" => {
                if let Some(o) = value.as_object() {
                    if (o.len() as u64) < arg.as_u64().expect("a count") {
                        fail("too few keys".into());
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        check(root, arg, item, &format!("{at}/{i}"), &mut nested);
                    }
                }
            }
            "required" => {
                if let Some(o) = value.as_object() {
                    for r in arg
                        .as_array()
                        .expect("a list")
                        .iter()
                        .filter_map(Value::as_str)
                    {
                        if !o.contains_key(r) {
                            fail(format!("`{r}` is required"));
                        }
                    }
                }
            }
            "properties" | "patternProperties" | "additionalProperties" | "propertyNames" => {
                // Checked together below.
            }
            "anyOf" | "oneOf" | "allOf" => {
                let results: Vec<Vec<String>> = arg
                    .as_array()
                    .expect("a list of schemas")
                    .iter()
                    .map(|s| {
                        let mut e = Vec::new();
                        check(root, s, value, at, &mut e);
                        e
                    })
                    .collect();
                let passed = results.iter().filter(|e| e.is_empty()).count();
                let ok = match key.as_str() {
                    "anyOf" => passed >= 1,
                    "oneOf" => passed == 1,
                    _ => passed == results.len(),
                };
                if !ok {
                    let detail: Vec<String> = results.into_iter().flatten().collect();
                    fail(format!("{key} failed: {}", detail.join("; ")));
                }
            }
            other => panic!("the validator does not know the keyword `{other}`"),
        }
    }
    if let Some(object) = value.as_object() {
        let properties = map.get("properties").and_then(Value::as_object);
        let patterns = map.get("patternProperties").and_then(Value::as_object);
        for (k, v) in object {
            let here = format!("{at}/{k}");
            if let Some(names) = map.get("propertyNames") {
                check(root, names, &Value::String(k.clone()), &here, &mut nested);
            }
            let mut matched = false;
            if let Some(s) = properties.and_then(|p| p.get(k)) {
                check(root, s, v, &here, &mut nested);
                matched = true;
            }
            for (pattern, s) in patterns.into_iter().flatten() {
                if regex::Regex::new(pattern).expect("a regex").is_match(k) {
                    check(root, s, v, &here, &mut nested);
                    matched = true;
                }
            }
            if !matched {
                if let Some(extra) = map.get("additionalProperties") {
                    check(root, extra, v, &here, &mut nested);
                }
            }
        }
    }
    errors.extend(nested);
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "null" => value.is_null(),
        other => panic!("unknown type {other}"),
    }
}
