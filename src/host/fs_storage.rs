//! [`Storage`] in a directory: one file per key, replaced atomically
//! (write a temporary file, fsync, rename over the key, fsync the directory).
//!
//! Atomicity across keys is the store's job (`store::Store::commit`); this
//! backend only promises that each single write is all-or-nothing and that
//! `flush` is a barrier.

use crate::platform::{Storage, is_valid_key};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

/// A directory of state files.
#[derive(Debug)]
pub struct DirStorage {
    dir: PathBuf,
}

impl DirStorage {
    /// Opens (creating if needed) the state directory `dir`.
    pub fn open(dir: impl AsRef<Path>) -> io::Result<DirStorage> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        Ok(DirStorage { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, key: &str) -> io::Result<PathBuf> {
        if is_valid_key(key) {
            Ok(self.dir.join(key))
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid storage key"))
        }
    }
}

impl Storage for DirStorage {
    type Error = io::Error;

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

    fn keys(&mut self) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            if let Some(name) = entry?.file_name().to_str().filter(|n| is_valid_key(n)) {
                keys.push(String::from(name));
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn flush(&mut self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}
