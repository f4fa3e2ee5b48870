//! The default policy without its text models, for benches that compare the two.

use aftercare::Policy;

/// The default policy with its `[models]` and every `model.` condition taken out: the same
/// rules for a ticket with a `kind`, and nothing for the models to do.
pub fn default_without_models() -> Policy {
    let text = std::fs::read_to_string("policies/default.toml").expect("readable");
    let mut out = String::new();
    let mut skip = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("[models.") {
            skip = true;
            continue;
        }
        if skip && (t.starts_with("path") || t.is_empty()) {
            continue;
        }
        skip = false;
        out.push_str(line);
        out.push('\n');
    }
    // Each `"model.…" = value` condition, wherever it stands (a line of its own or inside an
    // inline table); the inline tables may then end with a comma, which TOML 1.1 allows.
    let condition = regex::Regex::new(r#""model\.[a-z_.]+"\s*=\s*(\{[^{}]*\}|"[^"]*")\s*,?"#)
        .expect("a valid pattern");
    let out = condition.replace_all(&out, "");
    assert!(!out.contains("model."), "every model condition is gone");
    Policy::from_toml_in("default-without-models.toml", &out, "policies".as_ref()).expect("valid")
}
