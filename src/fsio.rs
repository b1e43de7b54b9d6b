//! Safe file writes: every file chainplan writes goes through [`write_atomic`].
//!
//! The data goes to a new temporary file in the target's directory (its own name per writer,
//! created exclusively), is flushed to the disk, and is then renamed over the target. A rename
//! within one directory is atomic, so a reader sees the old file or the whole new one, never a
//! mix: a full disk, a killed process or an error leaves the old file as it was (and the
//! temporary file is removed), and two writers of the same file leave one of the two whole
//! files. [`check_writable`] tells before long work starts whether a write can succeed.
//!
//! A target that exists and is not a regular file is never replaced: a character device
//! (`/dev/null`, `/dev/full`, a terminal) or a FIFO is written in place, as a shell's `>`
//! would, and a FIFO that no process reads is refused instead of waited on; a block device or
//! a socket is refused.

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
    // At most 64 bytes (not characters: 64 four-byte characters would pass NAME_MAX).
    let mut stem = String::new();
    for c in name.chars() {
        if stem.len() + c.len_utf8() > 64 {
            break;
        }
        stem.push(c);
    }
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

/// What a target is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Nothing by that name yet.
    Absent,
    /// A regular file (or a link to one): replaced atomically.
    Regular,
    /// A character device or a FIFO (or a link to one): written in place.
    InPlace { fifo: bool },
}

/// What `path` names, refusing an empty name, a directory, a block device and a socket.
fn classify(path: &Path) -> Result<Target> {
    use std::os::unix::fs::FileTypeExt;
    let refuse = |why: &str| {
        Err(write_error(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_string()),
        ))
    };
    if path.as_os_str().is_empty() {
        return refuse("the file name is empty");
    }
    let kind = match std::fs::metadata(path) {
        Ok(meta) => meta.file_type(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Absent),
        Err(e) => return Err(write_error(path, e)),
    };
    if kind.is_file() {
        Ok(Target::Regular)
    } else if kind.is_dir() {
        refuse("it is a directory")
    } else if kind.is_char_device() {
        Ok(Target::InPlace { fifo: false })
    } else if kind.is_fifo() {
        Ok(Target::InPlace { fifo: true })
    } else if kind.is_block_device() {
        refuse("it is a block device, which chainplan does not write")
    } else {
        refuse("it is a socket or another special file, which chainplan does not write")
    }
}

/// Opens a device or FIFO for writing in place: without creating or truncating it, and
/// without waiting for a FIFO's reader (none is an error).
fn open_in_place(path: &Path, fifo: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .write(true)
        .custom_flags(nonblocking::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if fifo && e.raw_os_error() == Some(nonblocking::ENXIO) {
                std::io::Error::other("it is a FIFO that no process reads")
            } else {
                e
            }
        })?;
    nonblocking::clear(&file)?;
    Ok(file)
}

/// Opening without waiting (`O_NONBLOCK`), then writing with waiting again.
mod nonblocking {
    use std::ffi::c_int;
    use std::os::fd::AsRawFd;

    /// `O_NONBLOCK` of Linux on x86-64 and AArch64 (elsewhere 0: opening may wait).
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    pub const O_NONBLOCK: c_int = 0o4000;
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    pub const O_NONBLOCK: c_int = 0;
    /// "No such device or address": a FIFO opened without waiting has no reader.
    pub const ENXIO: i32 = 6;
    const F_GETFL: c_int = 3;
    const F_SETFL: c_int = 4;

    extern "C" {
        fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    }

    /// Clears `O_NONBLOCK` on `file`, so that writes wait for a slow reader.
    pub fn clear(file: &std::fs::File) -> std::io::Result<()> {
        if O_NONBLOCK == 0 {
            return Ok(());
        }
        let fd = file.as_raw_fd();
        // SAFETY: `fd` is open for as long as `file` lives; F_GETFL takes no argument.
        let flags = unsafe { fcntl(fd, F_GETFL) };
        if flags < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: as above; F_SETFL takes an int of flags.
        if unsafe { fcntl(fd, F_SETFL, flags & !O_NONBLOCK) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
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
    if let Target::InPlace { fifo } = classify(path)? {
        return open_in_place(path, fifo)
            .and_then(|mut file| file.write_all(data).and_then(|()| file.flush()))
            .map_err(|e| write_error(path, e));
    }
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

/// Checks, without changing what `path` holds, that [`write_atomic`] could write it now: the
/// target is not a directory (or a block device or socket); when it does not exist, a file
/// with a name of the same length can be created beside it (and is removed again), so that a
/// name too long for the file system is caught; a temporary file can be created (and is
/// removed) in its directory; a device or FIFO target can be opened for writing (a FIFO only
/// by its permissions: opening it would end its reader's input). Call it before long work
/// whose result will be written.
///
/// ```
/// # #[cfg(feature = "report")] {
/// let dir = tempfile::tempdir()?;
/// assert!(chainplan::fsio::check_writable(&dir.path().join("out.csv")).is_ok());
/// assert!(chainplan::fsio::check_writable(&dir.path().join("no/such/dir/out.csv")).is_err());
/// assert!(chainplan::fsio::check_writable(dir.path()).is_err()); // a directory
/// assert!(chainplan::fsio::check_writable(&dir.path().join("x".repeat(300))).is_err());
/// assert!(chainplan::fsio::check_writable(std::path::Path::new("/dev/null")).is_ok());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_writable(path: &Path) -> Result<()> {
    match classify(path)? {
        Target::InPlace { fifo: false } => {
            return open_in_place(path, false)
                .map(drop)
                .map_err(|e| write_error(path, e))
        }
        Target::InPlace { fifo: true } => return fifo_writable(path),
        Target::Absent => probe_name_length(path).map_err(|e| write_error(path, e))?,
        Target::Regular => {}
    }
    let (file, temp) = create_temporary(path).map_err(|e| write_error(path, e))?;
    drop(file);
    std::fs::remove_file(&temp).map_err(|e| write_error(path, e))
}

/// Checks that a file with a name as long as `path`'s (in bytes) can be created in its
/// directory, so that a name too long for the file system is refused before the work and not
/// at the final rename. The probe has a name of its own, created exclusively and removed: the
/// real name is never touched, since another writer may be renaming its file into place.
/// Names no longer than the temporary file's are covered by that file alone.
fn probe_name_length(path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let len = path.file_name().map_or(0, |n| n.as_bytes().len());
    let mut last = None;
    for _ in 0..16 {
        let mut probe = format!(
            ".{}.{}.probe",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        if len <= probe.len() + 64 {
            return Ok(());
        }
        while probe.len() < len {
            probe.push('x');
        }
        let probe = directory_of(path).join(probe);
        match OpenOptions::new().write(true).create_new(true).open(&probe) {
            Ok(_) => return std::fs::remove_file(&probe),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free probe file name")))
}

/// Whether this process may write the FIFO `path` (`access(2)` with `W_OK`).
fn fifo_writable(path: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    extern "C" {
        fn access(path: *const std::ffi::c_char, mode: std::ffi::c_int) -> std::ffi::c_int;
    }
    const W_OK: std::ffi::c_int = 2;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        write_error(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the name holds a NUL byte",
            ),
        )
    })?;
    // SAFETY: `name` is a NUL-terminated string that outlives the call; access only reads it.
    if unsafe { access(name.as_ptr(), W_OK) } != 0 {
        return Err(write_error(path, std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Most bytes of text the readers of chain files and standard input accept (256 MiB: over
/// 20 million dimensions), so that `/dev/zero` or an endless pipe is refused instead of
/// filling the memory.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Reads `reader` to its end as UTF-8 text, refusing (with `InvalidData`) more than `max`
/// bytes instead of reading on.
///
/// ```
/// let text = chainplan::fsio::read_bounded(&b"30 35 15"[..], 100)?;
/// assert_eq!(text, "30 35 15");
/// assert!(chainplan::fsio::read_bounded(std::io::repeat(b'7'), 1000).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_bounded(reader: impl std::io::Read, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it holds more than {max} bytes, more than any input chainplan reads"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// [`read_bounded`] of the file `path`.
pub fn read_file_bounded(path: &Path, max: u64) -> std::io::Result<String> {
    read_bounded(File::open(path)?, max)
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
    fn names_up_to_the_file_systems_limit_are_checked_and_written() {
        let dir = tempfile::tempdir().unwrap();
        // 255 bytes is the usual NAME_MAX; 60 four-byte characters are 240 bytes.
        for name in ["n".repeat(255), "😀".repeat(60), "é".repeat(127)] {
            let path = dir.path().join(&name);
            check_writable(&path).unwrap();
            assert!(
                !path.exists(),
                "the check leaves nothing under the real name"
            );
            write_atomic(&path, b"x").unwrap();
        }
        assert!(check_writable(&dir.path().join("n".repeat(256))).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_directory_is_not_a_target() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(write_atomic(Path::new(""), b"x").is_err());
    }
}
