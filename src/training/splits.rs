//! Which questions train the judge and which check it, by a seeded hash (the same seed
//! always splits the same way): a share of the FAQs is held out whole, with every
//! question about them; of the rest, a share of the questions calibrates and a share
//! validates.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::judge::corpus::Labelled;
use crate::knowledge::{Kind, KnowledgeBase};

/// Share of the FAQs held out whole.
const HELD_OUT_FAQS: f64 = 0.12;
/// Shares of the other questions that calibrate, and that validate.
const CALIBRATION: f64 = 0.10;
const VALIDATION: f64 = 0.12;
/// Share of the training questions read as though the passages answering them were new.
const FORGOTTEN: f64 = 0.3;
/// Share of the held-out questions `judge check --quick` (and CI) judges again.
const QUICK_CHECK: f64 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Calibration,
    /// Questions the training never saw.
    ByQuestion,
    /// Questions about FAQs the training never saw.
    ByFaq,
}

pub struct Splits {
    seed: u64,
    held_out: HashSet<String>,
}

/// A number in [0, 1) that `seed` and `name` always give.
fn draw(seed: u64, name: &str) -> f64 {
    let digest = Sha256::digest(format!("{seed}:{name}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) as f64 / (u64::MAX as f64 + 1.0)
}

impl Splits {
    /// `names`: every passage, as the corpus names them.
    pub fn new(seed: u64, names: &[String], kb: &KnowledgeBase) -> Splits {
        let held_out = names
            .iter()
            .filter(|n| {
                kb.get(n.as_str()).is_some_and(|d| d.kind == Kind::Faq)
                    && draw(seed, n) < HELD_OUT_FAQS
            })
            .cloned()
            .collect();
        Splits { seed, held_out }
    }

    pub fn held_out(&self, passage: &str) -> bool {
        self.held_out.contains(passage)
    }

    pub fn held_out_count(&self) -> usize {
        self.held_out.len()
    }

    /// Whether a training question is read as though what answers it were new.
    pub fn forgets(&self, q: &Labelled) -> bool {
        draw(self.seed ^ 0x5EED, &q.id) < FORGOTTEN
    }

    /// Whether a held-out question is among those the quick check judges again.
    pub fn quick_check(&self, q: &Labelled) -> bool {
        self.of(q) != Split::Train && draw(self.seed ^ 0xC4EC, &q.id) < QUICK_CHECK
    }

    pub fn of(&self, q: &Labelled) -> Split {
        if self.held_out(&q.written_for) || q.answers.iter().any(|a| self.held_out(a)) {
            return Split::ByFaq;
        }
        let d = draw(self.seed, &q.id);
        if d < CALIBRATION {
            Split::Calibration
        } else if d < CALIBRATION + VALIDATION {
            Split::ByQuestion
        } else {
            Split::Train
        }
    }
}
