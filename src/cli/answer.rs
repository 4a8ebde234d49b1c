//! `shikaku ask` and `shikaku eval`: answers from the command line, and grading a set.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::assistant::{self, Answer, Assistant, Outcome, Question};
use crate::eval;
use crate::search::Fusion;
use crate::settings::Settings;
use crate::startup;
use crate::text::clock::today_in_japan;

/// How `ask` prints its answer.
pub struct Show {
    pub json: bool,
    pub explain: bool,
}

pub fn ask(
    settings: &Settings,
    today: Option<NaiveDate>,
    show: Show,
    batch: Option<PathBuf>,
    question: Option<String>,
    after: Option<String>,
) -> Result<ExitCode> {
    let today = today.unwrap_or_else(today_in_japan);
    match (batch, question) {
        (Some(file), _) => ask_batch(settings, &file, today),
        (None, Some(q)) => ask_one(settings, &q, after.as_deref(), today, show),
        (None, None) => unreachable!("clap requires a question or --batch"),
    }
}

/// Recall of each ranking over the labelled items, with the items missed first.
fn recall(
    assistant: &Assistant,
    items: &[eval::Item],
    labels: &[eval::Label],
    more: &[Fusion],
) -> Result<()> {
    if !assistant.index().has_vectors() {
        println!("note: the embedding model is off: every ranking is by words alone");
    }
    let mut rankings = vec![
        ("words (BM25)".to_string(), Fusion::BM25),
        ("meaning (e5)".to_string(), Fusion::DENSE),
        ("fused".to_string(), Fusion::HYBRID),
    ];
    rankings.extend(
        more.iter()
            .map(|f| (format!("k {} meaning {}", f.k, f.dense), *f)),
    );
    for (name, fusion) in rankings {
        let r = eval::recall(items, labels, |q| {
            Ok(assistant
                .retrieve_with(q, fusion)?
                .into_iter()
                .map(|h| h.passage.doc_id)
                .collect())
        })?;
        println!(
            "{name:14} recall@1 {}/{} ({:.0}%)  recall@3 {}/{} ({:.0}%)  missed first: {}",
            r.at_1,
            r.items,
            100.0 * r.at_1 as f64 / r.items.max(1) as f64,
            r.at_3,
            r.items,
            100.0 * r.at_3 as f64 / r.items.max(1) as f64,
            r.missed.join(" ")
        );
    }
    Ok(())
}

pub fn eval(
    settings: &Settings,
    file: &Path,
    today: Option<NaiveDate>,
    labels: Option<&Path>,
    fusions: &[Fusion],
) -> Result<ExitCode> {
    let items = eval::read_items(file)?;
    let labels = labels.map(eval::read_labels).transpose()?;
    let assistant = startup::assistant(settings)?;
    let with_history = items.iter().filter(|i| !i.history.is_empty()).count();
    if with_history > 0 {
        println!(
            "note: {with_history} items are follow-ups; each is asked after its history, as in one conversation"
        );
    }
    let report = eval::run(&assistant, &items, today.unwrap_or_else(today_in_japan))?;
    print_failures(&report);
    match assistant.model_name() {
        Some(name) => {
            let stats = assistant.draft_stats();
            println!(
                "model {name}: {} answers written, rejected drafts {:?}",
                stats.written, stats.rejected
            );
        }
        None => println!("model: off"),
    }
    let mut off_question = 0;
    if let Some(labels) = &labels {
        recall(&assistant, &items, labels, fusions)?;
        for (item, answer) in &report.answers {
            if let Some(doc) = eval::off_question(item, labels, answer) {
                off_question += 1;
                println!(
                    "OFF-QUESTION {} 「{}」 answered from {doc}",
                    item.id, item.question
                );
            }
        }
        println!("{off_question} answers from a document that answers a different question");
    }
    let failed = report.failures.len();
    println!("{} passed, {failed} failed", report.passed);
    Ok(if failed == 0 && off_question == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Each failed item: its id, question, why, and what was answered.
fn print_failures(report: &eval::Report) {
    for (item, answer, reason) in &report.failures {
        println!("FAIL {} 「{}」: {reason}", item.id, item.question);
        println!(
            "     outcome {:?}: {}",
            answer.outcome,
            answer.answer.replace('\n', " ")
        );
    }
}

/// `eval --api URL`: the set asked through a running service's chat API.
pub fn eval_api(file: &Path, url: &str) -> Result<ExitCode> {
    let items = eval::read_items(file)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(eval::run_api(url, &items))?;
    print_failures(&report);
    let failed = report.failures.len();
    println!(
        "through the chat API at {url}: {} passed, {failed} failed",
        report.passed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ask_one(
    settings: &Settings,
    question: &str,
    after: Option<&str>,
    today: NaiveDate,
    Show { json, explain }: Show,
) -> Result<ExitCode> {
    let question = match (
        Question::new(question, today),
        after.map(assistant::validate),
    ) {
        (Err(e), _) => {
            eprintln!("error: question: {e}");
            return Ok(ExitCode::from(2));
        }
        (_, Some(Err(e))) => {
            eprintln!("error: --after: {e}");
            return Ok(ExitCode::from(2));
        }
        (Ok(question), _) => question.after(after),
    };
    let assistant = startup::assistant(settings)?;
    let answer = assistant.answer(&question)?;
    let understood = assistant.understand(&question);
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(&answer)?;
        value["model"] = json!(assistant.model_name());
        writeln!(out, "{value}")?;
    } else {
        write_human(&mut out, &answer)?;
    }
    if explain {
        writeln!(out, "\n理解した質問: {understood}")?;
        let parts = assistant.parts(&understood);
        if parts.len() > 1 {
            writeln!(out, "質問の分け方: {}", parts.join(" ／ "))?;
        }
        writeln!(
            out,
            "\n検索結果 (fused score / BM25 / coverage / meaning: passage, nearest question / judge: answers it):"
        )?;
        let judged = assistant.judged(&understood)?;
        for (i, hit) in judged.hits.iter().enumerate() {
            let judge = judged
                .probabilities
                .get(i)
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".to_string());
            let p = &hit.passage;
            let section = p
                .section_id
                .as_deref()
                .map(|s| format!("#{s}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:7.3} {:6.2} {:.2} {:.3} {:.3} {judge:>5}  {}{section}  {}",
                hit.score,
                hit.bm25,
                hit.coverage,
                hit.closeness.passage,
                hit.closeness.question,
                p.doc_id,
                p.title
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_human(out: &mut impl Write, answer: &Answer) -> Result<()> {
    writeln!(out, "{}", answer.answer)?;
    if !answer.citations.is_empty() {
        writeln!(out, "\n出典:")?;
        for c in &answer.citations {
            match &c.section {
                Some(s) => writeln!(out, "  - {}「{}」 [{}]", c.title, s, c.doc_id)?,
                None => writeln!(out, "  - {} [{}]", c.title, c.doc_id)?,
            }
        }
    }
    let outcome = match answer.outcome {
        Outcome::Answered => "回答",
        Outcome::Handoff => "担当者へ引き継ぎ",
        Outcome::NoAnswer => "資料に記載なし",
    };
    writeln!(out, "\n({outcome} / 確からしさ {:.2})", answer.confidence)?;
    Ok(())
}

/// Answers a JSON Lines file, one output line per input line, in order. A bad line gets
/// an error object and the batch goes on; the exit status is 1 if any line failed.
fn ask_batch(settings: &Settings, file: &Path, today: NaiveDate) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let assistant = startup::assistant(settings)?;
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line_no = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value = match batch_line(&assistant, raw, today) {
            Ok(v) => v,
            Err((id, message)) => {
                failed = true;
                json!({"id": id, "line": line_no, "error": message})
            }
        };
        writeln!(out, "{value}")?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn batch_line(
    assistant: &Assistant,
    raw: &[u8],
    today: NaiveDate,
) -> std::result::Result<Value, (Value, String)> {
    let null = Value::Null;
    let text =
        std::str::from_utf8(raw).map_err(|e| (null.clone(), format!("invalid UTF-8: {e}")))?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| (null.clone(), format!("invalid JSON: {e}")))?;
    let id = value.get("id").cloned().unwrap_or(null);
    let question = value
        .get("question")
        .and_then(|q| q.as_str())
        .ok_or_else(|| (id.clone(), "\"question\" (a string) is missing".to_string()))?;
    let today = match value.get("today") {
        None | Some(Value::Null) => today,
        Some(t) => t
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| {
                (
                    id.clone(),
                    format!("\"today\" must be a date YYYY-MM-DD, got {t}"),
                )
            })?,
    };
    let question = Question::new(question, today).map_err(|e| (id.clone(), e.to_string()))?;
    let answer = assistant
        .answer(&question)
        .map_err(|e| (id.clone(), format!("{e:#}")))?;
    Ok(json!({
        "id": id,
        "outcome": answer.outcome,
        "answer": answer.answer,
        "citations": answer.citations,
        "confidence": answer.confidence,
        "writer": answer.writer,
        "model": assistant.model_name(),
    }))
}
