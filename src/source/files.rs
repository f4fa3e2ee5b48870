//! Reading the files of a policy: the policy file, its includes, the hook script and its
//! modules, model files. Every one of them is
//!
//! - **confined**: a path written in a policy is relative, and once symbolic links are resolved
//!   it lies inside the policy's root (the policy file's folder unless the caller names
//!   another), so a policy cannot make the loader read files elsewhere;
//! - **a regular file**, checked before it is opened (opening a FIFO waits for a writer, a
//!   device may never end) and again on the open handle;
//! - **bounded**: never more than the caller's cap is read, whatever the file claims;
//! - **stable**: read twice with the same size, modification time, inode and bytes, so that a
//!   file rewritten in place while it is read is never taken half old, half new. A file that
//!   keeps changing is an error after a few tries (the caller keeps what it had).

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How often a file that changes while it is read is tried again before giving up.
const STABLE_TRIES: u32 = 5;

/// What identifies one version of a file without reading it: a rewrite in place changes the
/// modification time or the size (or both), a write-then-rename changes the inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Fingerprint {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Fingerprint {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        }
    }

    /// The fingerprint of the file at `path` now, if it can be read.
    pub(crate) fn now(path: &Path) -> Option<Fingerprint> {
        std::fs::metadata(path).ok().map(|m| Fingerprint::of(&m))
    }
}

/// Why a file of a policy was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The path as written is absolute.
    Absolute,
    /// After `..` and symbolic links, the file lies outside the root.
    Outside,
    /// Not a regular file (a folder, a FIFO, a device, a socket).
    NotAFile,
    /// Longer than the cap.
    TooLarge,
    /// Rewritten every time it was read.
    Unstable,
    /// Not UTF-8 text (only where text is expected).
    NotText,
    /// Anything the file system said: missing, no permission.
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Absolute => f.write_str("the path is absolute"),
            ReadError::Outside => f.write_str("it lies outside the policy's folder"),
            ReadError::NotAFile => f.write_str("not a regular file"),
            ReadError::TooLarge => f.write_str("larger than max_policy_bytes"),
            ReadError::Unstable => write!(
                f,
                "the file changed while it was read ({STABLE_TRIES} tries)"
            ),
            ReadError::NotText => f.write_str("stream did not contain valid UTF-8"),
            ReadError::Io(e) => e.fmt(f),
        }
    }
}

impl ReadError {
    /// What to do about it, for a diagnostic's hint.
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            ReadError::Absolute => {
                "write paths relative to the policy file; the policy's folder (or the root the loader names) holds every file it reads"
            }
            ReadError::Outside => {
                "keep the files a policy reads in its folder or below it (symbolic links are followed), or name another root when loading (`LoadOptions::root`)"
            }
            ReadError::Unstable => {
                "deploy a new version by writing it to another file and renaming it over this one"
            }
            ReadError::TooLarge => {
                "the limit counts the policy file and every file it includes together; raise `Limits::max_policy_bytes` if this size is intended"
            }
            _ => "paths are relative to the file that names them",
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// The file `written` names relative to the folder `base`, checked to lie inside `root`
/// (canonical) once `..` and symbolic links are resolved. Without a root (policy text with no
/// folder) nothing can be confined, and nothing is read: the callers say so before.
pub(crate) fn resolve(root: &Path, base: &Path, written: &str) -> Result<PathBuf, ReadError> {
    let rel = Path::new(written);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, Component::RootDir | Component::Prefix(_)))
    {
        return Err(ReadError::Absolute);
    }
    let path = base.join(rel);
    let real = match path.canonicalize() {
        Ok(real) => real,
        // A missing file outside the root is outside first: its folder says where it is.
        Err(e) => {
            let folder = path.parent().and_then(|p| p.canonicalize().ok());
            return Err(match folder {
                Some(f) if !f.starts_with(root) => ReadError::Outside,
                _ => ReadError::Io(e),
            });
        }
    };
    if !real.starts_with(root) {
        return Err(ReadError::Outside);
    }
    Ok(real)
}

/// `folder`, canonical: the root files are confined to.
pub(crate) fn root_of(folder: &Path) -> Option<PathBuf> {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    folder.canonicalize().ok()
}

/// Reads a regular file of at most `cap` bytes, the same twice in a row (see the module's
/// documentation), with the fingerprint of the version read.
pub(crate) fn read_stable(path: &Path, cap: usize) -> Result<(Vec<u8>, Fingerprint), ReadError> {
    for attempt in 0..STABLE_TRIES {
        if attempt > 0 {
            // A writer in the middle of a rewrite usually finishes within milliseconds.
            std::thread::sleep(Duration::from_millis(2 << attempt));
        }
        let (first, opened1, after1) = read_once(path, cap)?;
        let (second, opened2, after2) = read_once(path, cap)?;
        let same = opened1 == after1 && after1 == opened2 && opened2 == after2;
        if same && first == second && u64::try_from(first.len()) == Ok(after2.len) {
            return Ok((first, after2));
        }
    }
    Err(ReadError::Unstable)
}

/// [`read_stable`] as UTF-8 text.
pub(crate) fn read_stable_text(
    path: &Path,
    cap: usize,
) -> Result<(String, Fingerprint), ReadError> {
    let (bytes, fingerprint) = read_stable(path, cap)?;
    String::from_utf8(bytes)
        .map(|t| (t, fingerprint))
        .map_err(|_| ReadError::NotText)
}

/// One read: the file's metadata checked before it is opened, the open handle checked again
/// (the path may have been replaced in between), at most `cap + 1` bytes read.
fn read_once(path: &Path, cap: usize) -> Result<(Vec<u8>, Fingerprint, Fingerprint), ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if usize::try_from(meta.len()).map_or(true, |len| len > cap) {
        return Err(ReadError::TooLarge);
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(cap));
    file.take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > cap {
        return Err(ReadError::TooLarge);
    }
    // The open handle's metadata and the path's afterwards: a rewrite shows as another size
    // or time, a rename over the path as another inode.
    let after = std::fs::metadata(path)?;
    Ok((bytes, Fingerprint::of(&meta), Fingerprint::of(&after)))
}
