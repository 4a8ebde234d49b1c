//! The answerability judge as committed (`models/judge.*`): it loads, it judges its
//! held-out questions as its card says it did, its corpus holds no evaluation question, and
//! what users get follows its judgement: an on-topic question the sources do not answer is
//! told so, with what they do say.

use std::collections::HashSet;

use serde_json::Value;
use shikaku::judge::corpus::{Corpus, too_like};
use shikaku::knowledge::KnowledgeBase;
use shikaku::search::passage::passages;

use crate::common::{Env, repo, stderr, stdout};

/// Two questions at least this alike (character bigrams) are the same question.
const SAME_QUESTION: f64 = 0.5;

fn corpus() -> Corpus {
    let kb = KnowledgeBase::load(&repo().join("knowledge")).unwrap().kb;
    let names: HashSet<String> = passages(&kb)
        .iter()
        .map(|p| shikaku::judge::corpus::passage_name(&p.doc_id, p.section_id.as_deref()))
        .collect();
    Corpus::read(&repo().join("training/answerability"), &names).unwrap()
}

/// Every question (and earlier turn) of the evaluation sets: `../shared/eval/*.jsonl`
/// where they are, and the project's own `tests/eval/*.jsonl`.
fn evaluation_questions() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [repo().join("../shared/eval"), repo().join("tests/eval")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Ok(item) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                if let Some(q) = item["question"].as_str() {
                    out.push(q.to_string());
                }
                for turn in item["history"].as_array().into_iter().flatten() {
                    if let Some(t) = turn.as_str() {
                        out.push(t.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn corpus_is_not_the_evaluation_sets() {
    let corpus = corpus();
    assert!(corpus.questions.len() >= 3000, "{}", corpus.questions.len());
    let evaluation = evaluation_questions();
    assert!(
        evaluation.len() >= 100,
        "the project's own sets alone have more: {}",
        evaluation.len()
    );
    let alike = too_like(&corpus.questions, &evaluation, SAME_QUESTION);
    assert!(
        alike.is_empty(),
        "corpus questions too like evaluation questions: {alike:#?}"
    );
}

/// CI does not retrain: the committed judge, loaded as the service loads it, judges a
/// fixed quarter of its held-out questions exactly as its card records.
#[test]
fn the_committed_judge_reproduces_its_validation_figures() {
    let env = Env::new();
    let out = env.run(&["judge", "check", "--quick"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("the figures are those of the card"),
        "{}",
        stdout(&out)
    );
}

/// The card's figures are the README's: questions nothing answers are rarely answered,
/// and never more often than the card says.
#[test]
fn the_cards_figures_are_sound() {
    let card: Value = toml::from_str::<toml::Value>(
        &std::fs::read_to_string(repo().join("models/judge.toml")).unwrap(),
    )
    .map(|v| serde_json::to_value(v).unwrap())
    .unwrap();
    for split in ["by_question", "by_faq"] {
        let f = &card["figures"][split];
        let (answerable, unanswerable) = (
            f["answerable"].as_u64().unwrap(),
            f["unanswerable"].as_u64().unwrap(),
        );
        assert!(answerable >= 150 && unanswerable >= 50, "{split}: {f}");
        assert!(
            f["answered_right"].as_u64().unwrap() + f["answered_wrong"].as_u64().unwrap()
                <= answerable,
            "{f}"
        );
    }
    let threshold = card["threshold"].as_f64().unwrap();
    assert!(threshold > 0.0 && threshold < 1.0, "{threshold}");
}

/// What users get on the held-out questions is counted by split and by register, and the
/// two count the same questions: every register the corpus writes in has its line.
#[test]
fn figures_as_answered_are_counted_by_split_and_by_register() {
    let env = Env::new();
    let out = env.run(&["judge", "check", "--as-answered"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    // (answerable, unanswerable) of a printed line.
    let counts = |line: &str| -> (u64, u64) {
        let number_after = |label: &str| -> u64 {
            let rest = &line[line.find(label).unwrap_or_else(|| panic!("{line}")) + label.len()..];
            rest.trim_start()
                .split(':')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{line}"))
        };
        (number_after(" answerable "), number_after(" unanswerable "))
    };
    let (splits, registers) = text
        .split_once("by register")
        .unwrap_or_else(|| panic!("{text}"));
    let sum = |lines: &str| {
        lines
            .lines()
            .filter(|l| l.contains(" answerable "))
            .map(counts)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    let by_split = sum(splits);
    assert!(by_split.0 >= 500 && by_split.1 >= 200, "{text}");
    assert_eq!(sum(registers), by_split, "{text}");
    let registers: HashSet<String> = corpus().questions.into_iter().map(|q| q.register).collect();
    for register in registers {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{register} "))),
            "no line for {register}: {text}"
        );
    }
}

/// The JSON answer to a question asked while the documents' deadlines were open.
fn ask(env: &Env, question: &str) -> serde_json::Value {
    env.json(&["ask", "--json", "--today", "2021-03-10", question])
}

/// Asked what the sources do not say about a topic they cover, Shikaku says so, then what
/// they do say with its source, and the call center: never the FAQ that shares the most
/// words, given as the answer (nor the date for a why, nor a to-do for a by-when).
#[test]
fn an_on_topic_question_the_sources_do_not_answer_is_told_so() {
    let env = Env::new();
    for question in [
        "ポータルサイトのアカウント登録には手数料が必要ですか",
        "提供申請書の控えは何年保管すればいいですか",
        "ポスターを掲示する場所はどこがいいですか",
        // A why or a by-when is not answered by a passage that gives no reason or date.
        "申込締切が令和3年3月31日に決まった理由を教えてください",
        "利用目的の掲示の更新は、いつまでに済ませる必要がありますか",
        // The hour is asked: the deadline's date does not answer it.
        "3月31日の何時までならポータルで申し込めますか",
    ] {
        let v = ask(&env, question);
        assert_eq!(v["outcome"], "no_answer", "「{question}」 → {v}");
        let answer = v["answer"].as_str().unwrap();
        assert!(
            answer.contains("記載はありません"),
            "「{question}」 → {answer}"
        );
        assert!(answer.contains("0800-0804583"), "「{question}」 → {answer}");
        assert!(!answer.starts_with("はい"), "「{question}」 → {answer}");
    }
}

/// Asked by when, with nothing else, the date is the answer (a when needs a passage that
/// gives one, and this one does).
#[test]
fn a_when_is_answered_by_a_passage_that_gives_a_date() {
    let env = Env::new();
    let v = ask(&env, "カードリーダーの申込みはいつまでですか");
    assert_eq!(v["outcome"], "answered", "{v}");
    assert!(v["answer"].as_str().unwrap().contains("3月31日"), "{v}");
}

/// A question behind context — a preface (「院長に頼まれたのですが、」) or a sentence of
/// its own — is answered as the question alone is, when the judge finds the answer
/// answers it: the context's extra words do not turn a known date into "not in the
/// sources". A question the sources do not answer stays unanswered, context or not.
#[test]
fn a_question_behind_context_is_answered_as_it_would_be_alone() {
    let env = Env::new();
    for question in [
        "院長に頼まれたのですが、顔認証付きカードリーダーの申込締切はいつですか？",
        "院長に頼まれて調べています。顔認証付きカードリーダーの申込締切はいつですか？",
    ] {
        let v = ask(&env, question);
        assert_eq!(v["outcome"], "answered", "「{question}」 → {v}");
        assert!(
            v["answer"].as_str().unwrap().contains("3月31日"),
            "「{question}」 → {v}"
        );
    }
    let v = ask(
        &env,
        "院長に頼まれたのですが、ポータルサイトのアカウント登録には手数料が必要ですか",
    );
    assert_eq!(v["outcome"], "no_answer", "{v}");
}

/// A bare 「いつ？」 after a question asks it more precisely; it is not a part answered on
/// its own (it once got the chatbot's 「24時間いつでも」). And a reply that cannot confirm
/// its passage answers never says the sources lack the date that passage gives.
#[test]
fn a_bare_interrogative_is_not_a_part_and_a_given_date_is_not_called_missing() {
    let env = Env::new();
    let v = ask(&env, "意向調査って締切ある？いつ？");
    assert_eq!(v["outcome"], "answered", "{v}");
    assert_ne!(v["writer"], "parts", "{v}");
    assert!(v["answer"].as_str().unwrap().contains("3月31日"), "{v}");

    let v = ask(
        &env,
        "カードリーダーの締切日、事務長に聞かれたらなんて答えればいい？いつ？",
    );
    let answer = v["answer"].as_str().unwrap();
    assert_ne!(v["writer"], "parts", "{v}");
    assert!(!answer.contains("シカク"), "{v}");
    assert!(answer.contains("3月31日"), "{v}");
    assert!(!answer.contains("記載はありません"), "{v}");
}

/// An FAQ's はい or いいえ answers the FAQ's own question: asked the opposite
/// (「切手を貼らずに出してもいいですか」 of an FAQ that says 「はい。…切手を貼付の上」), the
/// user must not read 「はい」. The judge's own FAQ question keeps it.
#[test]
fn an_faqs_yes_is_not_given_to_another_yes_no_question() {
    let env = Env::new();
    let v = ask(&env, "返信用封筒に切手を貼らずに出してもいいですか");
    let answer = v["answer"].as_str().unwrap();
    assert!(
        !answer.starts_with("はい") && !answer.starts_with("いいえ"),
        "{v}"
    );
    let v = ask(&env, "申請書を郵送するとき切手は必要ですか");
    assert!(v["answer"].as_str().unwrap().starts_with("はい。"), "{v}");
}

/// Context is read with the question, not answered as a question of its own; a message
/// that asks two things gets each under its source's heading, never the user's words.
#[test]
fn context_is_not_a_part_and_headings_are_the_sources() {
    let env = Env::new();
    let v = ask(
        &env,
        "返信用封筒をなくしてしまいました。意向調査の回答の締切はいつですか",
    );
    let answer = v["answer"].as_str().unwrap();
    assert_ne!(v["writer"], "parts", "{v}");
    assert!(!answer.contains('■'), "{answer}");

    let v = ask(
        &env,
        "カードリーダーの申込みの締切はいつですか。あとコールセンターの電話番号も教えてください",
    );
    assert_eq!(v["writer"], "parts", "{v}");
    let answer = v["answer"].as_str().unwrap();
    assert!(answer.contains("0800-0804583"), "{answer}");
    let sources: Vec<String> = v["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["section"]
                .as_str()
                .or(c["title"].as_str())
                .unwrap()
                .to_string()
        })
        .collect();
    for heading in answer.lines().filter_map(|l| l.strip_prefix("■ ")) {
        assert!(
            sources.iter().any(|s| s == heading),
            "the heading 「{heading}」 is none of the sources {sources:?}"
        );
    }
}
