//! `aftercare test POLICY [CASES…] [--coverage] [--min-coverage PERCENT]`: runs policy test
//! cases, prints each failure, and ends with `N passed, M failed`.

use std::path::PathBuf;

use aftercare::testing::{self, CaseFile, CasesError, Coverage, TestReport};

use super::{load_policy, parse_lang, write_out, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Cases files; by default the policy's `<name>.tests.toml` and the `tests/*.toml` beside it.
    cases: Vec<PathBuf>,
    /// List every rule with the number of cases that hit it, and flag those never hit.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when fewer than this percentage of the rules are hit.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    min_coverage: Option<f64>,
    /// Language of the summary line: en or zh-CN; without it, `N passed, M failed`.
    #[arg(long, value_parser = parse_lang)]
    lang: Option<aftercare::i18n::Lang>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

pub(crate) fn run(args: &Args) -> i32 {
    let policy = match load_policy(&args.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let explicit = !args.cases.is_empty();
    let paths = if explicit {
        args.cases.clone()
    } else {
        testing::default_case_files(&args.policy)
    };
    let mut files = Vec::new();
    let mut bad = false;
    for path in &paths {
        match CaseFile::from_path(path) {
            Ok(file) if file.is_for(&args.policy) => files.push(file),
            Ok(file) if explicit => {
                eprintln!(
                    "warning: {}: written for {}, run against {}",
                    file.name,
                    file.policy.as_deref().unwrap_or(path).display(),
                    args.policy.display()
                );
                files.push(file);
            }
            // Found beside the policy but written for another one: not ours to run.
            Ok(_) => {}
            Err(e) => {
                print_diagnostics(&e);
                bad = true;
            }
        }
    }
    if bad {
        return EXIT_BAD_INPUT;
    }
    if files.is_empty() {
        let stem = args
            .policy
            .file_stem()
            .map_or_else(|| "policy".into(), |s| s.to_string_lossy());
        let dir = args.policy.with_file_name("");
        eprintln!(
            "error: no test cases for {}: write them in {} or {}",
            args.policy.display(),
            dir.join(format!("{stem}.tests.toml")).display(),
            dir.join("tests").join("*.toml").display()
        );
        return EXIT_BAD_INPUT;
    }
    let mut report = TestReport::default();
    for file in &files {
        report.extend(testing::run(&policy, file));
    }
    let mut out = report.failure_details();
    let mut code = if report.is_success() {
        EXIT_OK
    } else {
        EXIT_FAILED
    };
    if args.coverage || args.min_coverage.is_some() {
        let coverage = Coverage::of(&policy, &report);
        if args.coverage {
            out.push_str(&format!("{coverage}\n"));
        }
        if let Some(min) = args.min_coverage {
            if !coverage.meets(min) {
                if !args.coverage {
                    for e in coverage.never_hit() {
                        out.push_str(&format!("never hit: {} {}\n", e.stage, e.rule));
                    }
                }
                out.push_str(&format!(
                    "rule coverage {:.1}% is below the minimum {min}%\n",
                    coverage.percent_shown()
                ));
                code = EXIT_FAILED;
            }
        }
    }
    // The summary line stays `N passed, M failed` (what scripts read) unless `--lang` asks.
    let summary = match args.lang {
        Some(lang) => lang.fill(
            aftercare::i18n::Msg::TestSummary,
            &[&report.passed(), &report.failed()],
        ),
        None => report.summary(),
    };
    out.push_str(&format!("{summary}\n"));
    if !write_out(&out) {
        return EXIT_BAD_INPUT;
    }
    code
}

fn print_diagnostics(e: &CasesError) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprint!("{}", e.render(true));
        eprintln!("{} error(s)", e.error_count());
    } else {
        eprintln!("{e}");
    }
}
