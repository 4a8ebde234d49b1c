//! A passage as ranking compares it with a question: its readings and bigrams, and the
//! readings of its own question wordings, worked out once (the first time it is a
//! candidate) and kept for the index's life.

use std::collections::HashSet;

use super::analysis::Analyzer;
use super::passage::Passage;
use super::words::dedup;
use crate::knowledge::Expansion;
use crate::text::normalize;

pub(super) struct PassageFacts {
    pub(super) passage: Passage,
    /// Its heading and text, normalised.
    normalized: String,
    readings: HashSet<String>,
    bigrams: HashSet<String>,
    /// The readings of each of its own question wordings, each once.
    question_lines: Vec<Vec<String>>,
}

impl PassageFacts {
    pub(super) fn of(passage: Passage, analyzer: &Analyzer) -> PassageFacts {
        let text = format!("{}\n{}", passage.heading_text, passage.text);
        // Passages are read once: they would only push questions out of the analyzer's memory.
        let analyzer = analyzer.for_passages();
        let analysis = analyzer.analyse(&text);
        PassageFacts {
            normalized: normalize(&text),
            readings: analysis.readings.iter().cloned().collect(),
            bigrams: analysis.bigrams.iter().cloned().collect(),
            question_lines: passage
                .questions
                .lines()
                .map(|line| dedup(&analyzer.analyse(line).readings))
                .collect(),
            passage,
        }
    }

    /// The weighted share of the question's words that the passage contains: by reading
    /// and by bigram, whichever is higher. A question word whose glossary synonym the
    /// passage uses counts as found (レセコン in the question, レセプトコンピュータ in the text).
    pub(super) fn coverage(
        &self,
        analyzer: &Analyzer,
        expansions: &[Expansion<'_>],
        readings: &[(String, f32)],
        bigrams: &[(String, f32)],
    ) -> f32 {
        let mut found_via_synonym: Vec<&str> = expansions
            .iter()
            .filter(|e| self.normalized.contains(e.word))
            .map(|e| e.trigger)
            .collect();
        found_via_synonym.sort_unstable();
        found_via_synonym.dedup();
        let share = |words: &[(String, f32)], has: &dyn Fn(&str) -> bool| {
            let total: f32 = words.iter().map(|(_, w)| w).sum();
            if total == 0.0 {
                return 0.0;
            }
            let found: f32 = words.iter().filter(|(t, _)| has(t)).map(|(_, w)| w).sum();
            found / total
        };
        // A question word whose glossary synonym the passage uses counts as found: the
        // words are read as lines after the passage's text.
        let synonyms = analyzer.analyse(&found_via_synonym.join("\n"));
        let has_reading =
            |w: &str| self.readings.contains(w) || synonyms.readings.iter().any(|r| r == w);
        let has_bigram =
            |w: &str| self.bigrams.contains(w) || synonyms.bigrams.iter().any(|b| b == w);
        share(readings, &has_reading).max(share(bigrams, &has_bigram))
    }

    /// Whether the passage (its questions, heading and text) has a word of this reading.
    pub(super) fn has_reading(&self, reading: &str) -> bool {
        self.readings.contains(reading)
    }

    /// The best share, over the passage's own question wordings, of their words that the
    /// question contains.
    pub(super) fn question_match(&self, question_words: &HashSet<&str>) -> f32 {
        self.question_lines
            .iter()
            .map(|words| {
                if words.is_empty() {
                    return 0.0;
                }
                let found = words
                    .iter()
                    .filter(|&w| question_words.contains(w.as_str()))
                    .count();
                found as f32 / words.len() as f32
            })
            .fold(0.0, f32::max)
    }
}
