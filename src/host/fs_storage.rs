//! [`Storage`] in a state directory: one file per key.
//!
//! * Each write replaces its file atomically: write `.<key>.tmp`, fsync it, rename
//!   it over `<key>`. [`Storage::flush`] fsyncs the directory, so renames before
//!   it are durable. Atomicity *across* keys is `store::Store::commit`'s job.
//! * The directory is locked (`.lock`, an exclusive OS file lock held while the
//!   [`DirStorage`] lives): a second process gets [`OpenError::InUse`] and the
//!   first keeps running untouched.
//! * Names starting with `.` (the lock, temporary files) are not keys; stale
//!   temporary files from an interrupted write are removed at open, and a write that
//!   fails removes its own (a full disk gets its space back).
//! * A state directory holds subscriber keys (K/OPc in the profile packages): it is
//!   created `0700` and every file in it `0600` (Unix).
//! * [`DirStorage::open_read_only`] inspects a directory without writing anything: a shared
//!   lock when the lock file exists and can be opened, none otherwise (a read-only
//!   directory, one never opened for writing); writes then fail.

use crate::platform::{Storage, is_valid_key};
use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

/// Name of the lock file inside a state directory.
pub const LOCK_FILE: &str = ".lock";

/// Why a state directory could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Another process holds the directory.
    InUse(PathBuf),
    /// The directory could not be created or read.
    Io(PathBuf, io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::InUse(dir) => {
                write!(f, "{}: state directory is in use by another veuicc process", dir.display())
            }
            OpenError::Io(dir, e) => write!(f, "{}: {e}", dir.display()),
        }
    }
}

impl std::error::Error for OpenError {}

/// A locked directory of state files.
#[derive(Debug)]
pub struct DirStorage {
    dir: PathBuf,
    /// Holds the lock while open: exclusive, or shared (read-only, if there is a lock file).
    _lock: Option<File>,
    read_only: bool,
}

/// Permission bits of the state directory and of its files (Unix).
pub const DIR_MODE: u32 = 0o700;
/// Permission bits of every file in a state directory (Unix).
pub const FILE_MODE: u32 = 0o600;

fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

impl DirStorage {
    /// Opens (creating if needed) the state directory `dir` and locks it.
    pub fn open(dir: impl AsRef<Path>) -> Result<DirStorage, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.is_dir() {
            create_private_dir(&dir).map_err(|e| OpenError::Io(dir.clone(), e))?;
        }
        DirStorage::open_existing(dir)
    }

    /// Opens and locks an existing state directory (for inspection: nothing is created).
    pub fn open_existing(dir: impl AsRef<Path>) -> Result<DirStorage, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        let io = |e| OpenError::Io(dir.clone(), e);
        if !dir.is_dir() {
            return Err(io(io::Error::new(io::ErrorKind::NotFound, "no such state directory")));
        }
        let lock = private_file(OpenOptions::new().create(true).truncate(false).write(true))
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(OpenError::InUse(dir)),
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        for entry in fs::read_dir(&dir).map_err(io)? {
            let name = entry.map_err(io)?.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") {
                fs::remove_file(dir.join(name.as_ref())).map_err(io)?;
            }
        }
        Ok(DirStorage { dir, _lock: Some(lock), read_only: false })
    }

    /// Opens an existing state directory for reading only (`veuicc state check`/`show`):
    /// nothing is created, removed or written, so a read-only directory opens too. Takes a
    /// shared lock on the lock file if there is one (a process serving the directory holds
    /// it exclusively: [`OpenError::InUse`]); without a lock file (or one this user cannot
    /// open), no lock. Every write, remove and flush then fails with `PermissionDenied`.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<DirStorage, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        let io = |e| OpenError::Io(dir.clone(), e);
        if !dir.is_dir() {
            return Err(io(io::Error::new(io::ErrorKind::NotFound, "no such state directory")));
        }
        let lock = match File::open(dir.join(LOCK_FILE)) {
            Ok(lock) => match lock.try_lock_shared() {
                Ok(()) => Some(lock),
                Err(TryLockError::WouldBlock) => return Err(OpenError::InUse(dir)),
                Err(TryLockError::Error(e)) => return Err(io(e)),
            },
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied) => None,
            Err(e) => return Err(io(e)),
        };
        Ok(DirStorage { dir, _lock: lock, read_only: true })
    }

    fn writable(&self) -> io::Result<()> {
        if self.read_only {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "state directory opened read-only"))
        } else {
            Ok(())
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, key: &str) -> io::Result<PathBuf> {
        if is_valid_key(key) && !key.starts_with('.') {
            Ok(self.dir.join(key))
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidInput, std::format!("invalid storage key {key:?}")))
        }
    }
}

impl Storage for DirStorage {
    type Error = io::Error;

    /// Each write goes to a temporary file that is fsynced and renamed: a power
    /// cut leaves the old or the new file, never a torn one.
    const ATOMIC_WRITES: bool = true;

    fn read(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.file(key)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        self.writable()?;
        let path = self.file(key)?;
        let tmp = self.dir.join(std::format!(".{key}.tmp"));
        let result = (|| {
            let mut f = private_file(OpenOptions::new().write(true).create(true).truncate(true)).open(&tmp)?;
            f.write_all(value)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            // A partial temporary file would hold the space a full disk needs back.
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn remove(&mut self, key: &str) -> io::Result<()> {
        self.writable()?;
        match fs::remove_file(self.file(key)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Every file name that is not hidden (hidden = lock and temporary files).
    /// Names that are not valid keys are returned too, so the store can name them as foreign.
    fn keys(&mut self) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                keys.push(name);
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.read_only {
            return Ok(());
        }
        File::open(&self.dir)?.sync_all()
    }
}
