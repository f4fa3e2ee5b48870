//! `import` for policy scripts: only scripts inside the policy's folder, resolved once when the
//! policy loads and embedded in the compiled script. Evaluation never reads a file.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::source::files::{read_stable_text, Fingerprint};
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, ParseError, Position, Scope, Shared};

type SharedModule = Shared<Module>;

/// Something that went wrong while resolving an import, kept for a diagnostic.
pub(crate) enum Problem {
    /// An imported script does not compile.
    Syntax {
        name: String,
        text: Arc<str>,
        error: ParseError,
    },
    /// An imported script fails while its top level runs.
    Failed {
        name: String,
        text: Arc<str>,
        message: String,
        position: Position,
    },
    /// An import names no usable script. `importer` is the importing module's name (`None`:
    /// the hook script) and `text` its source, to point at the import.
    Unresolved {
        importer: Option<(String, Arc<str>)>,
        path: String,
        message: String,
    },
}

/// Resolves `import "name"` to `name.rhai` next to the importing script, never outside the
/// policy's folder.
pub(crate) struct FolderResolver {
    state: Arc<State>,
}

struct State {
    /// The policy's folder, canonical; `None` when it cannot be read (every import fails).
    root: Option<PathBuf>,
    /// The hook script's folder.
    main_dir: PathBuf,
    /// Canonical paths of the modules being loaded, to stop import cycles.
    loading: Mutex<Vec<PathBuf>>,
    /// Every module file read or tried.
    files: Mutex<Vec<PathBuf>>,
    /// Each module file read and the version of it that was read.
    read: Mutex<Vec<(PathBuf, Fingerprint)>>,
    /// The most bytes one module file may have (`max_policy_bytes`).
    cap: usize,
    /// Loaded module texts by the name used in messages.
    texts: Mutex<Vec<(String, Arc<str>)>>,
    problems: Mutex<Vec<Problem>>,
}

/// The handle that reads the problems back once compiling is done.
pub(crate) struct Problems {
    state: Arc<State>,
}

impl Problems {
    /// The module files the imports read or tried to read.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        match self.state.files.lock() {
            Ok(mut f) => std::mem::take(&mut *f),
            Err(_) => Vec::new(),
        }
    }

    /// The module files read, with the version of each that was read.
    pub(crate) fn read(&self) -> Vec<(PathBuf, Fingerprint)> {
        match self.state.read.lock() {
            Ok(mut f) => std::mem::take(&mut *f),
            Err(_) => Vec::new(),
        }
    }

    pub(crate) fn take(&self) -> Vec<Problem> {
        match self.state.problems.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => Vec::new(),
        }
    }
}

impl FolderResolver {
    /// Imports of the hook script `script` resolve inside `root` (canonical; `None`: every
    /// import fails) and read files of at most `cap` bytes.
    pub(crate) fn new(
        root: Option<&Path>,
        script: &Path,
        cap: usize,
    ) -> (FolderResolver, Problems) {
        let root = root.map(Path::to_path_buf);
        let main_dir = script
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .or_else(|| root.clone())
            .unwrap_or_default();
        let state = Arc::new(State {
            root,
            main_dir,
            loading: Mutex::new(Vec::new()),
            files: Mutex::new(Vec::new()),
            read: Mutex::new(Vec::new()),
            cap,
            texts: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
        });
        (
            FolderResolver {
                state: state.clone(),
            },
            Problems { state },
        )
    }
}

impl State {
    fn record(&self, p: Problem) {
        if let Ok(mut all) = self.problems.lock() {
            all.push(p);
        }
    }

    /// The name a module is shown by: its path relative to the policy's folder.
    fn display(&self, file: &Path) -> String {
        self.root
            .as_deref()
            .and_then(|r| file.strip_prefix(r).ok())
            .unwrap_or(file)
            .display()
            .to_string()
    }

    fn text_of(&self, name: &str) -> Option<Arc<str>> {
        let texts = self.texts.lock().ok()?;
        texts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    /// The file an import names, checked to lie inside the policy's folder.
    fn locate(&self, importer: Option<&str>, path: &str) -> Result<PathBuf, String> {
        let rel = Path::new(path);
        // Relative paths only; `..` is fine while the file stays inside the policy's folder.
        let relative = !path.is_empty()
            && !path.contains('\\')
            && rel
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::ParentDir));
        if !relative {
            return Err("imports name a script by a path relative to the importing script".into());
        }
        let root = self
            .root
            .as_deref()
            .ok_or("the policy's folder cannot be read")?;
        let dir = match importer {
            Some(name) => root
                .join(name)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.to_path_buf()),
            None => self.main_dir.clone(),
        };
        let mut file = dir.join(rel);
        if file.extension().is_none() {
            file.set_extension("rhai");
        }
        let file = file
            .canonicalize()
            .map_err(|e| format!("cannot read `{}`: {e}", self.display(&file)))?;
        if !file.starts_with(root) {
            return Err("it lies outside the policy's folder".into());
        }
        Ok(file)
    }

    fn load(
        &self,
        engine: &Engine,
        importer: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        let unresolved = |message: String| {
            let importer = importer.map(|n| {
                (
                    n.to_string(),
                    self.text_of(n).unwrap_or_else(|| Arc::from("")),
                )
            });
            self.record(Problem::Unresolved {
                importer,
                path: path.to_string(),
                message: message.clone(),
            });
            Box::new(EvalAltResult::ErrorModuleNotFound(
                format!("{path}: {message}"),
                pos,
            ))
        };
        let file = self.locate(importer, path).map_err(unresolved)?;
        // The lock is never held while a module compiles: nested imports take it again.
        let cycle = match self.loading.lock() {
            Ok(mut stack) => {
                let cycle = stack.contains(&file);
                if !cycle {
                    stack.push(file.clone());
                }
                cycle
            }
            Err(_) => true,
        };
        if cycle {
            return Err(unresolved("an import cycle".into()));
        }
        let result = self.compile(engine, &file, path, pos);
        if let Ok(mut stack) = self.loading.lock() {
            stack.retain(|f| f != &file);
        }
        result
    }

    fn compile(
        &self,
        engine: &Engine,
        file: &Path,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        let name = self.display(file);
        let in_module = |e: Box<EvalAltResult>| {
            Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos))
        };
        if let Ok(mut files) = self.files.lock() {
            files.push(file.to_path_buf());
        }
        // A regular file within the size limit, read whole and unchanged.
        let text: Arc<str> = match read_stable_text(file, self.cap) {
            Ok((t, fingerprint)) => {
                if let Ok(mut read) = self.read.lock() {
                    read.push((file.to_path_buf(), fingerprint));
                }
                Arc::from(t)
            }
            Err(e) => {
                let message = format!("cannot read `{name}`: {e}");
                return Err(in_module(message.into()));
            }
        };
        if let Ok(mut texts) = self.texts.lock() {
            texts.push((name.clone(), text.clone()));
        }
        let mut ast = match engine.compile(&*text) {
            Ok(ast) => ast,
            Err(error) => {
                let err = Box::new(EvalAltResult::ErrorParsing(
                    error.err_type().clone(),
                    error.position(),
                ));
                self.record(Problem::Syntax { name, text, error });
                return Err(in_module(err));
            }
        };
        ast.set_source(name.as_str());
        match Module::eval_ast_as_new(Scope::new(), &ast, engine) {
            Ok(module) => Ok(module.into()),
            Err(e) => {
                // A failure in a nested import was recorded where it happened.
                if !matches!(
                    *e,
                    EvalAltResult::ErrorInModule(..) | EvalAltResult::ErrorModuleNotFound(..)
                ) {
                    let inner = e.unwrap_inner();
                    self.record(Problem::Failed {
                        name,
                        text,
                        message: super::without_position(inner),
                        position: inner.position(),
                    });
                }
                Err(in_module(e))
            }
        }
    }
}

impl ModuleResolver for FolderResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        self.state.load(engine, source, path, pos)
    }
}
