//! Training the answerability judge (`shikaku judge train`) on the labelled questions of
//! `training/answerability/`, and checking a trained one (`shikaku judge check`).
//!
//! Every question is retrieved as answering retrieves it; each of its candidates becomes a
//! row of features labelled by whether that passage answers it. Questions are split, by a
//! seeded hash, into training, calibration and two validation sets the training never
//! sees: questions by themselves, and every question about a set of whole FAQs held out
//! (editors add FAQs; the judge must judge a new one without retraining). The network is
//! fitted with AdamW; Platt scaling on the calibration set makes its output a probability;
//! the threshold is the one that does best there, a wrong answer costing three declines.

mod answered;
mod cache;
mod fit;
mod splits;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::assistant::Assistant;
use crate::judge::corpus::{Corpus, Labelled, passage_name};
use crate::judge::memory::{Labels, Memory};
use crate::judge::{CARD, Card, Figures, Judge, MEMORY, Provenance, SplitFigures, WEIGHTS};
use crate::knowledge::KnowledgeBase;
pub use answered::as_answered;
use splits::{Split, Splits};

/// What the candidates' features depend on: the corpus, the knowledge base, the embedding
/// model, the features' version and the split's seed.
fn cache_key(assistant: &Assistant, kb: &KnowledgeBase, corpus: &Corpus, seed: u64) -> String {
    format!(
        "{}:{}:{}:{}:{}:{seed}",
        EXAMPLES_VERSION,
        corpus.sha256,
        crate::search::index::fingerprint(kb),
        assistant.embedder_name().unwrap_or_default(),
        crate::judge::features::FEATURE_VERSION
    )
}

/// Changes when how the examples are made changes (what the cache holds is made again).
const EXAMPLES_VERSION: u32 = 2;

/// What `judge train` is told.
pub struct Options {
    /// `training/answerability`.
    pub corpus: PathBuf,
    /// Where the judge is written (`models`).
    pub out: PathBuf,
    pub seed: u64,
    pub epochs: usize,
    pub hidden: usize,
    pub weight_decay: f64,
    /// Share of the features dropped at each step (regularisation).
    pub dropout: f32,
    /// Where the candidates' features are kept between runs (they take minutes to make).
    pub cache: PathBuf,
    /// The command line, for the provenance.
    pub command: String,
}

/// What a wrong answer (a question nothing answers answered, or one answered with another
/// question's passage) costs, against an answer declined: a confident wrong answer from a
/// government helpdesk is worse than "not in the sources".
pub const COST_OF_A_WRONG_ANSWER: f64 = 3.0;

/// One candidate of a question: its passage, its features, whether it answers.
pub(crate) struct Row {
    passage: String,
    features: Vec<f32>,
    answers: bool,
}

/// A question with its candidates' rows.
pub(crate) struct Example {
    split: Split,
    answerable: bool,
    rows: Vec<Row>,
}

impl Example {
    /// Its candidates' feature rows, as the network takes them.
    fn features(&self) -> Vec<Vec<f32>> {
        self.rows.iter().map(|r| r.features.clone()).collect()
    }
}

/// The passages of `kb`, by position, as the corpus names them.
fn passage_names(kb: &KnowledgeBase) -> Vec<String> {
    crate::search::passage::passages(kb)
        .iter()
        .map(|p| passage_name(&p.doc_id, p.section_id.as_deref()))
        .collect()
}

/// Every labelled question remembered: their vectors as answering reads them, their
/// labels and whether each trains, with a progress bar; and, for each training question,
/// its place in the memory of the training questions alone.
fn remember(
    assistant: &Assistant,
    corpus: &Corpus,
    splits: &Splits,
    dim: usize,
) -> Result<(Memory, Vec<Option<usize>>)> {
    let bar = ProgressBar::new(corpus.questions.len() as u64).with_style(
        ProgressStyle::with_template("remembering the questions {bar:30} {pos}/{len} {eta}")
            .expect("a valid template"),
    );
    let (mut vectors, mut labels, mut places) = (Vec::new(), Labels::default(), Vec::new());
    let mut trained = 0;
    for q in &corpus.questions {
        bar.inc(1);
        let Some(v) = assistant.question_vector_for(&q.question)? else {
            bail!("the judge reads meaning vectors: the embedding model must be on");
        };
        let trains = splits.of(q) == Split::Train;
        places.push(trains.then_some(trained));
        trained += usize::from(trains);
        vectors.extend(v);
        labels.answers.push(q.answers.clone());
        labels.written_for.push(q.written_for.clone());
        labels.trained.push(trains);
    }
    bar.finish_and_clear();
    Ok((Memory::new(dim, vectors, labels)?, places))
}

/// Reads the corpus and makes every question's rows: its candidates as answering retrieves
/// them, judged with `memory` (a training question's own place left out), with a progress
/// bar.
fn examples(
    assistant: &Assistant,
    corpus: &Corpus,
    splits: &Splits,
    names: &[String],
    dim: usize,
    memory: &Memory,
    places: &[Option<usize>],
) -> Result<Vec<Example>> {
    let bar = ProgressBar::new(corpus.questions.len() as u64).with_style(
        ProgressStyle::with_template("reading the questions {bar:30} {pos}/{len} {eta}")
            .expect("a valid template"),
    );
    let mut out = Vec::with_capacity(corpus.questions.len());
    for (i, q) in corpus.questions.iter().enumerate() {
        let split = splits.of(q);
        let skip = places.get(i).copied().flatten();
        // Some training questions are read as if what answers them had been written after
        // the training: the judge learns to judge an FAQ it remembers nothing of.
        let forgotten;
        let (memory, skip) = match split == Split::Train && splits.forgets(q) {
            true => {
                let mut passages = q.answers.clone();
                passages.push(q.written_for.clone());
                forgotten = memory.without(&passages, skip);
                (&forgotten, None)
            }
            false => (memory, skip),
        };
        let (hits, rows) =
            assistant.candidate_features_for(&q.question, &[], dim, Some((memory, skip)))?;
        let rows = hits
            .iter()
            .zip(rows)
            .map(|(h, features)| {
                let passage = names[h.ord].clone();
                Row {
                    answers: q.answers.contains(&passage),
                    passage,
                    features,
                }
            })
            // The training never sees a held-out FAQ, not even as another question's
            // candidate.
            .filter(|r| split != Split::Train || !splits.held_out(&r.passage))
            .collect();
        out.push(Example {
            split,
            answerable: !q.answers.is_empty(),
            rows,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// What the judge's decision comes to on `examples` of `split`, given each row's
/// probability: answered with the likeliest candidate when it reaches `threshold`.
fn decide(
    examples: &[Example],
    probabilities: &[Vec<f32>],
    split: Split,
    threshold: f32,
) -> SplitFigures {
    let mut f = SplitFigures::default();
    for (e, ps) in examples.iter().zip(probabilities) {
        if e.split != split {
            continue;
        }
        let best = e
            .rows
            .iter()
            .zip(ps)
            .max_by(|a, b| a.1.total_cmp(b.1))
            .filter(|(_, p)| **p >= threshold);
        f.count(e.answerable, best.map(|(row, _)| row.answers));
    }
    f
}

/// The figures of the three held-out splits.
fn figures_of(examples: &[Example], probabilities: &[Vec<f32>], threshold: f32) -> Figures {
    Figures {
        by_question: decide(examples, probabilities, Split::ByQuestion, threshold),
        by_faq: decide(examples, probabilities, Split::ByFaq, threshold),
        calibration: decide(examples, probabilities, Split::Calibration, threshold),
    }
}

/// Trains a judge and writes it to `options.out` (weights, card, digest); returns its card.
pub fn train(assistant: &Assistant, kb: &KnowledgeBase, options: &Options) -> Result<Card> {
    let names = passage_names(kb);
    let corpus = Corpus::read(&options.corpus, &names.iter().cloned().collect())?;
    let dim = assistant.vector_dim();
    if dim == 0 {
        bail!(
            "the judge reads meaning vectors: the embedding model must be on (scripts/fetch-model.sh)"
        );
    }
    let splits = Splits::new(options.seed, &names, kb);
    // Trained and measured with the training questions' memory; answers with all of it.
    let (memory, places) = remember(assistant, &corpus, &splits, dim)?;
    let training_memory = memory.trained_only();
    let key = cache_key(assistant, kb, &corpus, options.seed);
    let examples = match cache::read(&options.cache, &key) {
        Some(examples) => examples,
        None => {
            let made = examples(
                assistant,
                &corpus,
                &splits,
                &names,
                dim,
                &training_memory,
                &places,
            )?;
            cache::write(&options.cache, &key, &made)?;
            made
        }
    };
    let train_rows: Vec<(&[f32], bool)> = examples
        .iter()
        .filter(|e| e.split == Split::Train)
        .flat_map(|e| e.rows.iter().map(|r| (r.features.as_slice(), r.answers)))
        .collect();
    for split in [Split::Calibration, Split::ByQuestion, Split::ByFaq] {
        let answerable: Vec<&Example> = examples
            .iter()
            .filter(|e| e.split == split && e.answerable)
            .collect();
        let first = answerable
            .iter()
            .filter(|e| e.rows.first().is_some_and(|r| r.answers))
            .count();
        let any = answerable
            .iter()
            .filter(|e| e.rows.iter().any(|r| r.answers))
            .count();
        eprintln!(
            "{split:?}: retrieval puts an answering passage first for {first} of {} answerable questions, among its candidates for {any}",
            answerable.len()
        );
    }
    eprintln!(
        "{} questions: {} rows to train on; {} held-out FAQs",
        corpus.questions.len(),
        train_rows.len(),
        splits.held_out_count()
    );
    let watch_rows: Vec<(&[f32], bool)> = examples
        .iter()
        .filter(|e| e.split == Split::Calibration)
        .flat_map(|e| e.rows.iter().map(|r| (r.features.as_slice(), r.answers)))
        .collect();
    let fitted = fit::fit(
        &train_rows,
        &watch_rows,
        crate::judge::features::width(dim),
        options.hidden,
        &memory,
        options,
    )?;
    let logits: Vec<Vec<f32>> = examples
        .iter()
        .map(|e| fitted.logits(&e.features()))
        .collect::<Result<_>>()?;
    let calibration_pairs: Vec<(f32, bool)> = examples
        .iter()
        .zip(&logits)
        .filter(|(e, _)| e.split == Split::Calibration)
        .flat_map(|(e, ls)| ls.iter().zip(&e.rows).map(|(l, r)| (*l, r.answers)))
        .collect();
    let (a, b) = fit::platt(&calibration_pairs);
    let (lo, hi) = calibration_pairs
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), (l, _)| {
            (lo.min(*l), hi.max(*l))
        });
    eprintln!("calibration logits from {lo:.2} to {hi:.2}: a {a:.3}, b {b:.3}");
    let probabilities: Vec<Vec<f32>> = logits
        .iter()
        .map(|ls| {
            ls.iter()
                .map(|l| crate::judge::calibrated(*l, a, b))
                .collect()
        })
        .collect();
    let threshold = choose_threshold(&examples, &probabilities);
    let sure_threshold = choose_sure_threshold(&examples, &probabilities).max(threshold);
    let figures = figures_of(&examples, &probabilities, threshold);
    let quick: Vec<bool> = corpus
        .questions
        .iter()
        .map(|q| splits.quick_check(q))
        .collect();
    let keep = |i: &usize| quick[*i];
    let (quick_examples, quick_probabilities): (Vec<Example>, Vec<Vec<f32>>) = examples
        .into_iter()
        .zip(probabilities)
        .enumerate()
        .filter(|(i, _)| keep(i))
        .map(|(_, pair)| pair)
        .unzip();
    let quick_figures = figures_of(&quick_examples, &quick_probabilities, threshold);
    let card = Card {
        feature_version: crate::judge::features::FEATURE_VERSION,
        dim,
        hidden: options.hidden,
        calibration_a: a,
        calibration_b: b,
        threshold,
        sure_threshold,
        provenance: Provenance {
            data_sha256: corpus.sha256.clone(),
            questions: corpus.questions.len(),
            command: options.command.clone(),
            seed: options.seed,
            epochs: options.epochs,
            embedder: assistant.embedder_name().unwrap_or_default().to_string(),
            knowledge: crate::search::index::fingerprint(kb),
            trained_on: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        },
        figures,
        quick_figures,
    };
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("creating {}", options.out.display()))?;
    let weights = options.out.join(WEIGHTS);
    fitted.save(&weights)?;
    record_digest(&weights)?;
    let remembered = options.out.join(MEMORY);
    std::fs::write(&remembered, serde_json::to_string(memory.labels())?)
        .with_context(|| format!("writing {}", remembered.display()))?;
    record_digest(&remembered)?;
    std::fs::write(options.out.join(CARD), toml::to_string_pretty(&card)?)
        .with_context(|| format!("writing {}", options.out.join(CARD).display()))?;
    Ok(card)
}

/// The threshold (in steps of 0.01) that does best on the calibration set: questions
/// answered right, less [`COST_OF_A_WRONG_ANSWER`] for each answered wrongly (nothing
/// answers it, or the passage answers another question). The highest of equals.
fn choose_threshold(examples: &[Example], probabilities: &[Vec<f32>]) -> f32 {
    let value = |t: f32| {
        let f = decide(examples, probabilities, Split::Calibration, t);
        f.answered_right as f64
            - COST_OF_A_WRONG_ANSWER * (f.answered_wrong + f.answered_anyway) as f64
    };
    (1..100)
        .map(|i| i as f32 / 100.0)
        .fold((0.99f32, f64::MIN), |(best, v), t| {
            let here = value(t);
            if here >= v { (t, here) } else { (best, v) }
        })
        .0
}

/// Of the answers the judge gives on its own (retrieval chose another passage, or none),
/// at most this share may be wrong on the calibration set.
pub const SURE_ERROR: f64 = 0.03;

/// The lowest threshold (in steps of 0.01) at which the judge's own choices on the
/// calibration set are wrong at most [`SURE_ERROR`] of the time: when the judge overrules
/// retrieval, it must be sure.
fn choose_sure_threshold(examples: &[Example], probabilities: &[Vec<f32>]) -> f32 {
    (1..100)
        .map(|i| i as f32 / 100.0)
        .find(|t| {
            let f = decide(examples, probabilities, Split::Calibration, *t);
            let given = f.answered_right + f.answered_wrong + f.answered_anyway;
            given > 0 && (f.answered_wrong + f.answered_anyway) as f64 <= SURE_ERROR * given as f64
        })
        .unwrap_or(0.99)
}

/// Writes (or replaces) the weights' line in `SHA256SUMS` beside them.
fn record_digest(weights: &Path) -> Result<()> {
    let name = weights
        .file_name()
        .context("the weights' file name")?
        .to_string_lossy()
        .into_owned();
    let sums = weights.with_file_name(crate::integrity::DIGESTS);
    let listed = std::fs::read_to_string(&sums).unwrap_or_default();
    let digest = crate::integrity::sha256_of(weights)?;
    let mut lines: Vec<String> = listed
        .lines()
        .filter(|l| l.split_whitespace().nth(1) != Some(name.as_str()))
        .map(str::to_string)
        .collect();
    lines.push(format!("{digest}  {name}"));
    std::fs::write(&sums, lines.join("\n") + "\n")
        .with_context(|| format!("writing {}", sums.display()))
}

/// The committed judge's figures, made again: the validation splits' questions retrieved
/// and judged as answering would. What `judge check` and the tests compare with the card.
/// With `quick`, only the quarter of them the card's `quick_figures` count.
pub fn check(
    assistant: &Assistant,
    kb: &KnowledgeBase,
    corpus_dir: &Path,
    judge: &Judge,
    quick: bool,
) -> Result<Figures> {
    let names = passage_names(kb);
    let corpus = Corpus::read(corpus_dir, &names.iter().cloned().collect())?;
    let card = judge.card();
    if corpus.sha256 != card.provenance.data_sha256 {
        bail!(
            "the corpus changed since the judge was trained ({} ≠ {}): train it again",
            corpus.sha256,
            card.provenance.data_sha256
        );
    }
    let splits = Splits::new(card.provenance.seed, &names, kb);
    let wanted: Vec<Labelled> = corpus
        .questions
        .iter()
        .filter(|q| match quick {
            true => splits.quick_check(q),
            false => splits.of(q) != Split::Train,
        })
        .cloned()
        .collect();
    let subset = Corpus {
        questions: wanted,
        sha256: corpus.sha256.clone(),
    };
    let places = vec![None; subset.questions.len()];
    let examples = examples(
        assistant,
        &subset,
        &splits,
        &names,
        judge.dim(),
        &judge.memory().trained_only(),
        &places,
    )?;
    let probabilities: Vec<Vec<f32>> = examples
        .iter()
        .map(|e| judge.probabilities(&e.features()))
        .collect::<Result<_>>()?;
    Ok(figures_of(&examples, &probabilities, card.threshold))
}
