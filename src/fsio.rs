//! Safe file writes: every file chainplan writes goes through [`write_atomic`].
//!
//! The data goes to a new temporary file in the target's directory (its own name per writer,
//! created exclusively), is flushed to the disk, and is then renamed over the target. A rename
//! within one directory is atomic, so a reader sees the old file or the whole new one, never a
//! mix: a full disk, a killed process or an error leaves the old file as it was (and the
//! temporary file is removed), and two writers of the same file leave one of the two whole
//! files. [`check_writable`] tells before long work starts whether a write can succeed.

// Without the feature `report`, only what the crate itself uses of this module is used.
#![cfg_attr(not(feature = "report"), allow(dead_code))]

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the temporary files of the writers in one process.
static NEXT: AtomicU64 = AtomicU64::new(0);

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory that holds `path` (`.` for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A temporary file beside `path`, created exclusively, with its path.
fn create_temporary(path: &Path) -> std::io::Result<(File, PathBuf)> {
    let dir = directory_of(path);
    let name = path
        .file_name()
        .map_or_else(|| "chainplan".into(), |n| n.to_string_lossy().into_owned());
    // Short enough for any file system: the target's name is cut, the suffix is unique.
    let stem: String = name.chars().take(64).collect();
    let mut last = None;
    for _ in 0..16 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = dir.join(format!(
            ".{stem}.{}.{}.{nanos}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

/// Refuses a target that is a directory, or `-`-like names that are not files.
fn check_target(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(write_error(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the file name is empty"),
        ));
    }
    if path.is_dir() {
        return Err(write_error(
            path,
            std::io::Error::other("it is a directory"),
        ));
    }
    Ok(())
}

/// Writes `data` to `path` atomically: through a temporary file in the same directory, flushed
/// and synced, then renamed over `path`. On any failure `path` keeps its old contents (or stays
/// absent) and the temporary file is removed; the error is [`Error::Write`] ("cannot write …").
/// An existing target's permissions are kept.
///
/// ```
/// # #[cfg(feature = "report")] {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("plan.json");
/// chainplan::fsio::write_atomic(&path, b"{}\n")?;
/// assert_eq!(std::fs::read(&path)?, b"{}\n");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    check_target(path)?;
    let (mut file, temp) = create_temporary(path).map_err(|e| write_error(path, e))?;
    let written = (|| {
        file.write_all(data)?;
        file.flush()?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(write_error(path, e));
    }
    // Make the rename itself durable; a failure here loses nothing already visible.
    if let Ok(dir) = File::open(directory_of(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Checks, without touching `path`, that [`write_atomic`] could write it now: the target is
/// not a directory and a temporary file can be created (and is removed again) in its
/// directory. Call it before long work whose result will be written.
///
/// ```
/// # #[cfg(feature = "report")] {
/// let dir = tempfile::tempdir()?;
/// assert!(chainplan::fsio::check_writable(&dir.path().join("out.csv")).is_ok());
/// assert!(chainplan::fsio::check_writable(&dir.path().join("no/such/dir/out.csv")).is_err());
/// assert!(chainplan::fsio::check_writable(dir.path()).is_err()); // a directory
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_writable(path: &Path) -> Result<()> {
    check_target(path)?;
    let (file, temp) = create_temporary(path).map_err(|e| write_error(path, e))?;
    drop(file);
    std::fs::remove_file(&temp).map_err(|e| write_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the target remains");
    }

    #[test]
    fn a_directory_is_not_a_target() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(write_atomic(Path::new(""), b"x").is_err());
    }
}
