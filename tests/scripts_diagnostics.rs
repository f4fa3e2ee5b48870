//! A script that cannot run is a load error like any other policy problem: FILE:LINE:COL with
//! a hint, pointing into the script's own file.

use crate::support::scripts;

use aftercare::{Policy, Severity};
use scripts::*;

#[test]
fn syntax_error_points_into_the_script() {
    let err = Policy::from_path("tests/fixtures/scripts/syntax_error/policy.toml").unwrap_err();
    assert_eq!(err.error_count(), 1);
    let d = &err.diagnostics()[0];
    assert_eq!(
        d.file,
        "tests/fixtures/scripts/syntax_error/scripts/vip.rhai"
    );
    insta::assert_snapshot!(
        err.to_string(),
        @"
    tests/fixtures/scripts/syntax_error/scripts/vip.rhai:6:54: error: syntax error: Expecting ';' to terminate this statement
      = hint: add `;` here
    "
    );
    insta::assert_snapshot!(err.render(false), @r#"
    error: syntax error: Expecting ';' to terminate this statement
     --> tests/fixtures/scripts/syntax_error/scripts/vip.rhai:6:54
      |
    6 |         let tier = ticket.customer?.tier ?? "regular"
      |                                                      ^
      |
    help: add `;` here
    "#);
}

#[test]
fn hooks_with_the_wrong_parameters() {
    let err = load_with(
        "",
        &[(
            "scripts/hooks.rhai",
            "fn classify(ticket) { () }\n\nfn prioritise(ticket) { \"urgent\" }\n",
        )],
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.line, d.column), (3, 1));
    assert!(d.file.ends_with("scripts/hooks.rhai"), "{}", d.file);
    assert_eq!(
        d.message,
        "hook `prioritise` takes 2 parameters, this definition has 1"
    );
    assert_eq!(d.text, "fn prioritise(ticket) { \"urgent\" }");
}

#[test]
fn eval_is_not_available() {
    let err = load_with(
        "",
        &[(
            "scripts/hooks.rhai",
            "fn prioritise(ticket, decision) {\n    eval(\"\\\"urgent\\\"\")\n}\n",
        )],
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.line, d.column), (2, 5));
    assert!(d.message.contains("eval"), "{}", d.message);
    assert!(d
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("`eval` is not available"));
}

#[test]
fn undeclared_variables_are_load_errors() {
    let err = load_with(
        "",
        &[(
            "scripts/hooks.rhai",
            "fn prioritise(ticket, decision) {\n    if tikcet.kind == \"fault\" { \"urgent\" }\n}\n",
        )],
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.line, d.column), (2, 8));
    assert_eq!(d.text, "tikcet");
}

#[test]
fn expressions_nest_only_so_deep() {
    let deep = format!(
        "fn prioritise(ticket, decision) {{\n    {}1{}\n}}\n",
        "(".repeat(100),
        ")".repeat(100)
    );
    let err = load_with("", &[("scripts/hooks.rhai", &deep)]).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.line, 2);
    assert!(
        d.hint
            .as_deref()
            .unwrap_or("")
            .contains("max_expr_depth = 64"),
        "{d:?}"
    );
}

#[test]
fn imports_stay_in_the_policy_folder() {
    let err = Policy::from_path("tests/fixtures/scripts/bad_import/policy.toml").unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.file, "tests/fixtures/scripts/bad_import/scripts/vip.rhai");
    assert_eq!((d.line, d.column), (1, 8));
    assert_eq!(
        d.message,
        "cannot import `../../syntax_error/scripts/vip`: it lies outside the policy's folder"
    );

    for path in ["/etc/passwd", "missing"] {
        let script = format!("import \"{path}\" as m;\nfn classify(ticket) {{ () }}\n");
        let err = load_with("", &[("scripts/hooks.rhai", &script)]).unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!((d.line, d.column), (1, 8), "{d:?}");
        assert!(
            d.message.starts_with(&format!("cannot import `{path}`: ")),
            "{}",
            d.message
        );
    }
}

#[test]
fn a_broken_import_is_reported_in_its_own_file() {
    let err = load_with(
        "",
        &[
            (
                "scripts/hooks.rhai",
                "import \"lib/words\" as words;\nfn classify(ticket) { () }\n",
            ),
            (
                "scripts/lib/words.rhai",
                "fn angry(text) {\n  text.contains(\n}\n",
            ),
        ],
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.file, "scripts/lib/words.rhai");
    assert_eq!(d.line, 3);
    assert!(d.message.starts_with("syntax error: "), "{}", d.message);
}

#[test]
fn import_cycles_are_reported() {
    let err = load_with(
        "",
        &[
            (
                "scripts/hooks.rhai",
                "import \"a\" as a;\nfn classify(ticket) { () }\n",
            ),
            ("scripts/a.rhai", "import \"b\" as b;\n"),
            ("scripts/b.rhai", "import \"a\" as a;\n"),
        ],
    )
    .unwrap_err();
    assert!(
        err.diagnostics().iter().any(
            |d| d.message == "cannot import `a`: an import cycle" && d.file == "scripts/b.rhai"
        ),
        "{err}"
    );
}

#[test]
fn a_script_without_hooks_loads_with_a_warning() {
    let policy = load_with(
        "",
        &[(
            "scripts/hooks.rhai",
            "fn prioritize(ticket, decision) { \"urgent\" }\nfn classify_text(text) { () }\n",
        )],
    )
    .unwrap();
    let warnings: Vec<String> = policy
        .warnings()
        .iter()
        .map(|w| match &w.hint {
            Some(h) => format!("{w} (hint: {h})"),
            None => w.to_string(),
        })
        .collect();
    assert!(policy
        .warnings()
        .iter()
        .all(|w| w.severity == Severity::Warning));
    assert!(
        warnings.iter().any(|w| w.ends_with(
            "hooks.rhai:1:1: warning: function `prioritize` is not a hook and is never called by the policy (hint: did you mean `prioritise`?)"
        )),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("warning: script `scripts/hooks.rhai` defines no hook")),
        "{warnings:?}"
    );
    // A helper whose name starts like a hook's is not a near miss.
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn scripts_table_errors() {
    let err = load_with(
        "max_operations = 0\non_script_error = \"ignore\"\nexpose = [\"customer.tier\"]",
        &[("scripts/hooks.rhai", "fn classify(ticket) { () }")],
    )
    .unwrap_err();
    let messages: Vec<&str> = err
        .diagnostics()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages.contains(&"`max_operations` must be positive"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"unknown `on_script_error` value `ignore`"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"`customer.tier` is not a personal field"),
        "{messages:?}"
    );

    let err = load_with("", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot read script `scripts/hooks.rhai`"),
        "{err}"
    );
}
