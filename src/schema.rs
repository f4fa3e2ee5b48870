//! JSON Schemas of the policy and test-case formats, for editors that read JSON Schema (Taplo,
//! Even Better TOML): completion, hover documentation and validation as you type.
//!
//! The policy parser is a hand-written walker that keeps positions for diagnostics, not a serde
//! model, so the formats are described here by types that mirror them, and the schemas are
//! generated from these types. The committed files in `schema/` are checked against them by
//! `cargo test --test main schema::` (which also checks that these types and the parser accept the
//! same keys); `AFTERCARE_BLESS=1 cargo test --test schema` rewrites the files.
//!
//! Only built with the `schema` feature: a library user does not pay for it.
//!
//! The schemas describe the shape of a file, not everything the loader checks: references
//! between names, overlapping windows and the like are still `aftercare check`'s job. No key is
//! required at the top of a policy file, because a file may be one that another `include`s.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

/// The JSON Schema of a policy file (draft 7, which editors support most widely).
pub fn policy() -> serde_json::Value {
    generate::<PolicyFile>()
}

/// The JSON Schema of a policy test-case file (draft 7).
pub fn cases() -> serde_json::Value {
    generate::<CasesFile>()
}

fn generate<T: JsonSchema>() -> serde_json::Value {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    tidy(&mut value);
    value
}

/// Shapes the generated schema for TOML editors:
/// - descriptions are unwrapped into paragraphs;
/// - TOML has no null: an optional key is simply absent, so "or null" is taken out;
/// - a choice of documented strings becomes an `enum` (what editors complete), its values'
///   documentation kept where Taplo shows it (`x-taplo.docs.enumValues`).
fn tidy(v: &mut serde_json::Value) {
    use serde_json::{json, Value};
    let Value::Object(map) = v else {
        if let Value::Array(items) = v {
            items.iter_mut().for_each(tidy);
        }
        return;
    };
    // Doc comments wrap at 100 columns; editors reflow text themselves.
    if let Some(Value::String(doc)) = map.get_mut("description") {
        *doc = doc
            .split("\n\n")
            .map(|p| p.replace('\n', " "))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if let [one] = types.as_slice() {
            let one = one.clone();
            map.insert("type".into(), one);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(options)) = map.get_mut(key) else {
            continue;
        };
        options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
        let consts: Option<Vec<(Value, Value)>> = options
            .iter()
            .map(|o| {
                let c = o.get("const")?;
                c.is_string().then(|| {
                    let doc = o.get("description").cloned().unwrap_or(Value::Null);
                    (c.clone(), doc)
                })
            })
            .collect();
        if let Some(consts) = consts.filter(|c| !c.is_empty()) {
            let (values, docs): (Vec<Value>, Vec<Value>) = consts.into_iter().unzip();
            map.remove(key);
            map.insert("type".into(), json!("string"));
            map.insert("enum".into(), Value::Array(values));
            map.insert("x-taplo".into(), json!({ "docs": { "enumValues": docs } }));
        } else if options.len() == 1 {
            // One option left: "all of" it, which keeps the description beside the reference.
            if let Some(only) = map.remove(key) {
                map.insert("allOf".into(), only);
            }
        }
    }
    map.values_mut().for_each(tidy);
}

// --- Policy -------------------------------------------------------------------------------

/// An aftercare policy: how after-sales tickets are classified, prioritised and routed, and
/// their SLA clocks. A file may also be one that a policy includes; `aftercare check` tells
/// what a whole policy is missing.
#[derive(JsonSchema)]
#[schemars(title = "aftercare policy", deny_unknown_fields)]
#[allow(dead_code)] // describes a format: read by the schema generator only
struct PolicyFile {
    /// Other files, relative to this one, merged before it (e.g. a yearly holiday calendar).
    include: Option<OneOrMany<String>>,
    /// The policy's name and version; both appear in every decision.
    policy: Option<Meta>,
    /// Ticket limits for this policy, within the library's hard ceilings.
    limits: Option<PolicyLimits>,
    /// Text models by name, trained with `aftercare train`; conditions read `model.NAME` (the
    /// label) and `model.NAME.confidence` (0..1), and every decision carries their labels.
    models: Option<BTreeMap<String, ModelFile>>,
    /// Business calendars by name: opening hours, holidays, make-up working days.
    calendars: Option<BTreeMap<String, Calendar>>,
    /// Categories, tried in file order: the first whose `when` matches wins. Exactly one has
    /// `default = true`.
    categories: Option<Vec<Category>>,
    /// The priority levels and the default one.
    priorities: Option<Priorities>,
    /// Priority rules, tried in file order: the first whose `when` matches wins.
    priority_rules: Option<Vec<PriorityRule>>,
    /// Routes, tried in file order: the first whose `when` matches decides the department.
    /// Exactly one has `default = true`.
    routes: Option<Vec<Route>>,
    /// Departments by id.
    departments: Option<BTreeMap<String, Department>>,
    /// SLA clocks: the calendar they count on, pauses, and targets per priority.
    sla: Option<Sla>,
    /// Escalation steps: who is alerted when a share of a target is used up.
    escalations: Option<Vec<Escalation>>,
    /// The satisfaction visit after resolution.
    follow_up: Option<FollowUp>,
    /// Rhai script hooks that may change what the rules decided.
    scripts: Option<Scripts>,
}

/// `[limits]`: ticket limits that replace the loader's defaults.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct PolicyLimits {
    /// Largest ticket, in bytes of JSON (1 to 16 777 216).
    #[schemars(range(min = 1, max = 16_777_216))]
    max_ticket_bytes: Option<u64>,
    /// Most events in one ticket (1 to 100 000).
    #[schemars(range(min = 1, max = 100_000))]
    max_events: Option<u64>,
    /// Longest subject or description, in bytes (1 to 4 194 304).
    #[schemars(range(min = 1, max = 4_194_304))]
    max_text_bytes: Option<u64>,
}

/// `[policy]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Meta {
    /// The policy's name, e.g. "after-sales default".
    name: String,
    /// The policy's version, e.g. "2025.10".
    version: Option<String>,
    /// The default calendar for business time (a name under `[calendars]`).
    calendar: Option<String>,
    /// Free text for people.
    description: Option<String>,
    /// Lints this policy accepts, by code (e.g. "unreachable-rule"): their warnings are not
    /// reported.
    allow: Option<Vec<LintCode>>,
    /// The custom ticket fields the rules may read, e.g. "customer.vip_level",
    /// "attributes.safety_hazard"; with it, a rule reading another custom field is warned about.
    fields: Option<Vec<String>>,
    /// The custom statuses tickets use, e.g. "waiting_parts"; with it, a pause status that is
    /// neither built in nor listed is warned about.
    statuses: Option<Vec<String>>,
    /// The language of reports and explanations: "en" (the default) or "zh-CN".
    locale: Option<Locale>,
}

/// A language of reports and explanations.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

/// The code of a lint.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(rename_all = "kebab-case")]
enum LintCode {
    UnreachableRule,
    DuplicateId,
    CategoryWithoutRoute,
    PriorityNeverGiven,
    DepartmentNeverRouted,
    EscalationOrder,
    ScriptNotAHook,
    ScriptNoHook,
    UndeclaredField,
    UndeclaredStatus,
    ZeroTarget,
    UnknownLabel,
}

/// A business calendar: a time zone and the open windows of each day.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Calendar {
    /// An IANA time zone, e.g. "Asia/Shanghai".
    timezone: String,
    /// Open windows per weekday; an absent day is closed.
    week: Option<Week>,
    /// Dates closed all day (YYYY-MM-DD).
    holidays: Option<Vec<Date>>,
    /// Make-up working days (调休, YYYY-MM-DD), open with `workday_hours`.
    workdays: Option<Vec<Date>>,
    /// The windows of a make-up working day; default: Monday's.
    workday_hours: Option<OneOrMany<Window>>,
    /// Open around the clock (then `week` is not needed).
    always_open: Option<bool>,
    /// Free text for people.
    label: Option<String>,
}

/// Open windows per weekday.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Week {
    /// Monday.
    mon: Option<OneOrMany<Window>>,
    /// Tuesday.
    tue: Option<OneOrMany<Window>>,
    /// Wednesday.
    wed: Option<OneOrMany<Window>>,
    /// Thursday.
    thu: Option<OneOrMany<Window>>,
    /// Friday.
    fri: Option<OneOrMany<Window>>,
    /// Saturday.
    sat: Option<OneOrMany<Window>>,
    /// Sunday.
    sun: Option<OneOrMany<Window>>,
}

/// A category rule.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Category {
    /// The category's id, as it appears in decisions (letters, digits, `_`, `-`).
    id: Id,
    /// Free text for people, e.g. "投诉类".
    label: Option<String>,
    /// When a ticket is of this category.
    when: Option<Condition>,
    /// The category of tickets no rule matches (exactly one category).
    default: Option<bool>,
}

/// `[priorities]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Priorities {
    /// The priority levels, most urgent first.
    order: OneOrMany<Id>,
    /// The priority of tickets no priority rule matches.
    default: Id,
    /// Labels for people, by priority.
    labels: Option<BTreeMap<String, String>>,
}

/// A priority rule.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct PriorityRule {
    /// The rule's id, named in traces and decisions.
    id: Id,
    /// The priority it gives (one of `[priorities] order`).
    priority: Id,
    /// When it applies; may test `category`.
    when: Condition,
    /// Free text for people.
    label: Option<String>,
}

/// A route rule.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Route {
    /// The rule's id, named in traces and decisions.
    id: Id,
    /// When it applies; may test `category` and `priority`.
    when: Option<Condition>,
    /// The route of tickets no other route takes (exactly one route).
    default: Option<bool>,
    /// The department (an id under `[departments]`).
    department: Id,
    /// The team within the department.
    team: Option<String>,
    /// A named owner.
    assignee: Option<String>,
    /// This route's SLA clocks count on this calendar instead of the SLA calendar.
    calendar: Option<String>,
    /// Free text for people.
    label: Option<String>,
}

/// A department.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Department {
    /// Free text for people, e.g. "售后技术部".
    label: Option<String>,
    /// Who `supervisor` means in escalations.
    supervisor: Option<String>,
}

/// `[sla]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Sla {
    /// The calendar SLA clocks count on; default: `[policy] calendar`.
    calendar: Option<String>,
    /// Statuses that pause the resolution clock, e.g. "waiting_customer".
    pause_statuses: Option<OneOrMany<String>>,
    /// What a reopened ticket's resolution clock gets.
    on_reopen: Option<OnReopen>,
    /// Where the new priority's targets count from when an agent changes the priority.
    on_priority_change: Option<OnPriorityChange>,
    /// Targets per priority; every priority needs them.
    targets: Option<BTreeMap<String, Targets>>,
}

/// SLA targets of one priority.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Targets {
    /// Created → first response.
    first_response: Option<Duration>,
    /// Created (or reopened) → resolved, pauses excluded.
    resolution: Option<Duration>,
    /// The longest wait for an agent update.
    next_response: Option<Duration>,
    /// Overrides `[sla] on_reopen` for this priority.
    on_reopen: Option<OnReopen>,
}

/// What a reopened ticket's resolution clock gets.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum OnReopen {
    /// A new cycle with the full target.
    Restart,
    /// What earlier cycles left of the target.
    Continue,
}

/// Where the new priority's targets count from when an agent changes the priority.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum OnPriorityChange {
    /// From the clock's start, as if the ticket always had the new priority (the default).
    FromCreation,
    /// From the change, on top of the business time already used.
    FromChange,
}

/// An escalation step.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Escalation {
    /// A name for people.
    id: Option<String>,
    /// The clock it watches.
    metric: Metric,
    /// When it fires: a share of the target in business time, optionally plus a duration,
    /// e.g. "80%", "100%", "100%+4h".
    at: Step,
    /// Who to tell: "assignee", "supervisor" (the department's), or named roles.
    notify: OneOrMany<String>,
    /// Only for tickets that meet this condition; may test `category` and `priority`.
    when: Option<Condition>,
}

/// An SLA metric.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum Metric {
    /// Created → first response.
    FirstResponse,
    /// Created (or reopened) → resolved.
    Resolution,
    /// The wait for an agent update.
    NextResponse,
    /// Resolved → satisfaction visit.
    FollowUp,
}

/// `[follow_up]`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct FollowUp {
    /// How soon after `resolved` the visit is due (business time of the SLA calendar).
    within: Duration,
    /// A score (1–5) at or below this sends the ticket back for second handling; 0 never does.
    #[schemars(range(min = 0, max = 5))]
    unsatisfied_at_or_below: Option<u8>,
}

/// `[models.NAME]`: a text model file.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct ModelFile {
    /// The model file, relative to the policy file and inside the policy's folder.
    path: String,
}

/// `[scripts]`: Rhai hooks `classify`, `prioritise`, `route`, `targets`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Scripts {
    /// The script file, relative to the policy file.
    path: String,
    /// What a failing hook does: "fail" the ticket, or "fallback" to the rules' result.
    on_script_error: Option<OnScriptError>,
    /// Sandbox limit: operations per hook call.
    #[schemars(range(min = 1))]
    max_operations: Option<u64>,
    /// Sandbox limit: nested function calls.
    #[schemars(range(min = 1))]
    max_call_depth: Option<u64>,
    /// Sandbox limit: expression nesting.
    #[schemars(range(min = 1))]
    max_expr_depth: Option<u64>,
    /// Sandbox limit: characters in a string.
    #[schemars(range(min = 1))]
    max_string_size: Option<u64>,
    /// Sandbox limit: items in an array.
    #[schemars(range(min = 1))]
    max_array_size: Option<u64>,
    /// Sandbox limit: entries in a map.
    #[schemars(range(min = 1))]
    max_map_size: Option<u64>,
    /// Sandbox limit: wall-clock milliseconds one hook call may run before it is stopped (a
    /// fuse against runaway scripts; decisions never depend on it).
    #[schemars(range(min = 1))]
    max_time_ms: Option<u64>,
    /// Personal fields the scripts may read (they are hidden otherwise).
    expose: Option<OneOrMany<PersonalField>>,
    /// Free text for people.
    label: Option<String>,
}

/// What a failing script hook does.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum OnScriptError {
    /// The ticket gets an error.
    Fail,
    /// Keep the declarative result and note the error in the trace.
    Fallback,
}

/// A personal field of a ticket.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum PersonalField {
    /// The customer's name.
    #[schemars(rename = "customer.name")]
    CustomerName,
    /// The customer's phone or address.
    #[schemars(rename = "customer.contact")]
    CustomerContact,
    /// The order number.
    #[schemars(rename = "product.order_no")]
    OrderNo,
    /// The serial number.
    #[schemars(rename = "product.serial_no")]
    SerialNo,
}

// --- Values with a syntax of their own ------------------------------------------------------

/// One value, or an array of them.
#[derive(JsonSchema)]
#[schemars(untagged, rename = "OneOrMany_{T}")]
#[allow(dead_code)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// A string schema with a pattern, defined once and referenced.
macro_rules! pattern_type {
    ($name:ident, $pattern:expr, $doc:expr) => {
        #[doc = $doc]
        struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "pattern": $pattern, "description": $doc })
            }
        }
    };
}

pattern_type!(
    Id,
    "^[\\p{L}\\p{N}_-]+$",
    "An id: letters, digits, `_` and `-`."
);
pattern_type!(Date, "^\\d{4}-\\d{2}-\\d{2}$", "A date, YYYY-MM-DD.");
pattern_type!(
    Window,
    "^\\s*\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}\\s*$",
    "An open window, HH:MM-HH:MM; it may end at 24:00."
);
pattern_type!(
    Duration,
    "^\\s*(\\d+bd|\\d+h(\\d+m)?(\\d+s)?|\\d+m(\\d+s)?|\\d+s)(@[A-Za-z0-9_-]+)?\\s*$",
    "Business time: \"90m\", \"2h\", \"1h30m\", \"45s\"; business days: \"3bd\"; on another calendar: \"24h@round_the_clock\"."
);
pattern_type!(
    Step,
    "^\\s*\\d+(\\.\\d+)?\\s*%\\s*(\\+\\s*(\\d+bd|\\d+h(\\d+m)?(\\d+s)?|\\d+m(\\d+s)?|\\d+s)(@[A-Za-z0-9_-]+)?\\s*)?$",
    "A share of the target, optionally plus a duration: \"80%\", \"100%\", \"100%+4h\"."
);
pattern_type!(
    Instant,
    "^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?([Zz]|[+-]\\d{2}:\\d{2})$",
    "An RFC 3339 instant with an offset, e.g. 2025-10-15T12:00:00+08:00."
);

// --- Conditions -----------------------------------------------------------------------------

/// The fields a condition may test directly.
const PLAIN_FIELDS: [(&str, &str); 8] = [
    ("id", "The ticket id."),
    (
        "channel",
        "Intake channel: phone, chat, wechat, email, store, web, …",
    ),
    ("kind", "The caller's own classification."),
    ("subject", "The subject line."),
    ("description", "The problem in the customer's words."),
    ("text", "Subject and description."),
    (
        "category",
        "The category decided earlier (in priority rules, routes and escalations).",
    ),
    (
        "priority",
        "The priority decided earlier (in routes and escalations).",
    ),
];

/// The prefixes of paths into the ticket (`customer.tier`, `attributes.safety_hazard`).
const PREFIXES: [(&str, &str); 3] = [
    (
        "customer",
        "Customer fields: id, tier, region, or custom ones.",
    ),
    ("product", "Product fields: model, or custom ones."),
    ("attributes", "Custom ticket attributes."),
];

/// A `when` condition: a table whose entries must all hold.
struct Condition;

impl JsonSchema for Condition {
    fn schema_name() -> Cow<'static, str> {
        "Condition".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let cond = g.subschema_for::<Condition>();
        let value = g.subschema_for::<FieldValue>();
        let mut properties = serde_json::Map::new();
        properties.insert(
            "any".into(),
            json_schema!({ "type": "array", "items": cond, "description": "Any of these conditions." })
                .to_value(),
        );
        properties.insert(
            "all".into(),
            json_schema!({ "type": "array", "items": cond, "description": "All of these conditions." })
                .to_value(),
        );
        properties.insert(
            "not".into(),
            json_schema!({ "allOf": [cond], "description": "This condition does not hold." })
                .to_value(),
        );
        for (name, doc) in PLAIN_FIELDS {
            properties.insert(
                name.into(),
                json_schema!({ "allOf": [value], "description": doc }).to_value(),
            );
        }
        for (name, doc) in PREFIXES {
            properties.insert(
                name.into(),
                json_schema!({
                    "type": "object",
                    "description": doc,
                    "additionalProperties": value,
                    "minProperties": 1,
                })
                .to_value(),
            );
        }
        json_schema!({
            "type": "object",
            "description": "A condition: a table whose entries must all hold. A key is a field (`kind`, `text`, `customer.tier`, `attributes.<name>`, `model.<name>` (a text model's label), `model.<name>.confidence` (0..1), …) or `any`, `all`, `not`.",
            "properties": properties,
            "patternProperties": {
                "^(customer|product|attributes)\\..+$": value,
                "^model\\.[^.]+(\\.confidence)?$": value,
            },
            "additionalProperties": false,
        })
    }
}

/// What a field is tested for: a value (equal), an array (equal to any), or operators.
struct FieldValue;

impl JsonSchema for FieldValue {
    fn schema_name() -> Cow<'static, str> {
        "FieldValue".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let scalar = g.subschema_for::<Scalar>();
        let value = g.subschema_for::<FieldValue>();
        let number = json_schema!({ "type": "number" }).to_value();
        json_schema!({
            "description": "A value (equal), an array (equal to any), or a table of operators that must all hold.",
            "anyOf": [
                scalar,
                { "type": "array", "items": scalar },
                {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": false,
                    "properties": {
                        "eq": { "allOf": [scalar], "description": "Equal." },
                        "not": { "allOf": [value], "description": "Not this (a missing field matches)." },
                        "in": { "type": "array", "items": scalar, "description": "Equal to any." },
                        "gt": { "allOf": [number], "description": "Greater than." },
                        "gte": { "allOf": [number], "description": "At least." },
                        "lt": { "allOf": [number], "description": "Less than." },
                        "lte": { "allOf": [number], "description": "At most." },
                        "contains": { "type": "string", "minLength": 1, "description": "Contains this text (case-insensitive)." },
                        "contains_any": {
                            "type": "array",
                            "items": { "type": "string", "minLength": 1 },
                            "minItems": 1,
                            "description": "Contains any of these texts (case-insensitive)."
                        },
                        "matches": { "type": "string", "description": "Matches this regular expression (Rust `regex` syntax)." },
                        "exists": { "type": "boolean", "description": "The field is present (true) or absent (false)." }
                    }
                }
            ]
        })
    }
}

/// A value a field is compared with.
struct Scalar;

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

// --- Test cases -----------------------------------------------------------------------------

/// Policy test cases: tickets with a fixed `now` and the parts of the decision they must
/// produce.
#[derive(JsonSchema)]
#[schemars(title = "aftercare policy test cases", deny_unknown_fields)]
#[allow(dead_code)]
struct CasesFile {
    /// The policy, relative to this file; optional when given on the command line.
    policy: Option<String>,
    /// The cases.
    case: Vec<Case>,
}

/// One test case.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Case {
    /// What the case is about.
    name: String,
    /// The instant the ticket is evaluated at.
    now: Instant,
    /// The ticket, in the ticket JSON shape.
    ticket: TicketInput,
    /// Paths into the decision JSON and the values they must hold; only these are compared.
    expect: Expect,
    /// Free text for people.
    note: Option<String>,
}

/// A ticket (contract §1). `id` and `created_at` are not marked required here: a case may
/// check that a ticket without them is rejected.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct TicketInput {
    /// The caller's ticket id (required by aftercare).
    id: Option<TicketId>,
    /// When the ticket was opened, RFC 3339 with an offset (required by aftercare).
    created_at: Option<Instant>,
    /// Intake channel: phone, chat, wechat, email, store, web, …
    channel: Option<String>,
    /// The caller's own classification, if any.
    kind: Option<String>,
    /// Short subject line.
    subject: Option<String>,
    /// The problem in the customer's words.
    description: Option<String>,
    /// The customer: id, tier, region (name and contact are personal data).
    customer: Option<BTreeMap<String, Attribute>>,
    /// The product: model (order_no and serial_no are personal data).
    product: Option<BTreeMap<String, Attribute>>,
    /// Custom fields.
    attributes: Option<BTreeMap<String, Attribute>>,
    /// What happened so far.
    events: Option<Vec<Event>>,
}

/// A ticket id: a string or a number.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum TicketId {
    /// A string id.
    Text(String),
    /// A numeric id.
    Number(u64),
}

/// A custom field: a string, a number, a boolean or an array of strings.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum Attribute {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// Yes or no.
    Flag(bool),
    /// A list of strings.
    List(Vec<String>),
}

/// Something that happened to a ticket.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Event {
    /// When (RFC 3339 with an offset).
    at: Instant,
    /// What.
    #[schemars(rename = "type")]
    kind: EventType,
    /// The new status, for `status` events.
    status: Option<String>,
    /// The satisfaction score, for `follow_up` events.
    #[schemars(range(min = 1, max = 5))]
    score: Option<u8>,
    /// The department an agent assigned the ticket to, for `assigned` events.
    department: Option<String>,
    /// The team within it (one the policy's routes name), for `assigned` events.
    team: Option<String>,
    /// The owner as the agent gives it, for `assigned` events.
    assignee: Option<String>,
    /// The priority an agent set, for `priority` events.
    priority: Option<String>,
    /// The category an agent set, for `category` events.
    category: Option<String>,
    /// Why, for people: checked, never kept or shown.
    reason: Option<String>,
}

/// An event type.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum EventType {
    /// The first answer from an agent.
    FirstResponse,
    /// An agent update.
    Reply,
    /// A status change (with `status`).
    Status,
    /// The problem is solved.
    Resolved,
    /// The customer came back.
    Reopened,
    /// The satisfaction visit (with `score`).
    FollowUp,
    /// An agent assigned (transferred) the ticket (with `department`, optional `team`,
    /// `assignee`).
    Assigned,
    /// An agent set the priority (with `priority`).
    Priority,
    /// An agent set the category (with `category`).
    Category,
}

/// The expected decision fields.
struct Expect;

impl JsonSchema for Expect {
    fn schema_name() -> Cow<'static, str> {
        "Expect".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Paths into the decision JSON (keys and array indexes joined by dots, e.g. \"sla.first_response.due\", \"escalations.0.fired\") and the values they must hold. Instants compare as instants; \"null\" stands for a null or absent value; `error` expects the ticket to be rejected with a message containing it.",
            "minProperties": 1,
            "properties": {
                "error": { "type": "string", "description": "The ticket must be rejected with a message containing this." },
                "category": { "type": "string", "description": "The category." },
                "priority": { "type": "string", "description": "The priority." },
                "status": { "type": "string", "description": "The ticket's status." },
                "route.department": { "type": "string", "description": "The department." },
                "route.team": { "type": "string", "description": "The team." },
            },
            "propertyNames": {
                "pattern": "^(ticket|policy|category|priority|route|rules|status|sla|escalations|follow_up|next_change_at|labels|agents|trace|error)(\\..+)?$"
            }
        })
    }
}
