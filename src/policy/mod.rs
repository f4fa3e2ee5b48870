//! The [`Policy`]: loading (source → check → compile, scripts beside), the evaluate,
//! triage and JSON-lines entry points, introspection, and hot reload.

mod introspect;
mod reload;
mod run;

pub use introspect::{PolicyRules, RuleRef, StepRef};
pub use reload::PolicyHandle;
#[cfg(feature = "watch")]
pub use reload::Watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check;
use crate::compile::{self, Compiled};
use crate::limits::Limits;
use crate::script::Scripts;
use crate::source::files::{root_of, Fingerprint};
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
        load(Origin::Path(path.as_ref()), &LoadOptions::new())
    }

    /// [`Policy::from_path`] with other [`Limits`] than the defaults. The policy limits
    /// (bytes across includes, number of rules) apply to the load; the ticket limits to
    /// every ticket read by [`Policy::evaluate_json`] and [`Policy::evaluate_json_lines`].
    pub fn from_path_with(path: impl AsRef<Path>, limits: &Limits) -> Result<Policy, PolicyError> {
        load(
            Origin::Path(path.as_ref()),
            &LoadOptions::new().limits(*limits),
        )
    }

    /// [`Policy::from_path`] with [`LoadOptions`]: other limits, or another root folder for
    /// the files the policy names.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("aftercare-doc-root-{}", std::process::id()));
    /// # std::fs::create_dir_all(dir.join("shared")).unwrap();
    /// # std::fs::create_dir_all(dir.join("desk")).unwrap();
    /// std::fs::write(dir.join("shared/desk.toml"), "[departments.desk]\n").unwrap();
    /// std::fs::write(dir.join("desk/policy.toml"), r#"
    ///     include = ["../shared/desk.toml"]
    ///     [policy]
    ///     name = "desk"
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
    /// "#).unwrap();
    /// // By default a policy reads only files in its own folder…
    /// let e = aftercare::Policy::from_path(dir.join("desk/policy.toml")).unwrap_err();
    /// assert!(e.to_string().contains("outside the policy's folder"), "{e}");
    /// // …unless the caller names a wider root.
    /// let options = aftercare::LoadOptions::new().root(&dir);
    /// let policy = aftercare::Policy::from_path_with_options(dir.join("desk/policy.toml"), &options).unwrap();
    /// assert_eq!(policy.name(), "desk");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn from_path_with_options(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<Policy, PolicyError> {
        load(Origin::Path(path.as_ref()), options)
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
            &LoadOptions::new().limits(*limits),
        )
    }

    /// Loads a policy from TOML text named `name` in diagnostics, resolving `include` and
    /// script paths against the folder `base`.
    /// The files it names must lie in `base` (see [`LoadOptions::root`]).
    pub fn from_toml_in(name: &str, text: &str, base: &Path) -> Result<Policy, PolicyError> {
        Policy::from_toml_in_with_options(name, text, base, &LoadOptions::new())
    }

    /// [`Policy::from_toml_in`] with [`LoadOptions`].
    pub fn from_toml_in_with_options(
        name: &str,
        text: &str,
        base: &Path,
        options: &LoadOptions,
    ) -> Result<Policy, PolicyError> {
        load(
            Origin::Text {
                name,
                text,
                base: Some(base),
            },
            options,
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

/// How to load a policy: the [`Limits`], and the folder the files a policy names must lie in.
///
/// Build one from [`LoadOptions::new`] and its setters; see
/// [`Policy::from_path_with_options`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Input limits for the load and for the tickets the policy reads.
    pub limits: Limits,
    /// The folder that every file a policy names — `include`s, `[scripts] path` and the
    /// modules the script imports, `[models.*] path` — must lie in once `..` and symbolic
    /// links are resolved. `None` (the default): the policy file's folder, or the `base`
    /// folder of policy text.
    pub root: Option<PathBuf>,
}

impl LoadOptions {
    /// The defaults: [`Limits::DEFAULT`], files confined to the policy's own folder.
    pub fn new() -> LoadOptions {
        LoadOptions::default()
    }

    /// These options with other limits.
    pub fn limits(mut self, limits: Limits) -> LoadOptions {
        self.limits = limits;
        self
    }

    /// These options with another root folder (see [`LoadOptions::root`](#structfield.root)).
    pub fn root(mut self, root: impl Into<PathBuf>) -> LoadOptions {
        self.root = Some(root.into());
        self
    }
}

/// How often a load is tried again when one of its files changed while it was loading.
const LOAD_TRIES: usize = 3;

fn load(origin: Origin<'_>, options: &LoadOptions) -> Result<Policy, PolicyError> {
    let mut tries = 0;
    loop {
        tries += 1;
        let (result, read) = load_once(&origin, options);
        // Every file as it was read, still: the policy is one version of all its files. A
        // file rewritten meanwhile is read again (a deployment in progress settles quickly).
        let changed = read
            .iter()
            .find(|(path, fingerprint)| Fingerprint::now(path) != Some(*fingerprint));
        match changed {
            None => return result,
            Some((path, _)) if tries >= LOAD_TRIES => {
                return Err(unstable(&origin, path, result.err()));
            }
            Some(_) => std::thread::sleep(std::time::Duration::from_millis(5 << tries)),
        }
    }
}

/// The error of a load whose files kept changing while it ran.
fn unstable(origin: &Origin<'_>, path: &Path, failed: Option<PolicyError>) -> PolicyError {
    let mut sink = Sink::default();
    let name = match origin {
        Origin::Path(p) => p.display().to_string(),
        Origin::Text { name, .. } => (*name).to_string(),
    };
    let file = sink.sources.add(name, Arc::from(""));
    let shown = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    sink.error(
        "io",
        &crate::source::Span { file, range: 0..0 },
        format!("`{shown}` changed while the policy was loading ({LOAD_TRIES} tries)"),
    )
    .hint(crate::source::files::ReadError::Unstable.hint());
    let (diagnostics, sources) = sink.finish();
    let mut e = PolicyError::new(diagnostics, sources);
    e.files = failed.map(|f| f.files).unwrap_or_default();
    e
}

/// One load, and the files it read with the version of each.
fn load_once(
    origin: &Origin<'_>,
    options: &LoadOptions,
) -> (Result<Policy, PolicyError>, Vec<(PathBuf, Fingerprint)>) {
    let limits = &options.limits.capped();
    let mut sink = Sink::default();
    sink.max_file_bytes = limits.max_policy_bytes;
    sink.patterns.each = limits.max_pattern_bytes;
    sink.patterns.total = limits.max_policy_pattern_bytes;
    let folder = match origin {
        Origin::Path(p) => p.parent(),
        Origin::Text { base, .. } => *base,
    };
    sink.root = match &options.root {
        Some(root) => root_of(root),
        None => folder.and_then(root_of),
    };
    let model = check::check(*origin, limits, &mut sink);
    let compiled = model.and_then(|m| compile_all(&m, &mut sink));
    let has_errors = sink.has_errors();
    let files = std::mem::take(&mut sink.files);
    let read = std::mem::take(&mut sink.read);
    let (diagnostics, sources) = sink.finish();
    let result = match compiled {
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
    };
    (result, read)
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
