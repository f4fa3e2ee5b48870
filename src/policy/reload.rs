//! Hot reload: a [`PolicyHandle`] serves the current policy and replaces it, as a whole, when
//! its file changes. A change that does not load keeps the old policy in service.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, ArcSwapOption};

use super::{Inner, LoadOptions, Policy};
use crate::limits::Limits;
use crate::source::PolicyError;

/// The policy in service, loaded from a file and reloadable while it is being used.
///
/// Readers call [`PolicyHandle::policy`] and get a snapshot: a whole policy, old or new, never
/// a mix, which stays valid for as long as they hold it even if a reload replaces it meanwhile.
/// [`PolicyHandle::reload`] reads the file again; if the new text does not load, the old
/// policy stays in service and the diagnostics are returned and kept for
/// [`PolicyHandle::last_error`].
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("aftercare-doc-reload-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join("policy.toml");
/// let policy = |version: &str| format!(r#"
///     [policy]
///     name = "desk"
///     version = "{version}"
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
/// "#);
/// std::fs::write(&path, policy("1")).unwrap();
/// let handle = aftercare::PolicyHandle::open(&path).unwrap();
/// assert_eq!(handle.policy().version(), "1");
///
/// std::fs::write(&path, "[policy]\nname = 'broken").unwrap();
/// assert!(handle.reload().is_err());
/// assert_eq!(handle.policy().version(), "1"); // still in service
/// assert!(handle.last_error().is_some());
///
/// std::fs::write(&path, policy("2")).unwrap();
/// handle.reload().unwrap();
/// assert_eq!(handle.policy().version(), "2");
/// assert!(handle.last_error().is_none());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct PolicyHandle {
    path: PathBuf,
    options: LoadOptions,
    /// `arc-swap` rather than `RwLock<Arc<_>>`: readers evaluate tickets on every core and a
    /// load here is a few atomic operations that never wait, not even while a reload stores a
    /// new policy; with a lock, readers and the reloading writer would contend.
    current: ArcSwap<Inner>,
    /// Why the most recent reload failed; cleared by a successful one.
    last_error: ArcSwapOption<PolicyError>,
    /// Serialises reloads, so that a slow reload of an older text can never replace the
    /// result of a later one.
    reloading: Mutex<()>,
}

impl std::fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHandle")
            .field("path", &self.path)
            .field("policy", &self.policy())
            .field("failed", &self.last_error.load().is_some())
            .finish()
    }
}

impl PolicyHandle {
    /// Loads the policy at `path` (see [`Policy::from_path`]); the handle remembers the path
    /// for reloads.
    pub fn open(path: impl AsRef<Path>) -> Result<PolicyHandle, PolicyError> {
        PolicyHandle::open_with(path, &Limits::DEFAULT)
    }

    /// [`PolicyHandle::open`] with other [`Limits`]; reloads use the same limits.
    pub fn open_with(path: impl AsRef<Path>, limits: &Limits) -> Result<PolicyHandle, PolicyError> {
        PolicyHandle::open_with_options(path, &LoadOptions::new().limits(*limits))
    }

    /// [`PolicyHandle::open`] with [`LoadOptions`]; reloads use the same options.
    pub fn open_with_options(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<PolicyHandle, PolicyError> {
        let path = path.as_ref().to_path_buf();
        let policy = Policy::from_path_with_options(&path, options)?;
        Ok(PolicyHandle {
            path,
            options: options.clone(),
            current: ArcSwap::new(policy.inner),
            last_error: ArcSwapOption::empty(),
            reloading: Mutex::new(()),
        })
    }

    /// The policy in service now. Cheap (no copy, no lock); hold it for as long as one piece
    /// of work needs a consistent policy, and call again for the next.
    pub fn policy(&self) -> Policy {
        Policy {
            inner: self.current.load_full(),
        }
    }

    /// Reads the policy file (and its includes) again. Each file is read until two reads
    /// agree, and the load is repeated if a file changed before it ended, so a policy that is
    /// being rewritten in place is never taken half old, half new; a file that keeps
    /// changing fails the reload (the old policy stays). Deploy a new version by writing it
    /// to another file in the same folder and renaming it over the old one: a rename is
    /// atomic, and a reload sees the old file or the new one. If it loads, it replaces the policy in
    /// service and is returned; if not, the old policy stays in service and the diagnostics are
    /// returned, and kept for [`PolicyHandle::last_error`] until a reload succeeds.
    pub fn reload(&self) -> Result<Policy, PolicyError> {
        // A poisoned lock only means another reload panicked; the state it guards is `()`.
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match Policy::from_path_with_options(&self.path, &self.options) {
            Ok(policy) => {
                self.current.store(policy.inner.clone());
                self.last_error.store(None);
                Ok(policy)
            }
            Err(e) => {
                self.last_error.store(Some(Arc::new(e.clone())));
                Err(e)
            }
        }
    }

    /// Why the most recent reload failed, if it did (the old policy is still in service).
    /// `None` after a successful reload.
    pub fn last_error(&self) -> Option<PolicyError> {
        self.last_error.load_full().map(|e| (*e).clone())
    }

    /// The policy file this handle reloads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The limits every load of this handle uses.
    pub fn limits(&self) -> &Limits {
        &self.options.limits
    }

    /// The options every load of this handle uses.
    pub fn options(&self) -> &LoadOptions {
        &self.options
    }
}

#[cfg(feature = "watch")]
pub use self::watch::Watch;

#[cfg(feature = "watch")]
mod watch {
    use std::path::{Path, PathBuf};
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::sync::{Arc, Weak};
    use std::time::Duration;

    use notify::{EventKind, RecursiveMode, Watcher};

    use super::PolicyHandle;
    use crate::policy::Policy;
    use crate::source::PolicyError;

    /// Editors save in several steps (write a temporary file, rename, touch); changes this
    /// close together are taken as one.
    const SETTLE: Duration = Duration::from_millis(100);

    /// Reloads a [`PolicyHandle`] whenever a file the policy reads changes (feature `watch`).
    /// Watching stops when this is dropped.
    pub struct Watch {
        _watcher: notify::RecommendedWatcher,
    }

    impl std::fmt::Debug for Watch {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Watch").finish_non_exhaustive()
        }
    }

    /// What the watcher reports after each reload it made.
    type OnReload = Box<dyn Fn(Result<&Policy, &PolicyError>) + Send>;

    impl PolicyHandle {
        /// Watches the files the policy reads — the policy file, its includes, the hook
        /// script and the modules it imports — and reloads when one of them changes; other
        /// files beside them (another `.toml`, a backup) are ignored. The set follows the
        /// policy: a reload that includes a new file watches it too, and after a failed reload
        /// the files that load read stay watched, so fixing them reloads. The policy's folder
        /// and its subfolders are watched; files outside them are not. A failed reload keeps
        /// the old policy, as [`PolicyHandle::reload`] does; read it from
        /// [`PolicyHandle::last_error`].
        pub fn watch(self: &Arc<Self>) -> notify::Result<Watch> {
            self.watch_with(|_| {})
        }

        /// [`PolicyHandle::watch`], calling `on_reload` with the outcome of each reload (to
        /// log it, say).
        pub fn watch_with(
            self: &Arc<Self>,
            on_reload: impl Fn(Result<&Policy, &PolicyError>) + Send + 'static,
        ) -> notify::Result<Watch> {
            let folder = match self.path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let mut files = Files::default();
            files.set(&self.path, self.policy().files());
            let (tx, rx) = mpsc::channel();
            let mut watcher = notify::recommended_watcher(tx)?;
            watcher.watch(&folder, RecursiveMode::Recursive)?;
            let handle = Arc::downgrade(self);
            let on_reload: OnReload = Box::new(on_reload);
            std::thread::Builder::new()
                .name("aftercare-watch".into())
                .spawn(move || run(&handle, &rx, &on_reload, files))
                .map_err(notify::Error::io)?;
            Ok(Watch { _watcher: watcher })
        }
    }

    /// The files a reload depends on, by canonical path.
    #[derive(Default)]
    struct Files(Vec<PathBuf>);

    /// A path as the file system names it: canonical, or its canonical folder and its name
    /// when the file itself is gone (removed, or mid-rename by an editor).
    fn key(path: &Path) -> PathBuf {
        if let Ok(p) = path.canonicalize() {
            return p;
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        match (folder.canonicalize(), path.file_name()) {
            (Ok(f), Some(name)) => f.join(name),
            _ => path.to_path_buf(),
        }
    }

    impl Files {
        fn set(&mut self, main: &Path, files: &[PathBuf]) {
            self.0 = std::iter::once(main)
                .chain(files.iter().map(PathBuf::as_path))
                .map(key)
                .collect();
            self.0.sort();
            self.0.dedup();
        }

        fn add(&mut self, files: &[PathBuf]) {
            self.0.extend(files.iter().map(|f| key(f)));
            self.0.sort();
            self.0.dedup();
        }

        fn relevant(&self, event: &notify::Event) -> bool {
            matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && event
                .paths
                .iter()
                .any(|p| self.0.binary_search(&key(p)).is_ok())
        }
    }

    /// The watcher's thread: ends when the watcher (the sending side) or the handle is gone.
    fn run(
        handle: &Weak<PolicyHandle>,
        rx: &mpsc::Receiver<notify::Result<notify::Event>>,
        on_reload: &OnReload,
        mut files: Files,
    ) {
        while let Ok(event) = rx.recv() {
            if !event.as_ref().is_ok_and(|e| files.relevant(e)) {
                continue;
            }
            loop {
                match rx.recv_timeout(SETTLE) {
                    Ok(_) => {}
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            let Some(handle) = handle.upgrade() else {
                return;
            };
            match handle.reload() {
                Ok(policy) => {
                    files.set(&handle.path, policy.files());
                    on_reload(Ok(&policy));
                }
                Err(e) => {
                    // Keep watching what the last good policy read, and what this load read.
                    files.add(e.files());
                    on_reload(Err(&e));
                }
            }
        }
    }
}
