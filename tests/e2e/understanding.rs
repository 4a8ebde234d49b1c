//! Understanding a conversation: follow-ups read with the previous question, several
//! questions in one message, English answered in English, and the English versions held to
//! the Japanese facts by `kb check`.

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use shikaku::assistant::followup::resolve;
use shikaku::assistant::{Answer, Assistant, Language, Outcome, Question, WriterKind};
use shikaku::knowledge::KnowledgeBase;
use shikaku::search::index::fingerprint;
use shikaku::search::passage::passages;
use shikaku::search::{Analyzer, SearchIndex};

use crate::common::{self, Env, stdout};

fn bundled() -> Arc<KnowledgeBase> {
    let loaded = KnowledgeBase::load(&common::repo().join("knowledge")).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Arc::new(loaded.kb)
}

/// The bundled knowledge base's assistant (words and meaning), built once for the module.
fn assistant() -> &'static Assistant {
    static ASSISTANT: OnceLock<(Assistant, tempfile::TempDir)> = OnceLock::new();
    &ASSISTANT
        .get_or_init(|| {
            let kb = bundled();
            let analyzer = Analyzer::load(&common::dict_dir()).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let index = SearchIndex::build(
                &passages(&kb),
                &analyzer,
                Some(crate::embedding::embedder()),
                dir.path(),
                &fingerprint(&kb),
            )
            .unwrap();
            (Assistant::new(kb, index), dir)
        })
        .0
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 3, 10).unwrap()
}

fn ask_after(previous: Option<&str>, text: &str) -> Answer {
    assistant()
        .answer(&Question::new(text, today()).unwrap().after(previous))
        .unwrap()
}

#[test]
fn follow_ups_change_what_they_name_and_keep_the_rest() {
    let a = assistant();
    let (analyzer, glossary) = (a.index().analyzer(), &a.knowledge().glossary);
    for (previous, message, expected) in [
        // Another facility, maker or day: the same question about it.
        (
            "病院は何台申し込めますか",
            "診療所は？",
            "診療所は何台申し込めますか",
        ),
        (
            "病院は何台申し込めますか",
            "薬局の場合は？",
            "薬局は何台申し込めますか",
        ),
        (
            "アルメックスのカードリーダーの製品名は？",
            "パナソニックのは？",
            "パナソニックのカードリーダーの製品名は?",
        ),
        (
            "コールセンターは土曜日もやっていますか",
            "日曜は？",
            "コールセンターは日曜日もやっていますか",
        ),
        (
            "How many card readers can a hospital get?",
            "What about clinics?",
            "how many card readers can a clinic get?",
        ),
        // Nothing to swap: the whole previous question, asked in that case.
        (
            "紙の申請書はどこに送ればいいですか",
            "薬局の場合は？",
            "薬局の場合、紙の申請書はどこに送ればいいですか",
        ),
        // A pronoun: the previous topic where it stands.
        (
            "導入意向調査の対象を教えて",
            "それの締切はいつまで？",
            "導入意向調査の締切はいつまで?",
        ),
        // Something asked about a topic the message does not name: the topic is carried.
        (
            "コールセンターの電話番号を知りたい",
            "土曜日もやってる？",
            "コールセンターについて、土曜日もやってる?",
        ),
        (
            "ポスターの掲示について教えて",
            "じゃあ期限は？",
            "ポスターについて、期限は?",
        ),
        // After a connective, verbs alone asking when: the previous topic's.
        (
            "導入意向調査には答えないといけませんか",
            "で、返すのはいつまで？",
            "導入意向調査について、返すのはいつまで?",
        ),
    ] {
        assert_eq!(
            resolve(analyzer, glossary, message, previous).as_deref(),
            Some(expected),
            "{previous} → {message}"
        );
    }
}

#[test]
fn a_new_topic_is_not_mixed_with_the_old_one() {
    let a = assistant();
    let (analyzer, glossary) = (a.index().analyzer(), &a.knowledge().glossary);
    for (previous, message) in [
        ("病院は何台申し込めますか", "コールセンターの電話番号は？"),
        ("病院は何台申し込めますか", "ポスターはどこで手に入りますか"),
        // Its own topic after じゃあ: it stands alone.
        (
            "ネットがないのでポータルから申し込めません",
            "じゃあ紙で出すときの締切は？",
        ),
        // Another facility with its own question: not the old question about it.
        ("病院は何台申し込めますか", "診療所の締切は？"),
        ("締切はいつですか", "ありがとう"),
    ] {
        assert_eq!(
            resolve(analyzer, glossary, message, previous),
            None,
            "{previous} → {message}"
        );
    }
}

#[test]
fn a_follow_up_is_answered_as_understood() {
    let answer = ask_after(Some("病院は何台申し込めますか"), "診療所の場合は？");
    assert_eq!(answer.outcome, Outcome::Answered, "{answer:?}");
    assert!(answer.answer.contains("1台"), "{answer:?}");
    assert!(!answer.answer.contains("3台まで申し込め"), "{answer:?}");
    assert_eq!(
        answer.understood_as.as_deref(),
        Some("診療所は何台申し込めますか")
    );
    let maker = ask_after(Some("富士通のカードリーダーの製品名は？"), "キヤノンのは？");
    assert!(maker.answer.contains("Hi-CARA"), "{maker:?}");
    // Alone, the same words are not enough to answer from.
    let alone = ask_after(None, "キヤノンのは？");
    assert!(alone.understood_as.is_none(), "{alone:?}");
}

#[test]
fn two_questions_in_one_are_answered_part_by_part() {
    let answer = ask_after(
        None,
        "薬局の申込み台数の上限と、郵送の場合の締切を教えてください",
    );
    assert_eq!(answer.outcome, Outcome::Answered, "{answer:?}");
    assert_eq!(answer.writer, WriterKind::Parts, "{answer:?}");
    assert!(answer.answer.contains("1台"), "{answer:?}");
    assert!(answer.answer.contains("消印"), "{answer:?}");
    let both = ask_after(
        None,
        "コールセンターの電話番号は何番ですか。あと土曜日の受付時間は？",
    );
    assert!(both.answer.contains("0800-0804583"), "{both:?}");
    assert!(both.answer.contains("16:00"), "{both:?}");
    assert!(both.citations.len() >= 2, "{both:?}");
    // One question with と in it is still one question.
    let one = ask_after(None, "顔認証付きカードリーダーとは何ですか");
    assert_ne!(one.writer, WriterKind::Parts, "{one:?}");
}

#[test]
fn english_is_answered_in_english_and_other_languages_are_told_which() {
    let answer = ask_after(None, "What is the phone number of the call center?");
    assert_eq!(answer.outcome, Outcome::Answered, "{answer:?}");
    assert_eq!(answer.language, Language::En);
    assert!(answer.answer.contains("0800-0804583"), "{answer:?}");
    assert!(
        !answer.answer.chars().any(|c| matches!(c, 'ぁ'..='ゖ')),
        "no hiragana in an English answer: {answer:?}"
    );
    // Citations stay the Japanese sources.
    assert!(!answer.citations.is_empty());
    let thanks = ask_after(None, "Thank you!");
    assert_eq!(thanks.writer, WriterKind::SmallTalk);
    assert!(thanks.answer.starts_with("You're welcome"), "{thanks:?}");
    let korean = ask_after(None, "카드 리더기 신청 마감일은 언제입니까?");
    assert!(korean.answer.contains("日本語と英語"), "{korean:?}");
    assert!(korean.answer.contains("Japanese and English"), "{korean:?}");
}

#[test]
fn kb_check_holds_the_english_version_to_the_japanese_facts() {
    let (env, copy) = Env::with_knowledge_copy();
    let path = copy.path().join("faq/call-center-hours.md");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("Saturday 8:00-16:00"), "{text}");
    std::fs::write(
        &path,
        text.replace("Saturday 8:00-16:00", "Saturday 8:00-17:00"),
    )
    .unwrap();
    let out = env.run(&["kb", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(
        report.contains("call-center-hours.md") && report.contains("17:00"),
        "{report}"
    );
    assert!(
        report.contains("日本語にある 16:00 が英語にありません"),
        "{report}"
    );
}
