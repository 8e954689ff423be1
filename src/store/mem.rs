//! In-memory [`Storage`], with a simple power-cut switch for tests.

use crate::platform::{Storage, is_valid_key};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Errors of [`MemStorage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemStorageError {
    /// The key is not a valid storage key.
    InvalidKey,
    /// Power was cut (see [`MemStorage::cut_after_writes`]).
    PowerLost,
}

impl fmt::Display for MemStorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemStorageError::InvalidKey => f.write_str("invalid storage key"),
            MemStorageError::PowerLost => f.write_str("power lost"),
        }
    }
}

impl core::error::Error for MemStorageError {}

/// A `BTreeMap` storage. Every write is immediately durable, so `flush` is a no-op.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemStorage {
    files: BTreeMap<String, Vec<u8>>,
    /// Writes (and removes) still allowed before the power cut; `None` = no cut planned.
    writes_left: Option<usize>,
    torn: bool,
    dead: bool,
}

impl MemStorage {
    /// An empty storage.
    pub fn new() -> MemStorage {
        MemStorage::default()
    }

    /// Loses power at the write after the next `n`: that write fails (with
    /// `torn`, half of its bytes land first) and every later operation fails
    /// until [`MemStorage::restore_power`].
    pub fn cut_after_writes(&mut self, n: usize, torn: bool) {
        self.writes_left = Some(n);
        self.torn = torn;
    }

    /// Powers the medium up again; what was written stays.
    pub fn restore_power(&mut self) {
        self.writes_left = None;
        self.dead = false;
    }

    /// Total bytes stored.
    pub fn size(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    fn spend_write(&mut self) -> Result<(), MemStorageError> {
        if self.dead {
            return Err(MemStorageError::PowerLost);
        }
        match self.writes_left {
            Some(0) => {
                self.dead = true;
                Err(MemStorageError::PowerLost)
            }
            Some(n) => {
                self.writes_left = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Storage for MemStorage {
    type Error = MemStorageError;

    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, MemStorageError> {
        if self.dead {
            return Err(MemStorageError::PowerLost);
        }
        Ok(self.files.get(key).cloned())
    }

    fn write(&mut self, key: &str, value: &[u8]) -> Result<(), MemStorageError> {
        if !is_valid_key(key) {
            return Err(MemStorageError::InvalidKey);
        }
        if let Err(e) = self.spend_write() {
            if self.torn && self.dead {
                let half = value.get(..value.len() / 2).unwrap_or_default();
                self.files.insert(key.into(), half.to_vec());
                self.torn = false;
            }
            return Err(e);
        }
        self.files.insert(key.into(), value.to_vec());
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), MemStorageError> {
        self.spend_write()?;
        self.files.remove(key);
        Ok(())
    }

    fn keys(&mut self) -> Result<Vec<String>, MemStorageError> {
        if self.dead {
            return Err(MemStorageError::PowerLost);
        }
        Ok(self.files.keys().cloned().collect())
    }

    fn flush(&mut self) -> Result<(), MemStorageError> {
        if self.dead { Err(MemStorageError::PowerLost) } else { Ok(()) }
    }
}
