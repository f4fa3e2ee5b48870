//! Text models in policies (issue 19, contract §7): `[models.NAME]`, `model.NAME` conditions,
//! `labels` in decisions, and the load diagnostics for bad model files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aftercare::text::{train, Example, TrainOptions};
use aftercare::{Policy, PolicyError};

use crate::support::{decide, now, ticket};

/// A fresh folder for one test.
fn folder() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "aftercare-models-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("models")).unwrap();
    dir
}

/// A small model that tells damage from returns.
fn model_bytes() -> Vec<u8> {
    let examples: Vec<Example> = [
        ("屏幕碎了", "damage"),
        ("外壳有裂痕", "damage"),
        ("箱子压坏了", "damage"),
        ("我要退货", "return"),
        ("申请退款退货", "return"),
        ("七天无理由退货", "return"),
    ]
    .into_iter()
    .map(|(t, l)| Example::new(t, l))
    .collect();
    let opts = TrainOptions {
        min_examples: 2,
        min_df: 1,
        ..TrainOptions::default()
    };
    train(&examples, "kind", &opts, &mut |_| {})
        .unwrap()
        .to_bytes()
}

fn policy_toml(models: &str, category_when: &str) -> String {
    format!(
        r#"[policy]
name = "models"
version = "1"
calendar = "always"
{models}

[calendars.always]
timezone = "Asia/Shanghai"
week = {{ mon = ["00:00-24:00"], tue = ["00:00-24:00"] }}

[[categories]]
id = "return_exchange"
when = {category_when}

[[categories]]
id = "other"
default = true

[priorities]
order = ["urgent", "low"]
default = "low"

[[priority_rules]]
id = "sure-damage"
priority = "urgent"
when = {{ "model.kind" = {{ in = ["damage"] }}, "model.kind.confidence" = {{ gte = 0.5 }} }}

[[routes]]
id = "desk"
default = true
department = "desk"

[departments.desk]

[sla.targets.urgent]
first_response = "1h"
resolution = "8h"

[sla.targets.low]
first_response = "8h"
resolution = "5bd"
"#
    )
}

const MODELS: &str = "[models.kind]\npath = \"models/kind.model\"";
const WHEN: &str = r#"{ "model.kind" = "return" }"#;

fn load(dir: &Path, toml: &str) -> Result<Policy, PolicyError> {
    let file = dir.join("policy.toml");
    std::fs::write(&file, toml).unwrap();
    Policy::from_path(&file)
}

fn with_model(toml: &str) -> (PathBuf, Result<Policy, PolicyError>) {
    let dir = folder();
    std::fs::write(dir.join("models/kind.model"), model_bytes()).unwrap();
    let r = load(&dir, toml);
    (dir, r)
}

fn text_ticket(text: &str) -> aftercare::Ticket {
    ticket(&format!(
        r#"{{"id": "T1", "created_at": "2025-11-03T10:00:00+08:00", "description": "{text}"}}"#
    ))
}

fn error_of(r: Result<Policy, PolicyError>) -> String {
    match r {
        Ok(_) => panic!("the policy loaded"),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| {
                format!(
                    "{}:{}: {} | {}",
                    d.line,
                    d.column,
                    d.message,
                    d.hint.clone().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn conditions_read_the_models_label_and_confidence() {
    let (dir, p) = with_model(&policy_toml(MODELS, WHEN));
    let p = p.unwrap();
    let d = decide(&p, &text_ticket("我想退货"), now());
    assert_eq!(&*d.category, "return_exchange");
    assert_eq!(&*d.priority, "low");
    let l = d.labels.get("kind").unwrap();
    assert_eq!(&*l.label, "return");
    assert!(l.confidence > 0.5 && l.confidence <= 1.0);

    let d = decide(&p, &text_ticket("屏幕碎了"), now());
    assert_eq!(&*d.category, "other");
    assert_eq!(&*d.priority, "urgent");
    assert_eq!(&*d.labels.get("kind").unwrap().label, "damage");
    // The trace names the label, its confidence and the terms.
    let line = d
        .trace
        .iter()
        .map(ToString::to_string)
        .find(|l| l.starts_with("model kind: damage (confidence 0."))
        .unwrap_or_else(|| panic!("{:?}", d.trace));
    assert!(line.contains("for: "), "{line}");
    // The model file is one of the files loading read (for `watch`).
    assert!(p.files().iter().any(|f| f.ends_with("models/kind.model")));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_string_operator_works_on_labels() {
    for when in [
        r#"{ "model.kind" = { not = "damage" } }"#,
        r#"{ "model.kind" = { contains_any = ["RET"] } }"#,
        r#"{ "model.kind" = { matches = "^re" } }"#,
        r#"{ "model.kind" = { eq = "return" }, "model.kind.confidence" = { gt = 0.5, lte = 1 } }"#,
        r#"{ not = { "model.kind" = "damage" } }"#,
    ] {
        let (dir, p) = with_model(&policy_toml(MODELS, when));
        let p = p.unwrap_or_else(|e| panic!("{when}: {e}"));
        let d = decide(&p, &text_ticket("申请退货"), now());
        assert_eq!(&*d.category, "return_exchange", "{when}");
        let d = decide(&p, &text_ticket("屏幕碎了"), now());
        assert_eq!(&*d.category, "other", "{when}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn decisions_carry_labels_in_json_only_with_models() {
    let (dir, p) = with_model(&policy_toml(MODELS, WHEN));
    let json = serde_json::to_value(decide(&p.unwrap(), &text_ticket("我想退货"), now())).unwrap();
    assert_eq!(json["labels"]["kind"]["label"], "return");
    assert!(json["labels"]["kind"]["confidence"].as_f64().unwrap() > 0.5);
    let _ = std::fs::remove_dir_all(dir);

    let toml = policy_toml("", r#"{ kind = "return" }"#).replace(
        r#"when = { "model.kind" = { in = ["damage"] }, "model.kind.confidence" = { gte = 0.5 } }"#,
        r#"when = { kind = "damage" }"#,
    );
    let plain = load(&folder(), &toml).unwrap();
    let json = serde_json::to_value(decide(&plain, &text_ticket("我想退货"), now())).unwrap();
    assert!(json.get("labels").is_none(), "{json}");
}

#[test]
fn a_missing_model_file_is_a_diagnostic_at_its_path() {
    let dir = folder();
    let e = error_of(load(&dir, &policy_toml(MODELS, WHEN)));
    assert!(
        e.contains("6:8: model `kind`: model file `models/kind.model` does not exist"),
        "{e}"
    );
    // Nothing more: conditions on the model that did not load are not reported again.
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("relative to the policy file"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn truncated_damaged_and_foreign_files_are_diagnostics() {
    let bytes = model_bytes();
    for (content, says) in [
        (bytes[..bytes.len() / 2].to_vec(), "truncated"),
        (
            b"hello, not a model".to_vec(),
            "not an aftercare model file",
        ),
    ] {
        let dir = folder();
        std::fs::write(dir.join("models/kind.model"), content).unwrap();
        let e = error_of(load(&dir, &policy_toml(MODELS, WHEN)));
        assert!(e.contains(says), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn model_files_outside_the_policys_folder_are_refused() {
    let outside = folder();
    std::fs::write(outside.join("kind.model"), model_bytes()).unwrap();
    let dir = folder();
    let rel = format!(
        "../{}/kind.model",
        outside.file_name().unwrap().to_str().unwrap()
    );
    let models = format!("[models.kind]\npath = \"{rel}\"");
    let e = error_of(load(&dir, &policy_toml(&models, WHEN)));
    assert!(e.contains("outside the policy's folder"), "{e}");
    #[cfg(unix)]
    {
        // A symbolic link inside the folder that points outside is refused as well.
        std::os::unix::fs::symlink(outside.join("kind.model"), dir.join("models/kind.model"))
            .unwrap();
        let e = error_of(load(&dir, &policy_toml(MODELS, WHEN)));
        assert!(e.contains("outside the policy's folder"), "{e}");
    }
    // A folder is not a model file.
    std::fs::create_dir_all(dir.join("models/dir.model")).unwrap();
    let models = "[models.kind]\npath = \"models/dir.model\"";
    let e = error_of(load(&dir, &policy_toml(models, WHEN)));
    assert!(e.contains("is not a regular file"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(outside);
}

#[test]
fn unknown_models_labels_and_keys_are_diagnostics() {
    let (dir, r) = with_model(&policy_toml(MODELS, r#"{ "model.knid" = "return" }"#));
    let e = error_of(r);
    assert!(
        e.contains("unknown model `knid`") && e.contains("did you mean `kind`?"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(dir);

    // A label the model does not have is a warning (the model may be retrained with it).
    let (dir, r) = with_model(&policy_toml(MODELS, r#"{ "model.kind" = "retrun" }"#));
    let p = r.unwrap();
    let w: Vec<String> = p
        .warnings()
        .iter()
        .map(|d| {
            format!(
                "{} {} | {}",
                d.code,
                d.message,
                d.hint.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        w.iter().any(|w| w
            .starts_with("unknown-label label `retrun` is not one of model `kind`'s labels")
            && w.contains("did you mean `return`?")),
        "{w:?}"
    );
    let _ = std::fs::remove_dir_all(dir);

    let (dir, r) = with_model(&policy_toml(
        "[models.kind]\npaht = \"models/kind.model\"",
        WHEN,
    ));
    let e = error_of(r);
    assert!(e.contains("paht"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn diff_counts_changed_labels_only_when_a_policy_has_models() {
    let (dir, p) = with_model(&policy_toml(MODELS, WHEN));
    let with = p.unwrap();
    let plain_toml = policy_toml("", r#"{ kind = "return" }"#).replace(
        r#"when = { "model.kind" = { in = ["damage"] }, "model.kind.confidence" = { gte = 0.5 } }"#,
        r#"when = { kind = "damage" }"#,
    );
    let plain = load(&folder(), &plain_toml).unwrap();
    let tickets = [text_ticket("我想退货")];
    // Adding a model gives every ticket a label: each counts as changed.
    let r = aftercare::diff::diff(&plain, &with, &tickets, now());
    assert_eq!(r.changed.labels, Some(1));
    // The same models, the same labels.
    let r = aftercare::diff::diff(&with, &with, &tickets, now());
    assert_eq!(r.changed.labels, Some(0));
    // No models on either side: nothing to count, and the JSON is as before.
    let r = aftercare::diff::diff(&plain, &plain, &tickets, now());
    assert_eq!(r.changed.labels, None);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["changed"].get("labels").is_none(), "{json}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The CFPB worked example (examples/policies/cfpb_model) on its synthetic fixture: a model
/// trained on `fixture/train.jsonl` routes the fixture's held-out tickets by product.
#[test]
fn the_cfpb_worked_example_routes_its_fixture_by_the_model() {
    let example = crate::support::root().join("examples/policies/cfpb_model");
    let read = |name: &str| -> Vec<aftercare::Ticket> {
        std::fs::read_to_string(example.join("fixture").join(name))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| aftercare::Ticket::from_json(l).unwrap())
            .collect()
    };
    let (examples, skipped) = aftercare::text::examples(&read("train.jsonl"), "attributes.product")
        .expect("labels readable");
    assert_eq!(skipped, 0);
    let opts = TrainOptions {
        min_examples: 2,
        min_df: 1,
        ..TrainOptions::default()
    };
    let model = train(&examples, "attributes.product", &opts, &mut |_| {}).unwrap();
    let dir = folder();
    std::fs::write(dir.join("models/product.model"), model.to_bytes()).unwrap();
    std::fs::copy(example.join("policy.toml"), dir.join("policy.toml")).unwrap();
    let policy = Policy::from_path(dir.join("policy.toml")).unwrap_or_else(|e| panic!("{e}"));
    let family = |product: &str| {
        match product {
            "credit_card" | "bank_account" => "cards_and_accounts",
            "loans" | "money_transfer" => "loans_and_transfers",
            other => other,
        }
        .to_string()
    };
    let tickets = read("test.jsonl");
    let mut right = 0;
    for t in &tickets {
        let d = decide(&policy, t, now());
        let Some(aftercare::AttrValue::Str(product)) = t.attributes.get("product") else {
            panic!("{} has no product", t.id);
        };
        assert!(d.labels.get("product").is_some(), "{}", t.id);
        if *d.category == family(product) {
            right += 1;
        }
    }
    // A small synthetic set: most, not necessarily all, are read right.
    assert!(
        right * 4 >= tickets.len() * 3,
        "{right} of {} categorised as labelled",
        tickets.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}
