//! Passage vectors kept on disk by content, so that an index is rebuilt (a release
//! published, a server started on a new data folder) by embedding only the passages that
//! changed. One file per vector, named by the SHA-256 of the model, the role and the text;
//! written whole under a temporary name, then renamed, so readers never see half a file.
//! Questions users ask are never cached.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::Role;

pub struct VectorCache {
    dir: PathBuf,
}

impl VectorCache {
    pub fn new(dir: &Path) -> VectorCache {
        VectorCache {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, model: &str, role: Role, text: &str) -> PathBuf {
        self.path_of(model, role as u8, text)
    }

    /// A text's token states are kept beside its vector, under another tag.
    fn rows_path(&self, model: &str, role: Role, text: &str) -> PathBuf {
        self.path_of(model, 0x10 | role as u8, text)
    }

    fn path_of(&self, model: &str, tag: u8, text: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(model.as_bytes());
        h.update([0, tag, 0]);
        h.update(text.as_bytes());
        self.dir.join(format!("{:x}.f32", h.finalize()))
    }

    /// Cached rows of `dim` values (a text's token states), if the file is whole.
    pub fn get_rows(&self, model: &str, role: Role, text: &str, dim: usize) -> Option<Vec<f32>> {
        let bytes = std::fs::read(self.rows_path(model, role, text)).ok()?;
        (bytes.len() % (dim * 4) == 0).then(|| floats(&bytes))
    }

    pub fn put_rows(&self, model: &str, role: Role, text: &str, rows: &[f32]) -> Result<()> {
        self.write(self.rows_path(model, role, text), rows)
    }

    /// The cached vector, if there is a whole one of `dim` values.
    pub fn get(&self, model: &str, role: Role, text: &str, dim: usize) -> Option<Vec<f32>> {
        let bytes = std::fs::read(self.path(model, role, text)).ok()?;
        (bytes.len() == dim * 4).then(|| floats(&bytes))
    }

    pub fn put(&self, model: &str, role: Role, text: &str, vector: &[f32]) -> Result<()> {
        self.write(self.path(model, role, text), vector)
    }

    fn write(&self, path: PathBuf, vector: &[f32]) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        file.write_all(&bytes)?;
        file.persist(path).context("storing a cached vector")?;
        Ok(())
    }
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect()
}
