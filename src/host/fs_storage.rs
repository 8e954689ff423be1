//! [`Storage`] in a state directory: one file per key.
//!
//! * Each write replaces its file atomically: write `.<key>.tmp`, fsync it, rename
//!   it over `<key>`. [`Storage::flush`] fsyncs the directory, so renames before
//!   it are durable. Atomicity *across* keys is `store::Store::commit`'s job.
//! * The directory is locked (`.lock`, an exclusive OS file lock held while the
//!   [`DirStorage`] lives): a second process gets [`OpenError::InUse`] and the
//!   first keeps running untouched.
//! * Names starting with `.` (the lock, temporary files) are not keys; stale
//!   temporary files from an interrupted write are removed at open.

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
    /// Holds the exclusive lock while open.
    _lock: File,
}

impl DirStorage {
    /// Opens (creating if needed) the state directory `dir` and locks it.
    pub fn open(dir: impl AsRef<Path>) -> Result<DirStorage, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| OpenError::Io(dir.clone(), e))?;
        DirStorage::open_existing(dir)
    }

    /// Opens and locks an existing state directory (for inspection: nothing is created).
    pub fn open_existing(dir: impl AsRef<Path>) -> Result<DirStorage, OpenError> {
        let dir = dir.as_ref().to_path_buf();
        let io = |e| OpenError::Io(dir.clone(), e);
        if !dir.is_dir() {
            return Err(io(io::Error::new(io::ErrorKind::NotFound, "no such state directory")));
        }
        let lock = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join(LOCK_FILE)).map_err(io)?;
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
        Ok(DirStorage { dir, _lock: lock })
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
        let path = self.file(key)?;
        let tmp = self.dir.join(std::format!(".{key}.tmp"));
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(value)?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    }

    fn remove(&mut self, key: &str) -> io::Result<()> {
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
        File::open(&self.dir)?.sync_all()
    }
}
