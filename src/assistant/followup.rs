//! Follow-ups: a message that leans on the conversation's previous question is made into
//! a question that stands alone, before anything else reads it.
//!
//! 「診療所は？」 after 「病院は何台申し込めますか」 changes the facility and keeps the rest
//! (「診療所は何台申し込めますか」); 「それの締切はいつまで？」 after a question about the
//! survey puts the survey where それ stands; 「土曜日もやってる？」 after a question about the
//! call center carries the call center over. A message that names a topic of its own is a
//! new topic and is left as it is, so the old one never leaks into it.

use crate::judge::asks::Ask;
use crate::knowledge::Glossary;
use crate::search::Analyzer;
use crate::search::analysis::Word;
use crate::text::normalize;

/// Words that open a message that continues the previous one.
const CONNECTIVES: &[&str] = &[
    "じゃあ",
    "じゃ",
    "それでは",
    "では",
    "それなら",
    "だったら",
    "なら",
    "それと",
    "あと",
    "ちなみに",
    "それで",
    "で、",
    "and what about",
    "what about",
    "how about",
    "and for",
    "and",
];

/// Pronouns that point back (名詞-代名詞), and the adnominals that do (連体詞).
const POINTING: &[&str] = &["それ", "これ", "あれ", "そこ", "ここ", "そちら", "こちら"];
const POINTING_ADNOMINAL: &[&str] = &["その", "この", "あの"];

/// Nouns that name what is asked about a topic, not a topic: 「締切は？」 asks for the
/// previous topic's deadline, 「コールセンターの電話番号」 is about the call center.
const ASKED_NOUNS: &[&str] = &[
    "締切",
    "締め切り",
    "〆切",
    "期限",
    "期日",
    "日付",
    "時期",
    "いつ",
    "何時",
    "何日",
    "台数",
    "上限",
    "何台",
    "電話番号",
    "電話",
    "番号",
    "連絡先",
    "問い合わせ先",
    "受付",
    "時間",
    "受付時間",
    "営業時間",
    "曜日",
    "対象",
    "方法",
    "やり方",
    "手順",
    "住所",
    "宛先",
    "送り先",
    "提出先",
    "メールアドレス",
    "アドレス",
    "メール",
    "費用",
    "料金",
    "価格",
    "値段",
    "金額",
    "名前",
    "製品名",
    "名称",
    "理由",
    "条件",
    "場所",
    "何",
    "なに",
    "なん",
    "deadline",
    "number",
    "phone",
    "hours",
    "address",
    "price",
    "name",
];

/// Nouns that frame a follow-up and say nothing (「薬局の場合は？」).
const FRAME_NOUNS: &[&str] = &["場合", "とき", "時", "方", "ほう", "件", "こと", "ところ"];

/// How a message leans on the previous question.
#[derive(Debug, PartialEq, Eq)]
enum Lean {
    /// It names nothing but an alternative (a facility, a maker, a day) and question words.
    Elliptical,
    /// It asks for something (a deadline, a number) about a topic it does not name.
    Topicless,
    /// それ, その: the topic is where the pronoun stands.
    Pointing,
}

/// The question `text` asks once `previous` (the conversation's last question, as it was
/// understood) is read with it, or `None` when it stands alone.
pub fn resolve(
    analyzer: &Analyzer,
    glossary: &Glossary,
    text: &str,
    previous: &str,
) -> Option<String> {
    let text = normalize(text);
    let previous = normalize(previous);
    let (rest, connective) = without_connective(&text);
    let words = analyzer.words(rest);
    let named = glossary.alternatives_named(rest);
    let is_named = |w: &Word| {
        named
            .iter()
            .any(|n| n.word.contains(&w.surface) || w.surface.contains(n.word))
    };
    let pointing = words.iter().any(pointing_word);
    let framing = |w: &Word| FRAME_NOUNS.contains(&w.surface.as_str());
    let own_content = words
        .iter()
        .any(|w| w.content && !pointing_word(w) && !is_named(w) && !asked_noun(w) && !framing(w));
    let asks_something = words.iter().any(|w| w.content && asked_noun(w));
    // After a connective, a message that names no thing of its own (verbs and adverbs
    // only) and asks when, where, how much… asks it of the previous topic: 「で、実際に
    // 使えるようになるのはいつから？」.
    let names_a_thing = words.iter().any(|w| {
        w.content
            && w.pos == "名詞"
            && w.pos_detail != "副詞可能"
            && !pointing_word(w)
            && !is_named(w)
            && !asked_noun(w)
            && !framing(w)
    });
    let asks_of_a_topic = connective
        && !names_a_thing
        && crate::judge::asks::main_ask(rest).is_some_and(|a| a != Ask::WhatIf);
    let lean = if pointing {
        Lean::Pointing
    } else if asks_of_a_topic {
        Lean::Topicless
    } else if own_content {
        return None;
    } else if asks_something {
        Lean::Topicless
    } else if !named.is_empty() || connective {
        Lean::Elliptical
    } else {
        return None;
    };
    tracing::debug!(?lean, "a follow-up of: {previous}");

    if lean == Lean::Elliptical {
        // The same question about another facility, maker or day.
        let before = glossary.alternatives_named(&previous);
        let mut swapped = previous.clone();
        for n in &named {
            if let Some(old) = before.iter().find(|b| b.set == n.set && b.value != n.value) {
                swapped = swapped.replace(old.word, n.word);
            }
        }
        if swapped != previous {
            return Some(swapped);
        }
        // Nothing to swap (「薬局の場合は？」 after a question that names no facility), and
        // nothing asked of its own: the whole previous question, asked in that case.
        let asks_of_its_own = Ask::ALL
            .iter()
            .zip(crate::judge::asks::asks(rest))
            .any(|(a, f)| f && !matches!(a, Ask::WhatIf | Ask::YesNo));
        // Nothing but the alternative and a frame: 「薬局の場合は？」, not 「土曜日もやってる？」.
        let only_a_case = words.iter().all(|w| {
            is_named(w)
                || framing(w)
                || (!w.content && !matches!(w.pos.as_str(), "動詞" | "形容詞"))
                || matches!(w.pos.as_str(), "助詞" | "助動詞" | "記号")
        });
        if !named.is_empty() && !asks_something && !asks_of_its_own && only_a_case {
            let case = rest.trim_end_matches(['?', '？', '。', ' ']);
            let case = ["では", "は", "も", "だと", "なら"]
                .iter()
                .find_map(|p| case.strip_suffix(p))
                .unwrap_or(case);
            if !case.is_empty() && !rest.is_ascii() {
                return Some(format!("{case}、{previous}"));
            }
        }
    }
    let topic = topic_of(analyzer, glossary, &previous, &named)?;
    if rest.contains(&topic) {
        return None;
    }
    if lean == Lean::Pointing {
        let mut out = String::new();
        for w in analyzer.words(rest) {
            if POINTING.contains(&w.surface.as_str()) {
                out.push_str(&topic);
            } else if POINTING_ADNOMINAL.contains(&w.surface.as_str()) {
                out.push_str(&topic);
                out.push('の');
            } else {
                out.push_str(&w.surface);
            }
        }
        return Some(out);
    }
    if rest.is_ascii() {
        return Some(format!("{rest} ({topic})"));
    }
    Some(format!("{topic}について、{rest}"))
}

/// The message without a connective that opens it (じゃあ, では), and whether it had one.
pub fn without_connective(text: &str) -> (&str, bool) {
    let trimmed = text.trim_start();
    for c in CONNECTIVES {
        if let Some(rest) = trimmed.strip_prefix(c) {
            let ascii_word = c.is_ascii();
            if ascii_word && !rest.starts_with([' ', ',']) {
                continue;
            }
            let rest = rest.trim_start_matches(['、', ',', ' ', '…', '.']);
            if !rest.is_empty() {
                return (rest, true);
            }
        }
    }
    (trimmed, false)
}

fn pointing_word(w: &Word) -> bool {
    (w.pos_detail == "代名詞" && POINTING.contains(&w.surface.as_str()))
        || (w.pos == "連体詞" && POINTING_ADNOMINAL.contains(&w.surface.as_str()))
}

fn asked_noun(w: &Word) -> bool {
    ASKED_NOUNS.contains(&w.surface.as_str())
}

/// What a question is about: its first run of nouns that is not a question word, a pronoun
/// or only names what is asked (「導入意向調査の対象を教えて」 → 導入意向調査). An alternative
/// that the follow-up replaces is not carried over.
fn topic_of(
    analyzer: &Analyzer,
    glossary: &Glossary,
    previous: &str,
    replaced: &[crate::knowledge::Named<'_>],
) -> Option<String> {
    let mut runs: Vec<Vec<Word>> = vec![Vec::new()];
    for w in analyzer.words(previous) {
        let noun = (w.pos == "名詞" || w.pos == "接頭詞")
            && w.content
            && w.pos_detail != "代名詞"
            && w.pos_detail != "非自立";
        if noun {
            runs.last_mut().expect("one run at least").push(w);
        } else if !runs.last().is_some_and(Vec::is_empty) {
            runs.push(Vec::new());
        }
    }
    runs.into_iter()
        .filter(|run| {
            run.iter()
                .any(|w| !asked_noun(w) && !matches!(w.pos_detail.as_str(), "接尾" | "数"))
        })
        .map(|run| run.iter().map(|w| w.surface.as_str()).collect::<String>())
        .find(|topic| {
            // 「診療所は？」 after a question about 病院: 病院 is replaced, not carried.
            glossary
                .alternatives_named(topic)
                .iter()
                .all(|n| !replaced.iter().any(|r| r.set == n.set))
        })
}
