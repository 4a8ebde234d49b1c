//! The knowledge base itself: valid, traceable to the sources, and reachable.

use std::sync::Arc;

use chrono::NaiveDate;
use regex::Regex;
use shikaku::assistant::{Assistant, Outcome, Question};
use shikaku::knowledge::{Kind, KnowledgeBase};
use shikaku::search::index::fingerprint;
use shikaku::search::passage::passages;
use shikaku::search::{Analyzer, SearchIndex};
use shikaku::text::normalize;

use crate::common;

fn bundled() -> KnowledgeBase {
    let loaded = KnowledgeBase::load(&common::repo().join("knowledge")).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.kb
}

/// Checkable facts: phone numbers, e-mail addresses, URLs, 令和 dates, times, counts.
fn facts(text: &str) -> Vec<String> {
    let re = Regex::new(concat!(
        r"0\d{2,3}-\d{2,4}-?\d{3,4}|[\w.]+@[\w.-]+|https?://[\w./%-]+",
        r"|令和\d+年(?:\d+月)?(?:\d+日)?|\d{1,2}:\d{2}|\d+時\d*分?|\d+台|\d+か月|\d+[～~]\d+月|\d{4}年\d+月"
    ))
    .unwrap();
    re.find_iter(&normalize(text))
        .map(|m| m.as_str().trim_end_matches('.').to_string())
        .collect()
}

/// `2021年3月` → `令和3年3月` (the sources write 令和 dates).
fn as_reiwa(fact: &str) -> Option<String> {
    let (year, rest) = fact.split_once('年')?;
    let year: i32 = year.parse().ok()?;
    (year >= 2019).then(|| format!("令和{}年{rest}", year - 2018))
}

#[test]
fn the_bundled_knowledge_base_is_valid_and_large_enough() {
    let kb = bundled();
    let faqs = kb.docs().iter().filter(|d| d.kind == Kind::Faq).count();
    assert!(faqs >= 80, "{faqs} FAQs");
    assert!(kb.contact().is_some());
    assert_eq!(kb.deadlines().count(), 3);
}

#[test]
fn every_fact_of_an_faq_or_form_is_in_the_sections_it_cites() {
    let kb = bundled();
    let mut problems = Vec::new();
    for doc in kb.docs().iter().filter(|d| d.kind != Kind::Notice) {
        let cited: String = doc
            .sources
            .iter()
            .chain(doc.form.all_sources())
            .filter_map(|s| kb.section(s))
            .map(|(_, section)| normalize(&section.body))
            .collect::<Vec<_>>()
            .join("\n");
        for fact in facts(&doc.body) {
            // A Western date written beside a 令和 date is arithmetic: its 令和 form counts.
            let found =
                cited.contains(&fact) || as_reiwa(&fact).is_some_and(|r| cited.contains(&r));
            if !found {
                problems.push(format!(
                    "{}: \"{fact}\" is not in its cited sections",
                    doc.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_fact_of_a_notice_is_in_the_seed_documents() {
    let seeds = common::repo().join("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(&seeds) else {
        eprintln!(
            "note: {} not found; notices not traced to the seeds",
            seeds.display()
        );
        return;
    };
    let seed_text: String = entries
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    // The seeds escape '_' in URLs and put spaces between letters in product names.
    let seed_text = normalize(&seed_text).replace("\\_", "_").replace("- ", "-");
    let kb = bundled();
    let mut problems = Vec::new();
    for doc in kb.docs().iter().filter(|d| d.kind == Kind::Notice) {
        for section in &doc.sections {
            for fact in facts(&section.body) {
                if !seed_text.contains(&fact) {
                    problems.push(format!(
                        "{}#{}: \"{fact}\" is not in the seeds",
                        doc.id, section.id
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The bundled knowledge base's assistant (words and meaning), with its index folder.
fn assistant(kb: &Arc<KnowledgeBase>) -> (Assistant, tempfile::TempDir) {
    let analyzer = Analyzer::load(&common::dict_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::build(
        &passages(kb),
        &analyzer,
        Some(crate::embedding::embedder()),
        dir.path(),
        &fingerprint(kb),
    )
    .unwrap();
    (Assistant::new(kb.clone(), index), dir)
}

#[test]
fn a_deadline_said_to_be_extended_is_corrected_from_the_sources() {
    let kb = Arc::new(bundled());
    let (assistant, _dir) = assistant(&kb);
    let today = NaiveDate::from_ymd_opt(2021, 3, 10).unwrap();
    let ask = |text: &str| {
        assistant
            .answer(&Question::new(text, today).unwrap())
            .unwrap()
    };
    let premise = ask("締切って4月末まで延長されたんですよね？");
    assert!(
        premise.answer.contains("延長されたという記載はありません"),
        "{premise:?}"
    );
    assert!(premise.answer.contains("3月31日"), "{premise:?}");
    // Another date said to be the deadline is corrected, the deadline's own confirmed.
    let wrong = ask("申込みの期限は4月30日でしたよね？");
    assert!(wrong.answer.contains("3月31日"), "{wrong:?}");
    assert!(
        wrong.answer.contains("を締切とする記載はありません"),
        "{wrong:?}"
    );
    let right = ask("期限は令和3年3月31日ですよね");
    assert!(right.answer.starts_with("はい"), "{right:?}");
    // Of two dates, the one the user would mail on is checked.
    let late = ask("締切は3月31日ですが、4月1日に郵送しても大丈夫ですか");
    assert!(late.answer.contains("間に合いません"), "{late:?}");
    // 延長 beside no deadline is no premise about one.
    let cord = ask("延長コードは必要ですか");
    assert!(!cord.answer.contains("締切"), "{cord:?}");
}

#[test]
fn every_faq_is_found_by_its_own_title() {
    let kb = Arc::new(bundled());
    let (assistant, _dir) = assistant(&kb);
    let today = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
    let mut misses = Vec::new();
    for doc in kb.docs().iter().filter(|d| d.kind == Kind::Faq) {
        let answer = assistant
            .answer(&Question::new(&doc.title, today).unwrap())
            .unwrap();
        let cites_itself = answer.citations.iter().any(|c| c.doc_id == doc.id);
        // A rule may answer a deadline or unit question from the same form data.
        let by_rule = answer.writer == shikaku::assistant::WriterKind::Rule;
        if answer.outcome == Outcome::Handoff || !(cites_itself || by_rule) {
            misses.push(format!(
                "{} ← {:?} {:?}",
                doc.title,
                answer.outcome,
                answer.citations.first()
            ));
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}
