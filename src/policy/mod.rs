//! The [`Policy`]: loading (source → check → compile, scripts beside), the evaluate,
//! triage and JSON-lines entry points, introspection, and hot reload.

mod introspect;
mod reload;
mod run;

pub use introspect::{PolicyRules, RuleRef, StepRef};
pub use reload::PolicyHandle;
#[cfg(feature = "watch")]
pub use reload::Watch;

use std::path::Path;
use std::sync::Arc;

use crate::check;
use crate::compile::{self, Compiled};
use crate::limits::Limits;
use crate::script::Scripts;
use crate::source::tree::Origin;
use crate::source::{Diagnostic, PolicyError, Severity, Sink};

/// A loaded, validated and compiled policy. Immutable, `Send + Sync`, and cheap to clone
/// (clones share one compiled policy).
#[derive(Clone)]
pub struct Policy {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.inner.name)
            .field("version", &self.inner.version)
            .finish_non_exhaustive()
    }
}
/// A compiled policy with its script hooks. Reads as the [`Compiled`] part.
pub(crate) struct Inner {
    pub(crate) compiled: Compiled,
    pub(crate) scripts: Option<Scripts>,
    /// The files it was loaded from: policy, includes, scripts and their modules.
    pub(crate) files: Vec<std::path::PathBuf>,
}

impl std::ops::Deref for Inner {
    type Target = Compiled;
    fn deref(&self) -> &Compiled {
        &self.compiled
    }
}

impl Policy {
    /// Loads a policy file (and the files it includes, relative to it).
    ///
    /// Every problem is reported at once in the error, with file, line, column and a hint.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        load(Origin::Path(path.as_ref()), &Limits::DEFAULT)
    }

    /// [`Policy::from_path`] with other [`Limits`] than the defaults. The policy limits
    /// (bytes across includes, number of rules) apply to the load; the ticket limits to
    /// every ticket read by [`Policy::evaluate_json`] and [`Policy::evaluate_json_lines`].
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<Policy, PolicyError> {
        load(Origin::Path(path.as_ref()), limits)
    }

    /// Loads a policy from TOML text. `include` and script paths are not available (there is
    /// no folder to resolve them against); use [`Policy::from_toml_in`] for that.
    ///
    /// ```
    /// let policy = aftercare::Policy::from_toml(r#"
    ///     [policy]
    ///     name = "tiny"
    ///     [[categories]]
    ///     id = "general"
    ///     default = true
    ///     [priorities]
    ///     order = ["normal"]
    ///     default = "normal"
    ///     [[routes]]
    ///     id = "all"
    ///     default = true
    ///     department = "desk"
    ///     [departments.desk]
    /// "#).unwrap();
    /// assert_eq!(policy.name(), "tiny");
    /// ```
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_toml_with(text, &Limits::DEFAULT)
    }

    /// [`Policy::from_toml`] with other [`Limits`] than the defaults.
    ///
    /// ```
    /// let limits = aftercare::Limits { max_policy_bytes: 16, ..Default::default() };
    /// let e = aftercare::Policy::from_toml_with("[policy]\nname = \"too long\"", &limits).unwrap_err();
    /// assert!(e.to_string().contains("larger than 16 bytes (max_policy_bytes)"), "{e}");
    /// ```
    pub fn from_toml_with(text: &str, limits: &Limits) -> Result<Policy, PolicyError> {
        load(
            Origin::Text {
                name: "<policy>",
                text,
                base: None,
            },
            limits,
        )
    }

    /// Loads a policy from TOML text named `name` in diagnostics, resolving `include` and
    /// script paths against the folder `base`.
    pub fn from_toml_in(name: &str, text: &str, base: &Path) -> Result<Policy, PolicyError> {
        load(
            Origin::Text {
                name,
                text,
                base: Some(base),
            },
            &Limits::DEFAULT,
        )
    }

    /// The limits this policy was loaded with.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// `[policy] name`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// `[policy] version`.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// Warnings found while loading (the policy loaded nevertheless).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }
}

fn load(origin: Origin<'_>, limits: &Limits) -> Result<Policy, PolicyError> {
    let limits = &limits.capped();
    let mut sink = Sink::default();
    let model = check::check(origin, limits, &mut sink);
    let compiled = model.and_then(|m| compile_all(&m, &mut sink));
    let has_errors = sink.has_errors();
    let files = std::mem::take(&mut sink.files);
    let (diagnostics, sources) = sink.finish();
    match compiled {
        Some(mut inner) if !has_errors => {
            inner.compiled.warnings = diagnostics;
            // The loader's limits within the ceilings, then what the policy's `[limits]` says.
            let mut effective = limits.capped();
            for (key, value) in &inner.compiled.limit_overrides {
                effective.set(key, *value);
            }
            inner.compiled.limits = effective;
            inner.files = files;
            Ok(Policy {
                inner: Arc::new(inner),
            })
        }
        // A policy that does not load gets its errors only: lints on it are mostly noise.
        _ => {
            let mut e = PolicyError::new(
                diagnostics
                    .into_iter()
                    .filter(|d| d.severity == Severity::Error)
                    .collect(),
                sources,
            );
            e.files = files;
            Err(e)
        }
    }
}

/// Compiles the rules, then the script hooks against the same calendars. `None` when anything
/// failed (the problems are in the sink).
fn compile_all(model: &check::Model, sink: &mut Sink) -> Option<Inner> {
    let mut compiled = compile::compile(model, sink)?;
    let scripts = match &model.scripts {
        Some(def) => Some(Scripts::compile(def, model, &compiled.calendars, sink)?),
        None => None,
    };
    if sink.has_errors() {
        return None;
    }
    compiled.tracks_updates |= scripts.as_ref().is_some_and(|s| s.sets_targets());
    Some(Inner {
        compiled,
        scripts,
        files: Vec::new(),
    })
}
