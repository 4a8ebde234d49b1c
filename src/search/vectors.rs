//! The passages' meaning vectors, kept beside the tantivy index (`vectors.bin`): one per
//! passage (`passage: ` + its questions and text) and one per question wording of it
//! (`query: `), which tells whether an FAQ answers *this* question.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, bail, ensure};
use indicatif::{ProgressBar, ProgressStyle};

use super::passage::Passage;
use super::recent::Recent;
use crate::embedding::{Embedder, Role, similarity};
use coarse::Coarse;

mod coarse;

const FILE: &str = "vectors.bin";
/// Version 2 added each passage's word-piece states.
const MAGIC: &[u8; 8] = b"SHKVEC02";

/// Vectors of every passage, by its position in the index.
pub struct Vectors {
    dim: usize,
    /// `[passage][dim]`.
    passages: Vec<f32>,
    /// Per passage, its question wordings' vectors, `[question][dim]`.
    questions: Vec<Vec<f32>>,
    /// Per passage, the states of its words' pieces (its questions and text), `[piece][dim]`,
    /// in half precision: what the judge compares a question's words with.
    tokens: Vec<Vec<half::f16>>,
    /// Every vector in 8 bits, for [`Vectors::nearest`]'s quick pass.
    coarse: OnceLock<Coarse>,
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
            tokens: Vec::with_capacity(passages.len()),
            coarse: OnceLock::new(),
        };
        for p in passages {
            let whole = format!("{}\n{}", p.questions, p.text);
            vectors
                .passages
                .extend(embedder.embed_cached(&whole, Role::Passage)?);
            // The pieces an English question's words find their counterparts among too.
            let read = format!("{}\n{}\n{}", p.questions, p.text, p.english);
            let (_, tokens) = embedder.embed_tokens_cached(read.trim_end(), Role::Passage)?;
            vectors
                .tokens
                .push(tokens.into_iter().map(half::f16::from_f32).collect());
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

    /// Vectors made otherwise (the benchmark's synthetic passages): `passages` is
    /// `[passage][dim]`; no question wordings.
    pub fn of_passages(dim: usize, passages: Vec<f32>) -> Vectors {
        let n = passages.len() / dim.max(1);
        Vectors {
            dim,
            passages,
            questions: vec![Vec::new(); n],
            tokens: vec![Vec::new(); n],
            coarse: OnceLock::new(),
        }
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

    /// Passage `ord`'s word-piece states, `[piece][dim]` (none for vectors made otherwise).
    pub fn tokens(&self, ord: usize) -> &[half::f16] {
        &self.tokens[ord]
    }

    /// Passage `ord`'s own vector, and the vector of its question wording nearest to
    /// `query` (its own, when it has no wordings).
    pub fn nearest_wording(&self, query: &[f32], ord: usize) -> (&[f32], &[f32]) {
        let d = self.dim;
        let own = &self.passages[ord * d..(ord + 1) * d];
        let nearest = self.questions[ord]
            .chunks_exact(d)
            .max_by(|a, b| similarity(query, a).total_cmp(&similarity(query, b)))
            .unwrap_or(own);
        (own, nearest)
    }

    /// Passages by closeness to `query`, best first, at most `limit` (ties by position).
    ///
    /// A quick pass over every passage's 8-bit vectors ([`Coarse`]), on two threads for a
    /// large knowledge base, finds the few that can be among the best; only those are
    /// scored as [`Vectors::closeness`] scores, so the result is the same as scoring every
    /// passage that way, in a fraction of the time.
    pub fn nearest(&self, query: &[f32], limit: usize) -> Vec<(usize, Closeness)> {
        let key = |c: &Closeness| c.passage.max(c.question);
        let candidates: Vec<usize> = if limit == 0 || self.len() <= limit {
            (0..self.len()).collect()
        } else {
            let coarse = self.coarse();
            let quick = coarse.quick(query);
            let mut sorted = quick.clone();
            let (_, kth, _) = sorted.select_nth_unstable_by(limit - 1, |a, b| b.total_cmp(a));
            // Each quick score is within `error` of its exact score, so a passage among the
            // exact best `limit` scores at least the quick k-th best less twice the error.
            let bound = *kth - 2.0 * coarse.error(query);
            (0..quick.len())
                .filter(|&ord| quick[ord] >= bound)
                .collect()
        };
        let mut best: Vec<(usize, Closeness)> = candidates
            .into_iter()
            .map(|ord| (ord, self.closeness(query, ord)))
            .collect();
        best.sort_by(|a, b| key(&b.1).total_cmp(&key(&a.1)).then(a.0.cmp(&b.0)));
        best.truncate(limit);
        best
    }

    /// The 8-bit vectors, made the first time they are needed.
    fn coarse(&self) -> &Coarse {
        self.coarse.get_or_init(|| Coarse::of(self))
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
        for ts in &self.tokens {
            out.extend_from_slice(&((ts.len() / self.dim) as u32).to_le_bytes());
            for t in ts {
                out.extend_from_slice(&t.to_le_bytes());
            }
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
        let mut tokens = Vec::with_capacity(n);
        for _ in 0..n {
            let count = r.u32()? as usize;
            tokens.push(
                r.take(count * dim * 2)?
                    .chunks_exact(2)
                    .map(|b| half::f16::from_le_bytes([b[0], b[1]]))
                    .collect(),
            );
        }
        ensure!(r.at == bytes.len(), "{} has trailing bytes", path.display());
        Ok(Vectors {
            dim,
            passages,
            questions,
            tokens,
            coarse: OnceLock::new(),
        })
    }
}

/// The embedder and the vectors it made: what dense retrieval needs.
pub struct Dense {
    pub embedder: Arc<Embedder>,
    pub vectors: Vectors,
    /// Recent questions' vectors: embedding is most of a new question's retrieval, and
    /// questions come again (an answer and its related questions, `ask --explain`, the
    /// same question from many users).
    recent: Recent<Arc<QueryVectors>>,
}

/// A question's vector, and the states of its words' pieces (`[piece][dim]`), from one
/// pass of the model.
pub struct QueryVectors {
    pub vector: Vec<f32>,
    pub tokens: Vec<f32>,
}

/// Question vectors kept, per generation ([`Recent`]): about 25 KB each with their
/// pieces' states.
const RECENT: usize = 1024;

impl Dense {
    pub fn new(embedder: Arc<Embedder>, vectors: Vectors) -> Dense {
        // Made now, not on a user's first question.
        let _ = vectors.coarse();
        Dense {
            embedder,
            vectors,
            recent: Recent::new(RECENT),
        }
    }

    /// The question's vectors, embedded once for a question asked again.
    pub fn query(&self, question: &str) -> Result<Arc<QueryVectors>> {
        self.recent.get_or_try(question, || {
            let (vector, tokens) = self.embedder.embed_tokens(question, Role::Query)?;
            Ok(Arc::new(QueryVectors { vector, tokens }))
        })
    }

    /// Forgets the questions' vectors (the benchmark's "new question").
    pub fn forget(&self) {
        self.recent.clear();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::normalize;
    use crate::llm::generate::XorShift;

    /// A random vector of length 1.
    fn unit_vector(rng: &mut XorShift, n: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n)
            .map(|_| rng.below(2001) as f32 / 1000.0 - 1.0)
            .collect();
        normalize(&mut v);
        v
    }

    /// Every passage scored exactly, then sorted: what `nearest` must give.
    fn every_passage(v: &Vectors, query: &[f32], limit: usize) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = (0..v.len())
            .map(|ord| {
                let c = v.closeness(query, ord);
                (ord, c.passage.max(c.question))
            })
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        all.truncate(limit);
        all
    }

    #[test]
    fn the_quick_pass_finds_exactly_the_best_passages() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        let dim = 384;
        let mut random = |n: usize| unit_vector(&mut rng, n);
        let base: Vec<Vec<f32>> = (0..50).map(|_| random(dim)).collect();
        // 3,000 passages, many of them the same vector or nearly: ties and near-ties.
        let mut passages = Vec::new();
        for i in 0..3_000 {
            let mut v = base[i % base.len()].clone();
            if i % 3 == 0 {
                v[i % dim] += 1e-6;
            }
            passages.extend(v);
        }
        let mut vectors = Vectors::of_passages(dim, passages);
        vectors.questions[7] = random(dim).into_iter().chain(random(dim)).collect();
        // Queries that are passages' own vectors, then random ones.
        let queries: Vec<Vec<f32>> = base[..10]
            .iter()
            .cloned()
            .chain((0..10).map(|_| random(dim)))
            .collect();
        for (q, query) in queries.iter().enumerate() {
            for limit in [1, 8, 32, 200] {
                let got: Vec<(usize, f32)> = vectors
                    .nearest(query, limit)
                    .into_iter()
                    .map(|(ord, c)| (ord, c.passage.max(c.question)))
                    .collect();
                assert_eq!(
                    got,
                    every_passage(&vectors, query, limit),
                    "query {q}, limit {limit}"
                );
            }
        }
    }

    /// Past [`coarse::PARALLEL_FROM`] vectors the quick pass runs on two threads: the same result.
    #[test]
    fn the_quick_pass_on_two_threads_finds_exactly_the_best_passages() {
        let mut rng = XorShift(0x0fed_cba9_8765_4321);
        let dim = 384;
        let mut random = |n: usize| unit_vector(&mut rng, n);
        let n = coarse::PARALLEL_FROM + 1_000;
        let passages: Vec<f32> = (0..n).flat_map(|_| random(dim)).collect();
        let vectors = Vectors::of_passages(dim, passages);
        for q in 0..4 {
            // Near a passage of each half, and anywhere.
            let query = match q {
                0 => vectors.passages[10 * dim..11 * dim].to_vec(),
                1 => vectors.passages[(n - 3) * dim..(n - 2) * dim].to_vec(),
                _ => random(dim),
            };
            let got: Vec<(usize, f32)> = vectors
                .nearest(&query, 8)
                .into_iter()
                .map(|(ord, c)| (ord, c.passage.max(c.question)))
                .collect();
            assert_eq!(got, every_passage(&vectors, &query, 8), "query {q}");
        }
    }
}
