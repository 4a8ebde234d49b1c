//! The model against llama.cpp's reference outputs on the same GGUF file
//! (`../shared/testdata`). Needs the fetched model (`scripts/fetch-model.sh`).

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use shikaku::llm::{DEFAULT_CONTEXT, Model};

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE);
        assert!(
            path.is_file(),
            "no model at {}: run scripts/fetch-model.sh",
            path.display()
        );
        Model::load(&path, DEFAULT_CONTEXT).unwrap()
    })
}

fn testdata(name: &str) -> Vec<serde_json::Value> {
    let path: PathBuf = common::repo().join("../shared/testdata").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tokenizer_reproduces_every_reference_row() {
    let rows = testdata("gemma3-270m-tokens.jsonl");
    assert!(rows.len() >= 24);
    let mut mismatches = Vec::new();
    for row in &rows {
        let text = row["text"].as_str().unwrap();
        let want: Vec<u32> = row["ids_with_bos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let got = model().tokenizer.encode(text, true).unwrap();
        if got != want {
            mismatches.push(format!("{text:?}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn tokenizer_round_trips_text() {
    for text in [
        "顔認証付きカードリーダー 0800-0804583",
        " Hello  world\n\nfoo",
        "emoji 🚀 and 𠮷",
    ] {
        let ids = model().tokenizer.encode(text, false).unwrap();
        assert_eq!(model().tokenizer.decode(&ids).unwrap(), text);
    }
}

/// Largest logit gap, over the first 16 tokens of each reference continuation, between our
/// top token and llama.cpp's token, feeding llama.cpp's tokens (teacher forcing).
fn reference_margins() -> Vec<(usize, f32, usize)> {
    let mut out = Vec::new();
    for (row_index, row) in testdata("gemma3-270m-greedy.jsonl").iter().enumerate() {
        let prompt = row["prompt"].as_str().unwrap();
        let want = model()
            .tokenizer
            .encode(row["greedy_continuation"].as_str().unwrap(), false)
            .unwrap();
        let mut cache = model().gemma.new_cache().unwrap();
        let mut logits = model()
            .gemma
            .forward(&model().tokenizer.encode(prompt, true).unwrap(), &mut cache)
            .unwrap();
        let (mut worst, mut exact) = (0.0f32, 0);
        for &token in want.iter().take(16) {
            let top = shikaku::llm::argmax(&logits);
            if top == token {
                exact += 1;
            }
            worst = worst.max(logits[top as usize] - logits[token as usize]);
            logits = model().gemma.forward(&[token], &mut cache).unwrap();
        }
        out.push((row_index, worst, exact));
    }
    out
}

#[test]
fn greedy_decoding_follows_llama_cpp() {
    let margins = reference_margins();
    for (row, worst, exact) in &margins {
        eprintln!("row {row}: {exact}/16 tokens are our top choice; largest gap {worst:.3}");
    }
    // Where we pick another token than llama.cpp, it must be a near tie (Q4_K arithmetic
    // differs slightly between implementations); a wrong model misses by whole logits.
    for (row, worst, _) in &margins {
        assert!(
            *worst < 0.5,
            "row {row}: llama.cpp's token is {worst:.3} below our top logit"
        );
    }
    let exact: usize = margins.iter().map(|m| m.2).sum();
    assert!(
        exact * 10 >= margins.len() * 16 * 9,
        "only {exact} of {} tokens agree",
        margins.len() * 16
    );
}

#[test]
fn greedy_generation_reproduces_the_first_reference_answer() {
    // Row 1 asks for the call center's number: the model must copy it from its context.
    let row = &testdata("gemma3-270m-greedy.jsonl")[1];
    let got = model().greedy(row["prompt"].as_str().unwrap(), 12).unwrap();
    let text = model().tokenizer.decode(&got).unwrap();
    assert!(text.starts_with("0800-0804583"), "{text:?}");
}

/// The bundled knowledge base without its FAQs (but the call center's), so that the model
/// drafts from notice sections.
fn faq_less_env() -> (common::Env, tempfile::TempDir) {
    let (mut env, copy) = common::Env::with_knowledge_copy();
    let faq = copy.path().join("faq");
    for entry in std::fs::read_dir(&faq).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "call-center.md" {
            std::fs::remove_file(path).unwrap();
        }
    }
    env.knowledge = copy.path().to_path_buf();
    (env, copy)
}

/// The whole path through the binary: on a knowledge base without FAQs the model drafts
/// from notice sections, and a draft the verifier accepts is the answer.
#[test]
fn the_model_answers_where_no_faq_does() {
    let (env, _copy) = faq_less_env();
    let model = common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE);
    let prompts = common::repo().join("prompts");
    let ask = |extra: &[&str]| -> serde_json::Value {
        let out = env
            .command()
            .env("SHIKAKU_MODEL", &model)
            .env("SHIKAKU_PROMPTS", &prompts)
            .args(extra)
            .args(["ask", "--json", "すでに申請した施設も追加補助の対象ですか"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let with_model = ask(&[]);
    assert_eq!(with_model["writer"], "model", "{with_model}");
    assert_eq!(with_model["model"], "Gemma 3 270m");
    assert!(
        with_model["answer"].as_str().unwrap().contains("対象"),
        "{with_model}"
    );
    assert!(!with_model["citations"].as_array().unwrap().is_empty());
    let without = ask(&["--no-model"]);
    assert_eq!(without["writer"], "extractive", "{without}");
    assert!(without["model"].is_null());
}

/// The served path: the model's draft streams to the client as `token` events, and a
/// SIGTERM during the answer lets it finish (the stream ends with `done`, exit status 0).
#[test]
fn the_draft_streams_and_shutdown_waits_for_the_answer() {
    use std::io::{BufRead, BufReader};
    let (env, _copy) = faq_less_env();
    let model = common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE);
    let mut server = common::Server::start(
        &env,
        &[
            ("SHIKAKU_MODEL", model.to_str().unwrap()),
            (
                "SHIKAKU_PROMPTS",
                common::repo().join("prompts").to_str().unwrap(),
            ),
        ],
    );
    let ready: serde_json::Value = server.get("/readyz").json().unwrap();
    assert_eq!(ready["model"]["state"], "loaded", "{ready}");
    let response = server.post_json(
        "/api/v1/chat/stream",
        &serde_json::json!({"message": "すでに申請した施設も追加補助の対象ですか"}),
    );
    assert_eq!(response.status(), 200);
    let (mut event, mut streamed, mut done) = (String::new(), String::new(), None);
    for line in BufReader::new(response).lines() {
        let line = line.unwrap();
        if let Some(name) = line.strip_prefix("event:") {
            event = name.trim().to_string();
        } else if let Some(data) = line.strip_prefix("data:") {
            let data: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
            match event.as_str() {
                "session" => server.signal_term(),
                "token" => streamed.push_str(data["text"].as_str().unwrap()),
                "done" => done = Some(data),
                _ => {}
            }
        }
    }
    let done = done.expect("the stream ended without `done`");
    assert_eq!(done["writer"], "model", "{done}");
    // The draft as streamed is the answer (a stop sequence's first characters may have been
    // streamed before the rest of it arrived and cut it off).
    let answer = done["answer"].as_str().unwrap();
    assert!(
        !answer.is_empty() && streamed.trim().starts_with(answer),
        "{streamed:?} vs {answer:?}"
    );
    assert!(server.wait().success(), "a graceful stop exits 0");
}
