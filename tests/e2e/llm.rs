//! The model against llama.cpp's reference outputs on the same GGUF file
//! (`../shared/testdata`). Needs the fetched model (`scripts/fetch-model.sh`).

use std::path::PathBuf;
use std::sync::OnceLock;

use shikaku::llm::{DEFAULT_CONTEXT, Model};

use crate::common;

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

/// As llama.cpp: the vocabulary's user-defined tokens (runs of spaces and newlines, table
/// tags) are found in the text as written, before spaces become `▁`. Two spaces are one
/// such token; two `▁` typed by the user are text, and decode as two spaces; a split
/// character (a byte token alone) decodes as U+FFFD until it is whole.
#[test]
fn tokenizer_matches_user_defined_tokens_in_the_text_as_written() {
    let tokenizer = &model().tokenizer;
    let two_spaces = tokenizer.encode("  ", false).unwrap();
    assert_eq!(two_spaces.len(), 1, "{two_spaces:?}");
    let spaced = tokenizer.encode("a  b<table>", false).unwrap();
    assert!(spaced.contains(&two_spaces[0]), "{spaced:?}");
    assert_eq!(spaced.len(), 4, "a, two spaces, b, <table>: {spaced:?}");
    let marks = tokenizer.encode("a\u{2581}\u{2581}b", false).unwrap();
    assert!(!marks.contains(&two_spaces[0]), "{marks:?}");
    assert_eq!(tokenizer.decode(&marks).unwrap(), "a  b");

    let rare = tokenizer.encode("𠮷", false).unwrap();
    assert_eq!(rare.len(), 4, "four byte tokens: {rare:?}");
    assert_eq!(tokenizer.decode(&rare[..2]).unwrap(), "\u{fffd}\u{fffd}");
    assert_eq!(tokenizer.decode(&rare).unwrap(), "𠮷");
}

/// Tokens llama.cpp generated for a reference row (its text, tokenized).
fn reference_tokens(row: &serde_json::Value) -> Vec<u32> {
    model()
        .tokenizer
        .encode(row["greedy_continuation"].as_str().unwrap(), false)
        .unwrap()
}

/// Over a row's first `n` reference tokens, fed back one by one (teacher forcing): how
/// many are our top choice, and the largest gap between our top logit and llama.cpp's token.
fn teacher_forced(row: &serde_json::Value, n: usize) -> (usize, f32) {
    let want = reference_tokens(row);
    let mut cache = model().gemma.new_cache().unwrap();
    let prompt = model()
        .tokenizer
        .encode(row["prompt"].as_str().unwrap(), true)
        .unwrap();
    let mut logits = model().gemma.forward(&prompt, &mut cache).unwrap();
    let (mut exact, mut worst) = (0, 0.0f32);
    for &token in want.iter().take(n) {
        let top = shikaku::llm::argmax(&logits);
        if top == token {
            exact += 1;
        }
        worst = worst.max(logits[top as usize] - logits[token as usize]);
        logits = model().gemma.forward(&[token], &mut cache).unwrap();
    }
    (exact, worst)
}

/// A difference in the last bits of float arithmetic (summation order, CPU features of
/// the build) can flip a choice between two tokens this close, and nothing larger.
const NEAR_TIE: f32 = 0.01;

#[test]
fn greedy_decoding_reproduces_llama_cpp() {
    // Each row's first 16 tokens, decoded freely: they must be llama.cpp's, unless the
    // first difference is a near tie; and most rows must match all 16.
    let rows = testdata("gemma3-270m-greedy.jsonl");
    let mut whole = 0;
    for (i, row) in rows.iter().enumerate() {
        let want = reference_tokens(row);
        let got = model().greedy(row["prompt"].as_str().unwrap(), 16).unwrap();
        let same = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
        eprintln!("row {i}: {same}/16 tokens as llama.cpp");
        if same >= 16 {
            whole += 1;
            continue;
        }
        // Replay up to the first difference and measure how close the choice was.
        let mut cache = model().gemma.new_cache().unwrap();
        let mut ids = model()
            .tokenizer
            .encode(row["prompt"].as_str().unwrap(), true)
            .unwrap();
        ids.extend_from_slice(&want[..same]);
        let logits = model().gemma.forward(&ids, &mut cache).unwrap();
        let gap = logits[got[same] as usize] - logits[want[same] as usize];
        assert!(
            gap < NEAR_TIE,
            "row {i}: token {same} is {:?}, llama.cpp's {:?} is {gap:.4} below it",
            model().tokenizer.decode(&got[same..=same]).unwrap(),
            model().tokenizer.decode(&want[same..=same]).unwrap(),
        );
    }
    assert!(
        whole * 5 >= rows.len() * 4,
        "only {whole} of {} rows match 16 tokens",
        rows.len()
    );
}

#[test]
fn teacher_forced_choices_follow_llama_cpp() {
    // Fed llama.cpp's own tokens, our top choice is its token nearly everywhere over all
    // 32, and never misses by a whole logit as a wrong model (activation, RoPE base, norm) would.
    let rows = testdata("gemma3-270m-greedy.jsonl");
    let (mut exact, mut total) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let (hits, worst) = teacher_forced(row, 32);
        eprintln!("row {i}: {hits}/32 top choices; largest gap {worst:.4}");
        assert!(
            worst < 0.5,
            "row {i}: llama.cpp's token is {worst:.3} below our top logit"
        );
        exact += hits;
        total += reference_tokens(row).len().min(32);
    }
    assert!(
        exact * 100 >= total * 97,
        "only {exact} of {total} tokens agree"
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

/// The served path: the answer the model wrote streams to the client as `token` events once
/// the verifier accepted it, and a SIGTERM during the answer lets it finish (the stream ends
/// with `done`, exit status 0).
#[test]
fn the_accepted_draft_streams_and_shutdown_waits_for_the_answer() {
    use std::io::{BufRead, BufReader};
    let (env, _copy) = faq_less_env();
    let model = common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE);
    let mut server = common::Server::spawn(
        &env,
        &[
            ("SHIKAKU_MODEL", model.to_str().unwrap()),
            (
                "SHIKAKU_PROMPTS",
                common::repo().join("prompts").to_str().unwrap(),
            ),
        ],
    );
    let ready: serde_json::Value = server.monitor("/readyz").json().unwrap();
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
    // What streamed is the answer, to the character: nothing of the raw draft (its leading
    // space, the first characters of a stop sequence) comes before it is checked.
    let answer = done["answer"].as_str().unwrap();
    assert!(!answer.is_empty());
    assert_eq!(streamed, answer);
    assert!(server.wait().success(), "a graceful stop exits 0");
}

/// A model file with changed bytes (a bad download, a damaged disk) is refused at load by
/// its SHA-256 (`models/SHA256SUMS`): the service says why, answers without the model and
/// reports it unavailable; it never loads as "loaded".
#[test]
fn a_damaged_model_file_is_refused_and_the_service_answers_without_it() {
    let env = common::Env::new();
    let folder = tempfile::tempdir().unwrap();
    let name = std::path::Path::new(shikaku::llm::DEFAULT_MODEL_FILE)
        .file_name()
        .unwrap();
    let damaged = folder.path().join(name);
    let mut bytes = std::fs::read(common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE)).unwrap();
    // 20,000 bytes flipped in the tensor data, past the header: the file still parses.
    let step = bytes.len() / 2 / 20_000;
    for i in 0..20_000 {
        let at = bytes.len() / 2 + i * step;
        bytes[at] ^= 0xff;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    drop(bytes);
    std::fs::copy(
        common::repo()
            .join("models")
            .join(shikaku::integrity::DIGESTS),
        folder.path().join(shikaku::integrity::DIGESTS),
    )
    .unwrap();
    // The damaged file still reads as a model: only its digest tells.
    assert!(Model::load(&damaged, 64).is_ok());

    let log = tempfile::NamedTempFile::new().unwrap();
    let server = common::Server::spawn_with_log(
        &env,
        &[("SHIKAKU_MODEL", damaged.to_str().unwrap())],
        log.reopen().unwrap(),
    );
    let ready: serde_json::Value = server.monitor("/readyz").json().unwrap();
    assert_eq!(ready["model"]["state"], "unavailable", "{ready}");
    let answer: serde_json::Value = server
        .post_json(
            "/api/v1/chat",
            &serde_json::json!({"message": "申請の締切はいつですか"}),
        )
        .json()
        .unwrap();
    assert!(
        answer["answer"].as_str().unwrap().contains("令和3年"),
        "{answer}"
    );
    drop(server);
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        logged.contains("is damaged or not the expected file")
            && logged.contains("a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
        "{logged}"
    );
}

/// The questions of the evaluation sets (`tests/eval/wide.jsonl`, and `../shared/eval/dev.jsonl`
/// where it is), each with the day it is asked on.
fn eval_questions() -> Vec<(String, chrono::NaiveDate)> {
    let default_day = chrono::NaiveDate::from_ymd_opt(2021, 3, 20).unwrap();
    let mut out = Vec::new();
    for file in ["tests/eval/wide.jsonl", "../shared/eval/dev.jsonl"] {
        let path = common::repo().join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!(
                "note: {} not found; its questions are not asked",
                path.display()
            );
            continue;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let item: serde_json::Value = serde_json::from_str(line).unwrap();
            let today = item["today"]
                .as_str()
                .map_or(default_day, |d| d.parse().unwrap());
            out.push((item["question"].as_str().unwrap().to_string(), today));
        }
    }
    assert!(out.len() >= 64, "{} questions", out.len());
    out
}

/// An assistant made as the command line makes one, with the model on.
fn assistant_with_model(env: &common::Env) -> shikaku::assistant::Assistant {
    let dict = common::dict_dir();
    let model = common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE);
    let prompts = common::repo().join("prompts");
    let (settings, _) = shikaku::settings::service_from(&[
        ("SHIKAKU_DICT", dict.to_str().unwrap()),
        ("SHIKAKU_DATA", env.data.path().to_str().unwrap()),
        ("SHIKAKU_KNOWLEDGE", env.knowledge.to_str().unwrap()),
        ("SHIKAKU_MODEL", model.to_str().unwrap()),
        ("SHIKAKU_PROMPTS", prompts.to_str().unwrap()),
    ])
    .unwrap();
    let assistant = shikaku::startup::assistant(&settings).unwrap();
    assert!(assistant.model_name().is_some(), "the model did not load");
    assistant
}

/// Over every evaluation question, on the whole knowledge base and on one without FAQs
/// (where the model drafts most answers): what reaches `on_token` is the final answer and
/// nothing else. A draft streamed before it is checked would show here as text the answer
/// lacks, since some drafts are rejected and replaced — the test asserts that some are.
#[test]
fn only_the_final_answer_reaches_on_token() {
    let questions = eval_questions();
    let whole = common::Env::new();
    let (faq_less, _copy) = faq_less_env();
    let mut rejected = 0;
    for env in [&whole, &faq_less] {
        let assistant = assistant_with_model(env);
        for (text, today) in &questions {
            let mut pieces: Vec<String> = Vec::new();
            let question = shikaku::assistant::Question::new(text, *today).unwrap();
            let answer = assistant
                .answer_streaming(&question, &mut |piece| pieces.push(piece.to_string()))
                .unwrap();
            let streamed = pieces.concat();
            assert!(
                answer.answer.starts_with(&streamed),
                "「{text}」: streamed {streamed:?}, but the answer ({:?}) is {:?}",
                answer.writer,
                answer.answer
            );
            assert_eq!(
                streamed, answer.answer,
                "「{text}」: not all of it streamed"
            );
        }
        let stats = assistant.draft_stats();
        eprintln!("drafts: {stats:?}");
        rejected += stats.rejected.values().sum::<usize>();
    }
    assert!(
        rejected > 0,
        "no draft was rejected, so nothing showed that a rejected draft stays unseen"
    );
}

/// The stream of `POST /api/v1/chat/stream` with the model on: for every question, the
/// `token` texts put together are the `done` answer, rejected drafts included (counted in
/// `/metrics`).
#[test]
fn the_stream_carries_only_the_final_answer() {
    let (env, _copy) = faq_less_env();
    let model = common::repo().join(shikaku::llm::DEFAULT_MODEL_FILE);
    let server = common::Server::start(
        &env,
        &[
            ("SHIKAKU_MODEL", model.to_str().unwrap()),
            ("SHIKAKU_RATE_LIMIT", "0"),
        ],
    );
    let questions = eval_questions();
    let mut by_writer = std::collections::BTreeMap::<String, usize>::new();
    // The dev set's questions (the last ones): enough drafts, in a minute or so.
    for (text, _) in questions.iter().rev().take(30) {
        let response =
            server.post_json("/api/v1/chat/stream", &serde_json::json!({"message": text}));
        assert_eq!(response.status(), 200);
        let body = response.text().unwrap();
        let (mut event, mut streamed, mut done) = ("", String::new(), None);
        for line in body.lines() {
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim();
            } else if let Some(data) = line.strip_prefix("data:") {
                let data: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
                match event {
                    "token" => streamed.push_str(data["text"].as_str().unwrap()),
                    "done" => done = Some(data),
                    "session" => {}
                    other => panic!("「{text}」: unexpected event {other}: {body}"),
                }
            }
        }
        let done = done.unwrap_or_else(|| panic!("「{text}」: no `done`: {body}"));
        assert_eq!(streamed, done["answer"].as_str().unwrap(), "「{text}」");
        *by_writer
            .entry(done["writer"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let metrics = server.monitor("/metrics").text().unwrap();
    let rejected: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("shikaku_model_drafts_rejected"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    eprintln!("writers {by_writer:?}; {rejected} drafts rejected");
    assert!(by_writer.contains_key("model"), "{by_writer:?}");
    assert!(rejected > 0.0, "no draft was rejected:\n{metrics}");
}
