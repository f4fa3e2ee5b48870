//! The shell sessions in the README and in docs/ are run as written, and their output is
//! compared with what the page shows, so that a reader who types them sees what they read.
//!
//! In a page, a ```` ```console ```` block is a session: lines starting with `$ ` are commands
//! (a trailing `\` continues one on the next line), the lines after a command are its output
//! (stdout and stderr together). In the shown output, a line `...` stands for any number of
//! lines, and a line ending in `…` only has to begin the actual line. Every command must exit
//! with 0 — a page that shows a failure writes `; echo "exit $?"` after the command.
//! ```` ```sh ```` blocks are not run.
//!
//! Each page runs in its own scratch folder holding copies of `policies/`, `examples/policies/`
//! and `tests/fixtures/`, with the `aftercare` binary under test first on `PATH`.
//!
//! After a change that moves what sessions print (a retrained model, a new trace line), run
//! the test with `AFTERCARE_UPDATE_DOCS=1`: the shown output of each session that no longer
//! matches is rewritten in its page, except where it elides lines (`...`, a trailing `…`),
//! which stay failures for a person to edit. Read the diff before committing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pages whose sessions are run. Pages written for other parts (the server, Python) show
/// commands that need more than the binary, so each page is listed here on purpose.
const PAGES: &[&str] = &[
    "README.md",
    "docs/policy-format.md",
    "docs/cli.md",
    "docs/reports.md",
    "docs/library.md",
];

struct Step {
    line: usize,
    command: String,
    /// The index of the first line of shown output in the page.
    output_at: usize,
    expected: Vec<String>,
}

fn sessions(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    let mut continuing = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if !in_console {
            in_console = trimmed == "```console";
            continue;
        }
        if trimmed == "```" {
            in_console = false;
            continue;
        }
        if continuing {
            let step = steps.last_mut().expect("a command continues");
            let part = trimmed.trim_start();
            continuing = part.ends_with('\\');
            step.command.push(' ');
            step.command
                .push_str(part.trim_end_matches('\\').trim_end());
            step.output_at = i + 1;
        } else if let Some(command) = trimmed.strip_prefix("$ ") {
            continuing = command.ends_with('\\');
            steps.push(Step {
                line: i + 1,
                command: command.trim_end_matches('\\').trim_end().to_string(),
                output_at: i + 1,
                expected: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.expected.push(trimmed.to_string());
        } else {
            panic!(
                "line {}: output before any command in a console block",
                i + 1
            );
        }
    }
    steps
}

/// Whether `actual` shows what `expected` says, with `...` and a trailing `…` as above.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => match actual.split_first() {
            None => false,
            Some((line, more)) => {
                let line = line.trim_end();
                let fits = match first.strip_suffix('…') {
                    Some(prefix) => line.starts_with(prefix),
                    None => line == first,
                };
                fits && matches(rest, more)
            }
        },
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn scratch(page: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!(
        "aftercare-docs-{}-{}",
        std::process::id(),
        page.replace(['/', '.'], "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["policies", "examples/policies", "tests/fixtures"] {
        copy_dir(&root.join(sub), &dir.join(sub));
    }
    dir
}

fn run_page(page: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(page)).unwrap();
    let steps = sessions(&text);
    let dir = scratch(page);
    let bin = Path::new(env!("CARGO_BIN_EXE_aftercare")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let update = std::env::var_os("AFTERCARE_UPDATE_DOCS").is_some();
    let mut page_lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut updated = false;
    let mut failures = Vec::new();
    // From the last session up, so that rewriting one moves no line of those before it.
    let mut runs = Vec::new();
    for step in &steps {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{}", step.command))
            .current_dir(&dir)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .output()
            .expect("sh runs");
        runs.push((step, out));
    }
    for (step, out) in runs.into_iter().rev() {
        let actual = String::from_utf8(out.stdout).expect("UTF-8 output");
        let lines: Vec<&str> = actual.lines().collect();
        let elided = step.expected.iter().any(|l| l == "..." || l.ends_with('…'));
        if update && out.status.success() && !elided && !matches(&step.expected, &lines) {
            let shown = step.output_at..step.output_at + step.expected.len();
            page_lines.splice(shown, lines.iter().map(|l| l.trim_end().to_string()));
            updated = true;
        } else if !out.status.success() || !matches(&step.expected, &lines) {
            failures.push(format!(
                "{page}:{}: $ {}\n(exit {:?})\n--- shown:\n{}\n--- actual:\n{}",
                step.line,
                step.command,
                out.status.code(),
                step.expected.join("\n"),
                actual
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if updated {
        let mut new_text = page_lines.join("\n");
        if text.ends_with('\n') {
            new_text.push('\n');
        }
        std::fs::write(root.join(page), new_text).unwrap();
    }
    failures.reverse();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_listed_page_runs_its_sessions() {
    let mut total = 0;
    for page in PAGES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(page);
        if path.exists() {
            total += sessions(&std::fs::read_to_string(path).unwrap()).len();
            run_page(page);
        }
    }
    // The README's tour alone has more than this; a parser that finds none must fail.
    assert!(total >= 8, "only {total} commands found");
}

#[test]
fn the_readme_tour_covers_each_command() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let commands: Vec<String> = sessions(&text).into_iter().map(|s| s.command).collect();
    for sub in ["check", "eval", "explain", "test", "diff", "report"] {
        let needle = format!("aftercare {sub} ");
        assert!(
            commands.iter().any(|c| c.contains(&needle)),
            "the tour has no `aftercare {sub}`"
        );
    }
    assert!(text.contains("\ncargo test\n"), "the README's test command");
}

#[test]
fn output_patterns() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&e(&["a", "...", "d"]), &["a", "d"]));
    assert!(!matches(&e(&["a", "...", "d"]), &["a", "b", "c"]));
    assert!(matches(&e(&["ab…"]), &["abc"]));
    assert!(!matches(&e(&["ab…"]), &["xabc"]));
    assert!(!matches(&e(&["a"]), &["a", "b"]));
    assert!(matches(&e(&[]), &[]));
    let steps =
        sessions("```console\n$ one \\\n   two\nout\n$ three\n```\n```sh\n$ not run\n```\n");
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].command, "one two");
    assert_eq!(steps[0].expected, vec!["out".to_string()]);
    assert!(steps[1].expected.is_empty());
}

/// Pages that other parts of the project are still writing: a link to one may point nowhere
/// until it lands.
const COMING: &[&str] = &["docs/text-models.md", "docs/python.md"];

/// A heading's anchor as GitHub makes it: lower case, spaces to `-`, punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Relative links `](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                let target = &rest[..end];
                if !target.contains("://") {
                    out.push(target.to_string());
                }
                rest = &rest[end..];
            }
        }
    }
    out
}

#[test]
fn links_between_pages_point_to_files_and_headings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let dir = page.parent().unwrap();
        for link in links(&text) {
            let (file, anchor) = match link.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let from_root = target
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let normalized =
                std::path::Path::new(&from_root)
                    .components()
                    .fold(PathBuf::new(), |mut acc, c| {
                        match c {
                            std::path::Component::ParentDir => {
                                acc.pop();
                            }
                            other => acc.push(other),
                        }
                        acc
                    });
            let normalized = normalized.to_string_lossy().replace('\\', "/");
            checked += 1;
            if !root.join(&normalized).exists() {
                if !COMING.contains(&normalized.as_str()) {
                    broken.push(format!("{}: {link}: no such file", page.display()));
                }
                continue;
            }
            if let Some(anchor) = anchor {
                let text = std::fs::read_to_string(root.join(&normalized)).unwrap();
                if !anchors(&text).iter().any(|a| a == anchor) {
                    broken.push(format!("{}: {link}: no such heading", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert!(checked > 30, "only {checked} links found");
}

#[test]
fn slugs_as_github_makes_them() {
    assert_eq!(slug(" Conditions (`when`)"), "conditions-when");
    assert_eq!(
        slug(" SLA targets, escalations, follow-up"),
        "sla-targets-escalations-follow-up"
    );
    assert_eq!(
        links("see [a](x.md#b) and [c](https://e.org)\n```\n[d](y.md)\n```\n"),
        ["x.md#b"]
    );
}
