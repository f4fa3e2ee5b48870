//! The models fixture (`tests/fixtures/models`): its policy and tickets copied into a fresh
//! folder, with the two small models it names trained there (nothing binary is committed).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use aftercare::text::{train, Example, TrainOptions};

/// The fixture's folder in the crate.
pub const FIXTURE: &str = "tests/fixtures/models";

fn model(field: &str, examples: &[(&str, &str)]) -> Vec<u8> {
    let examples: Vec<Example> = examples.iter().map(|(t, l)| Example::new(*t, *l)).collect();
    let opts = TrainOptions {
        min_examples: 2,
        min_df: 1,
        ..TrainOptions::default()
    };
    train(&examples, field, &opts, &mut |_| {})
        .expect("the fixture model trains")
        .to_bytes()
}

/// A fresh copy of the fixture with its models: the folder, holding `policy.toml`,
/// `tickets.jsonl` and `models/`. `edit` may change the policy's text.
pub fn fixture_with(edit: impl Fn(String) -> String) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "aftercare-models-fixture-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("models")).expect("a temporary folder");
    let src = super::root().join(FIXTURE);
    let policy = std::fs::read_to_string(src.join("policy.toml")).expect("the fixture policy");
    std::fs::write(dir.join("policy.toml"), edit(policy)).expect("written");
    std::fs::copy(src.join("tickets.jsonl"), dir.join("tickets.jsonl")).expect("copied");
    let kind = model(
        "kind",
        &[
            ("屏幕碎了", "damage"),
            ("外壳有裂痕", "damage"),
            ("箱子压坏了", "damage"),
            ("我要退货", "return"),
            ("申请退款退货", "return"),
            ("七天无理由退货", "return"),
        ],
    );
    let sentiment = model(
        "attributes.sentiment",
        &[
            ("太差了", "negative"),
            ("非常失望", "negative"),
            ("质量太差，很生气", "negative"),
            ("很满意", "positive"),
            ("谢谢，服务很好", "positive"),
            ("非常满意，好评", "positive"),
        ],
    );
    std::fs::write(dir.join("models/kind.model"), kind).expect("written");
    std::fs::write(dir.join("models/sentiment.model"), sentiment).expect("written");
    dir
}

/// [`fixture_with`] the policy as it is.
pub fn fixture() -> PathBuf {
    fixture_with(|p| p)
}

/// The fixture's policy, loaded from a fresh copy (and that copy's folder).
pub fn policy() -> (aftercare::Policy, PathBuf) {
    let dir = fixture();
    let p = aftercare::Policy::from_path(dir.join("policy.toml"))
        .unwrap_or_else(|e| panic!("the models fixture does not load:\n{e}"));
    (p, dir)
}

/// The fixture's tickets.
pub fn tickets() -> Vec<aftercare::Ticket> {
    std::fs::read_to_string(super::root().join(FIXTURE).join("tickets.jsonl"))
        .expect("the fixture tickets")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(super::ticket)
        .collect()
}

/// Every personal value in the fixture's tickets.
pub const PERSONAL: [&str; 6] = [
    "王丽娟",
    "13800138000",
    "李明",
    "ORD-778812",
    "SN-99812",
    "778812",
];
