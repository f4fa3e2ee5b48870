//! `aftercare check POLICY`.

use std::path::PathBuf;

use super::{print_diagnostics, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Treat warnings as errors.
    #[arg(long)]
    deny_warnings: bool,
}

pub(crate) fn run(args: &Args) -> i32 {
    let limits = super::LIMITS.get().copied().unwrap_or_default();
    match aftercare::Policy::from_path_with(&args.policy, &limits) {
        Ok(policy) => {
            let warnings = policy.warnings();
            for w in warnings {
                eprintln!("{w}");
                if let Some(hint) = &w.hint {
                    eprintln!("  = hint: {hint}");
                }
                eprintln!("  = allow: [policy] allow = [\"{}\"]", w.code);
            }
            if args.deny_warnings && !warnings.is_empty() {
                eprintln!(
                    "error: {} warning(s), denied by --deny-warnings",
                    warnings.len()
                );
                return EXIT_FAILED;
            }
            EXIT_OK
        }
        Err(e) => {
            print_diagnostics(&e);
            // `check` reports an invalid policy with 1 (contract §4); unreadable input is 2.
            if e.diagnostics()
                .iter()
                .all(|d| d.message.starts_with("cannot read policy file"))
            {
                EXIT_BAD_INPUT
            } else {
                EXIT_FAILED
            }
        }
    }
}
