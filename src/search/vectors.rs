//! The passages' meaning vectors, kept beside the tantivy index (`vectors.bin`): one per
//! passage (`passage: ` + its questions and text) and one per question wording of it
//! (`query: `), which tells whether an FAQ answers *this* question.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail, ensure};
use indicatif::{ProgressBar, ProgressStyle};

use super::index::Passage;
use crate::embedding::{Embedder, Role, similarity};

const FILE: &str = "vectors.bin";
const MAGIC: &[u8; 8] = b"SHKVEC01";

/// Vectors of every passage, by its position in the index.
pub struct Vectors {
    dim: usize,
    /// `[passage][dim]`.
    passages: Vec<f32>,
    /// Per passage, its question wordings' vectors, `[question][dim]`.
    questions: Vec<Vec<f32>>,
}

/// How close a question is to one passage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Closeness {
    /// To the passage as a whole.
    pub passage: f32,
    /// To the nearest of its own question wordings.
    pub question: f32,
}

impl Vectors {
    /// Embeds every passage and its question wordings, with a progress bar on a terminal.
    pub fn embed(embedder: &Embedder, passages: &[Passage]) -> Result<Vectors> {
        let bar = ProgressBar::new(passages.len() as u64).with_style(
            ProgressStyle::with_template("embedding passages {bar:30} {pos}/{len} {eta}")
                .expect("a valid template"),
        );
        let mut vectors = Vectors {
            dim: embedder.dim(),
            passages: Vec::with_capacity(passages.len() * embedder.dim()),
            questions: Vec::with_capacity(passages.len()),
        };
        for p in passages {
            let whole = format!("{}\n{}", p.questions, p.text);
            vectors
                .passages
                .extend(embedder.embed_cached(&whole, Role::Passage)?);
            let mut qs = Vec::new();
            let wordings = p.questions.lines().chain(p.english.lines());
            for line in wordings.filter(|l| !l.trim().is_empty()) {
                qs.extend(embedder.embed_cached(line, Role::Query)?);
            }
            vectors.questions.push(qs);
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok(vectors)
    }

    pub fn len(&self) -> usize {
        self.questions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    /// How close `query` (a question's vector) is to passage `ord`.
    pub fn closeness(&self, query: &[f32], ord: usize) -> Closeness {
        let d = self.dim;
        let passage = similarity(query, &self.passages[ord * d..(ord + 1) * d]);
        let question = self.questions[ord]
            .chunks_exact(d)
            .map(|q| similarity(query, q))
            .fold(f32::MIN, f32::max)
            .max(passage);
        Closeness { passage, question }
    }

    /// Passages by closeness to `query`, best first, at most `limit`.
    pub fn nearest(&self, query: &[f32], limit: usize) -> Vec<(usize, Closeness)> {
        let mut all: Vec<(usize, Closeness)> = (0..self.len())
            .map(|ord| (ord, self.closeness(query, ord)))
            .collect();
        let key = |c: &Closeness| c.passage.max(c.question);
        all.sort_by(|a, b| key(&b.1).total_cmp(&key(&a.1)));
        all.truncate(limit);
        all
    }

    pub fn save(&self, dir: &Path, model: &str) -> Result<()> {
        let mut out = Vec::with_capacity(16 + 4 * self.passages.len());
        out.extend_from_slice(MAGIC);
        put_str(&mut out, model);
        out.extend_from_slice(&(self.dim as u32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        put_floats(&mut out, &self.passages);
        for qs in &self.questions {
            out.extend_from_slice(&((qs.len() / self.dim) as u32).to_le_bytes());
            put_floats(&mut out, qs);
        }
        let path = dir.join(FILE);
        std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))
    }

    /// The vectors in `dir` if they were made by `model` for `passages` passages.
    pub fn load(dir: &Path, model: &str, passages: usize) -> Result<Vectors> {
        let path = dir.join(FILE);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut r = Reader {
            bytes: &bytes,
            at: 0,
        };
        ensure!(
            r.take(MAGIC.len())? == MAGIC,
            "{} is not a vectors file",
            path.display()
        );
        let made_by = r.string()?;
        if made_by != model {
            bail!("{} was made by {made_by}, not {model}", path.display());
        }
        let dim = r.u32()? as usize;
        let n = r.u32()? as usize;
        ensure!(
            n == passages,
            "{} has {n} passages, the index {passages}",
            path.display()
        );
        let passages = r.floats(n * dim)?;
        let mut questions = Vec::with_capacity(n);
        for _ in 0..n {
            let count = r.u32()? as usize;
            questions.push(r.floats(count * dim)?);
        }
        ensure!(r.at == bytes.len(), "{} has trailing bytes", path.display());
        Ok(Vectors {
            dim,
            passages,
            questions,
        })
    }
}

/// The embedder and the vectors it made: what dense retrieval needs.
pub struct Dense {
    pub embedder: Arc<Embedder>,
    pub vectors: Vectors,
    /// The latest questions' vectors: an answer and its related questions, or `ask
    /// --explain`, retrieve for the same question twice.
    recent: Mutex<Vec<(String, Arc<Vec<f32>>)>>,
}

/// Question vectors kept in `Dense::recent`.
const RECENT: usize = 16;

impl Dense {
    pub fn new(embedder: Arc<Embedder>, vectors: Vectors) -> Dense {
        Dense {
            embedder,
            vectors,
            recent: Mutex::default(),
        }
    }

    /// The question's vector, embedded once for a question asked again soon.
    pub fn query(&self, question: &str) -> Result<Arc<Vec<f32>>> {
        let found = |recent: &Vec<(String, Arc<Vec<f32>>)>| {
            recent
                .iter()
                .find(|(q, _)| q == question)
                .map(|(_, v)| v.clone())
        };
        if let Some(v) = self.recent.lock().ok().and_then(|r| found(&r)) {
            return Ok(v);
        }
        let v = Arc::new(self.embedder.query(question)?);
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() == RECENT {
                recent.remove(0);
            }
            recent.push((question.to_string(), v.clone()));
        }
        Ok(v)
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_floats(out: &mut Vec<u8>, v: &[f32]) {
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at + n;
        ensure!(end <= self.bytes.len(), "truncated vectors file");
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn string(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        Ok(String::from_utf8(self.take(n)?.to_vec())?)
    }
    fn floats(&mut self, n: usize) -> Result<Vec<f32>> {
        Ok(self
            .take(n * 4)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect())
    }
}
