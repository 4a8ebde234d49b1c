//! The verifier: a model's draft reaches a user only if every fact it states is in the
//! sources it was given.
//!
//! Facts are normalised before comparison (NFKC, full-width digits, 令和 ↔ 西暦), so
//! 「令和3年3月31日」 in a source supports 「2021年3月31日」 and 「3/31」 in a draft.

use std::collections::HashSet;
use std::fmt;

mod conditions;

use crate::text::contacts::{EMAIL, URL};
use crate::text::facts::{Fact, facts};
use crate::text::facts::{NUMBER, with_partials};
use crate::text::{is_japanese, normalize, sentences};
use conditions::{Condition, Stated, conditions, dropped_condition};

/// Why a draft was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    /// It stops mid-sentence (the token budget ran out).
    CutOff,
    /// It repeats itself.
    Repeated,
    /// Too little of it is Japanese.
    NotJapanese,
    /// A fact that none of the sources states.
    Unsupported(String),
    /// A fact of the curated answer that the draft left out.
    Dropped(String),
    /// Says too little to be an answer (「はい。」).
    Uninformative,
    /// A fact the sources state about something else than the draft or the question.
    Unrelated(String),
    /// A sentence that no source sentence says, or says with the opposite polarity
    /// (「保存されます」 where the source says 「保存されません」).
    Ungrounded(String),
    /// A claim stated without the condition its source attaches to it: 「自己負担0円です」
    /// where the source says 「令和3年3月31日までに申し込むと、…自己負担0円となります」.
    DroppedCondition(String),
}

impl Rejection {
    /// A short label for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::CutOff => "cut_off",
            Rejection::Repeated => "repeated",
            Rejection::NotJapanese => "not_japanese",
            Rejection::Unsupported(_) => "unsupported_fact",
            Rejection::Dropped(_) => "dropped_fact",
            Rejection::Uninformative => "uninformative",
            Rejection::Ungrounded(_) => "ungrounded",
            Rejection::Unrelated(_) => "unrelated_fact",
            Rejection::DroppedCondition(_) => "dropped_condition",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Unsupported(fact) => write!(f, "unsupported fact {fact}"),
            Rejection::Dropped(fact) => write!(f, "dropped fact {fact}"),
            Rejection::Ungrounded(sentence) => write!(f, "ungrounded sentence 「{sentence}」"),
            Rejection::DroppedCondition(condition) => {
                write!(f, "dropped the condition 「{condition}」")
            }
            Rejection::Unrelated(fact) => {
                write!(f, "fact {fact} is about something else in the sources")
            }
            other => f.write_str(other.kind()),
        }
    }
}

/// What the sources state, for lookups.
pub struct Evidence {
    facts: HashSet<Fact>,
    numbers: HashSet<String>,
    text: String,
    /// Each source sentence: its content bigrams, polarity and facts.
    sentences: Vec<SourceSentence>,
}

struct SourceSentence {
    bigrams: HashSet<String>,
    chars: HashSet<char>,
    numbers: HashSet<String>,
    negative: bool,
    facts: HashSet<Fact>,
    conditions: Vec<Condition>,
}

/// A draft sentence must share this share of its character bigrams with one source sentence.
const GROUNDING_MIN: f32 = 0.6;
/// Fewer word characters than this is not an answer.
const MIN_WORD_CHARS: usize = 6;

/// Words that turn a Japanese statement negative.
const NEGATIONS: [&str; 5] = ["ません", "ない", "なく", "ぬ", "不要"];

fn negative(sentence: &str) -> bool {
    NEGATIONS.iter().any(|n| sentence.contains(n))
}

fn is_content_char(c: char) -> bool {
    matches!(c, 'ァ'..='ヺ' | 'ー' | '一'..='鿿' | '々' | '〆') || c.is_ascii_alphanumeric()
}

/// The content characters of a sentence with its facts blanked.
fn content_chars(sentence: &str) -> HashSet<char> {
    chars_of(&facts(sentence).1)
}

fn chars_of(wording: &str) -> HashSet<char> {
    wording.chars().filter(|c| is_content_char(*c)).collect()
}

/// Bigrams of a sentence's content characters: kanji, katakana, Latin letters — not the
/// hiragana of particles and endings (polarity is checked on its own), and not the facts
/// (checked on their own, in any notation).
fn bigrams(sentence: &str) -> HashSet<String> {
    bigrams_of(&facts(sentence).1)
}

fn bigrams_of(wording: &str) -> HashSet<String> {
    let chars: Vec<char> = wording
        .chars()
        .filter(|c| {
            matches!(*c, 'ァ'..='ヺ' | 'ー' | '一'..='鿿' | '々' | '〆')
                || c.is_ascii_alphanumeric()
        })
        .collect();
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// What a text states, one statement at a time: its sentences without their 「。」, also
/// split at ！ and ？ (each says something of its own).
fn statements(text: &str) -> impl Iterator<Item = &str> {
    sentences(text)
        .flat_map(|s| {
            s.strip_suffix('。')
                .unwrap_or(s)
                .split(['！', '？', '!', '?'])
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Evidence {
    pub fn new(sources: &[&str]) -> Self {
        let mut all = String::new();
        let mut numbers = HashSet::new();
        for source in sources {
            let normalized = normalize(source);
            numbers.extend(
                NUMBER
                    .find_iter(&normalized)
                    .map(|m| m.as_str().to_string()),
            );
            all.push_str(&normalized);
            all.push('\n');
        }
        let sentences: Vec<SourceSentence> = sources
            .iter()
            .flat_map(|s| statements(s))
            .map(|s| {
                let (found, wording) = facts(s);
                SourceSentence {
                    bigrams: bigrams_of(&wording),
                    chars: chars_of(&wording),
                    numbers: NUMBER
                        .find_iter(&normalize(s))
                        .map(|m| m.as_str().to_string())
                        .collect(),
                    negative: negative(s),
                    facts: with_partials(found),
                    conditions: conditions(&normalize(s)),
                }
            })
            .collect();
        let known = sentences
            .iter()
            .flat_map(|s| s.facts.iter().cloned())
            .collect();
        Evidence {
            facts: known,
            numbers,
            text: all,
            sentences,
        }
    }

    fn supports(&self, fact: &Fact) -> bool {
        match fact {
            Fact::Name(name) => self.text.to_lowercase().contains(&name.to_lowercase()),
            other => self.facts.contains(other),
        }
    }
}

/// Accepts `draft` only if it reads as a finished Japanese answer and every fact it states
/// is in `evidence`; `required` facts (those of a curated answer) must all be kept.
pub fn verify(
    draft: &str,
    question: &str,
    evidence: &Evidence,
    required: &[Fact],
) -> Result<(), Rejection> {
    let trimmed = draft.trim();
    if trimmed.is_empty() {
        return Err(Rejection::Empty);
    }
    // Addresses are Latin by nature; judge the language on the rest.
    let prose = EMAIL
        .replace_all(&URL.replace_all(trimmed, " "), " ")
        .into_owned();
    let letters: Vec<char> = prose.chars().filter(|c| c.is_alphabetic()).collect();
    let japanese = letters.iter().filter(|c| is_japanese(**c)).count();
    if letters.is_empty() || japanese * 2 < letters.len() {
        return Err(Rejection::NotJapanese);
    }
    if !trimmed.ends_with(['。', '！', '？', '!', '?', '）', ')', '」']) {
        return Err(Rejection::CutOff);
    }
    if is_repetitive(trimmed) {
        return Err(Rejection::Repeated);
    }
    let (found, rest) = facts(trimmed);
    for fact in &found {
        if !evidence.supports(fact) {
            return Err(Rejection::Unsupported(fact.to_string()));
        }
    }
    if let Some(n) = NUMBER
        .find_iter(&rest)
        .find(|m| !evidence.numbers.contains(m.as_str()))
    {
        return Err(Rejection::Unsupported(n.as_str().to_string()));
    }
    if trimmed
        .chars()
        .filter(|c| crate::text::is_word_char(*c))
        .count()
        < MIN_WORD_CHARS
    {
        return Err(Rejection::Uninformative);
    }
    // Clause by clause: a true first half must not carry an invented second half, and the
    // facts and numbers of a clause must come from the source sentence that says it. A bare
    // clause (「令和3年3月31日。」) must match the question's topic instead: asked for the
    // notice's date, a true date about something else is still a wrong answer. A clause
    // must keep, somewhere in its sentence, the conditions its source attaches to it.
    let asked = bigrams(question);
    for statement in statements(trimmed) {
        let stated = Stated::new(statement);
        for clause in statement.split(['、', ',']) {
            let (clause_facts, rest) = facts(clause);
            let clause_facts: Vec<Fact> = clause_facts
                .into_iter()
                .filter(|f| !matches!(f, Fact::Name(_)))
                .collect();
            let clause_numbers: Vec<&str> = NUMBER.find_iter(&rest).map(|m| m.as_str()).collect();
            let own = bigrams(clause);
            let states_it = |source: &SourceSentence| {
                clause_facts.iter().all(|f| source.facts.contains(f))
                    && clause_numbers.iter().all(|n| source.numbers.contains(*n))
            };
            if own.is_empty() {
                if clause_facts.is_empty() && clause_numbers.is_empty() {
                    continue; // grammar only
                }
                // One content character (「土は8:00-16:00」) names its topic; none: the question does.
                let chars = content_chars(clause);
                let on_topic = evidence.sentences.iter().any(|source| {
                    states_it(source)
                        && if chars.is_empty() {
                            !asked.is_disjoint(&source.bigrams)
                        } else {
                            !chars.is_disjoint(&source.chars)
                        }
                });
                if !on_topic {
                    let what = clause_facts
                        .first()
                        .map_or_else(|| clause_numbers[0].to_string(), Fact::to_string);
                    return Err(Rejection::Unrelated(what));
                }
                continue;
            }
            let grounding: Vec<(f32, &SourceSentence)> = evidence
                .sentences
                .iter()
                .map(|source| (share(&own, &source.bigrams), source))
                .filter(|(shared, source)| {
                    *shared >= GROUNDING_MIN && source.negative == negative(clause)
                })
                .collect();
            if grounding.is_empty() {
                return Err(Rejection::Ungrounded(clause.to_string()));
            }
            let stating: Vec<(f32, &SourceSentence)> = grounding
                .into_iter()
                .filter(|(_, source)| states_it(source))
                .collect();
            if stating.is_empty() {
                let what = clause_facts.first().map_or_else(
                    || clause_numbers.first().copied().unwrap_or("").to_string(),
                    Fact::to_string,
                );
                return Err(Rejection::Unrelated(what));
            }
            if let Some(condition) = dropped_condition(&own, &stated, &stating) {
                return Err(Rejection::DroppedCondition(condition.text.clone()));
            }
        }
    }
    let kept: HashSet<&Fact> = found.iter().collect();
    if let Some(missing) = required.iter().find(|f| !kept.contains(f)) {
        return Err(Rejection::Dropped(missing.to_string()));
    }
    Ok(())
}

/// The share of `own` bigrams that `other` has.
fn share(own: &HashSet<String>, other: &HashSet<String>) -> f32 {
    own.intersection(other).count() as f32 / own.len().max(1) as f32
}

/// A sentence said twice, or a run of 8+ characters three times.
fn is_repetitive(text: &str) -> bool {
    let sentences: Vec<&str> = text
        .split_inclusive('。')
        .map(str::trim)
        .filter(|s| s.chars().count() > 4)
        .collect();
    let unique: HashSet<&&str> = sentences.iter().collect();
    if unique.len() < sentences.len() {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 24 {
        return false;
    }
    (0..chars.len() - 8).any(|i| {
        let run: String = chars[i..i + 8].iter().collect();
        text.matches(run.as_str()).count() >= 3
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &[&str] = &[
        "顔認証付きカードリーダーの申請は令和3年3月31日が締切です。病院は最高3台、診療所・薬局は1台申込みができます。",
        "オンライン資格確認等コールセンター 0800-0804583（通話無料）月～金：8:00-18:00 土：8:00-16:00",
        "申請書での申込みは、ポータルサイトでの申込みと比較し、2か月程度遅くなる可能性があります。",
        "富士通 Caora、キャノン Hi-CARA。受付完了のお知らせはメールで行います（令和3年5～6月頃）。contact@iryohokenjyoho-portalsite.jp",
        "カードの顔写真を機器で確認します。※顔写真は機器に保存されません。",
    ];

    fn check(draft: &str) -> Result<(), Rejection> {
        verify(draft, "質問", &Evidence::new(SOURCE), &[])
    }

    #[test]
    fn drafts_that_pass() {
        for draft in [
            "申請は令和3年3月31日が締切です。",
            "申請は2021年3月31日が締切です。",
            "申請は３月３１日が締切です。",
            "顔認証付きカードリーダーの申請は3/31が締切です。",
            "オンライン資格確認等コールセンターは0800-0804583です。月～金は8:00-18:00、土は8:00-16:00です。",
            "病院は最高3台、診療所・薬局は1台申込みができます。",
            "申請書での申込みは、ポータルサイトでの申込みと比較し、2ヶ月程度遅くなる可能性があります。",
            "キャノンはHi-CARAです。",
            "受付完了のお知らせは令和3年5月から6月頃メールで行います。",
            "顔写真は機器に保存されません。",
        ] {
            assert_eq!(check(draft), Ok(()), "{draft}");
        }
    }

    #[test]
    fn drafts_that_fail() {
        for (draft, kind) in [
            ("申込締切は令和4年3月31日です。", "unsupported_fact"),
            ("申込締切は2022年3月31日です。", "unsupported_fact"),
            ("申込締切は令和3年3月30日です。", "unsupported_fact"),
            ("コールセンターは0800-0804538です。", "unsupported_fact"),
            ("カードリーダーの価格は5万円です。", "unsupported_fact"),
            ("病院は5台まで申し込めます。", "unsupported_fact"),
            ("受付は9:00からです。", "unsupported_fact"),
            ("富士通の製品はCaora Proです。", "unsupported_fact"),
            ("ソニーのリーダーも選べます。", "unsupported_fact"),
            ("締切は3月31日で", "cut_off"),
            ("", "empty"),
            ("The deadline is March 31.", "not_japanese"),
            ("締切は3月31日です。締切は3月31日です。", "repeated"),
            ("お問い合わせは0120-00-0000まで。", "unsupported_fact"),
            ("約7日間かかります。", "unsupported_fact"),
            ("はい。", "uninformative"),
            // Seen from the model: a negation flipped, and the question echoed back.
            ("顔写真の確認は、機器に保存されます。", "ungrounded"),
            (
                "郵送で申請した場合、ポータルより何か月遅れますか。",
                "ungrounded",
            ),
            (
                "申請書での申込みは、時間がかかるため、お電話でご相談ください。",
                "ungrounded",
            ),
            ("郵送の場合はお電話でご相談ください。", "ungrounded"),
            ("病院は最高3台申込みができません。", "ungrounded"),
        ] {
            let got = check(draft);
            assert_eq!(
                got.as_ref().map_err(Rejection::kind),
                Err(kind),
                "{draft}: {got:?}"
            );
        }
    }

    #[test]
    fn a_fact_must_be_about_what_was_asked() {
        let evidence = Evidence::new(&[
            "事務連絡（令和3年3月3日）。",
            "申請は令和3年3月31日が締切です。",
        ]);
        let date = verify("令和3年3月31日。", "この事務連絡の日付は", &evidence, &[]);
        assert_eq!(date.map_err(|r| r.kind()), Err("unrelated_fact"));
        assert_eq!(
            verify(
                "令和3年3月3日です。",
                "この事務連絡の日付は",
                &evidence,
                &[]
            ),
            Ok(())
        );
        assert_eq!(
            verify("締切は令和3年3月31日です。", "いつまで", &evidence, &[]),
            Ok(())
        );
    }

    /// (source, draft, what the verifier says), the sources in the knowledge base's words.
    #[test]
    fn a_claim_keeps_the_condition_its_source_attaches_to_it() {
        const SELF_PAY: &str = "顔認証付きカードリーダーを令和3年3月31日までに申し込むと、補助上限額までは自己負担0円となります。";
        const FULL: &str = "令和3年3月末までに顔認証付きカードリーダーを申し込むと、補助上限額まで全額補助することとされています。";
        const REQUIREMENT: &str = "追加補助の対象要件は、顔認証付きカードリーダーを令和3年3月31日までに申し込むことです。既に申請済みの医療機関等も追加補助の対象となります。";
        const POSTMARK: &str =
            "郵便局の消印の日付が令和3年3月31日までであれば、受付締切に間に合う扱いです。";
        const BY_MAIL: &str = "インターネットでの回答が難しい場合は、調査票の裏面を使い、同封の返信用封筒の「オンライン資格確認導入意向調査在中」に○をつけて、切手を貼って郵送してください。";
        const PLANNED: &str =
            "「未導入（導入予定あり）」を選んだ場合は、導入予定の年・月を西暦で記入します。";
        const CONSENT: &str = "同意をすれば、初めての医療機関等でも、今までに使った正確な薬の情報が医師等と共有できます。";
        const PRIVACY: &str = "本調査は、オンライン資格確認普及促進に向けての対応にのみ使用し、他の目的には使用しません。";
        const PAPER: &str = "紙の申請書で申し込んだ場合でも、顔認証付きカードリーダーの受付が完了した旨のお知らせをメールで行います（令和3年5～6月頃）。";
        const DELAY: &str = "申請書での申込みは、受付から発注処理までに時間を要するため、顔認証付きカードリーダーのお届けが、ポータルサイトでの申込みと比べて2か月程度遅くなる可能性があります。";
        let dropped = Err("dropped_condition");
        for (source, draft, want) in [
            // Seen from the model: the deadline left out.
            (SELF_PAY, "自己負担なしで入ることができます。", dropped),
            (SELF_PAY, "補助上限額までは自己負担0円となります。", dropped),
            (
                SELF_PAY,
                "令和3年3月31日までに申し込むと、補助上限額までは自己負担0円となります。",
                Ok(()),
            ),
            (
                SELF_PAY,
                "3月31日までに申し込めば、自己負担0円で導入できます。",
                Ok(()),
            ),
            (
                SELF_PAY,
                "2021年3月31日までに申し込むと、自己負担0円です。",
                Ok(()),
            ),
            (
                SELF_PAY,
                "3/31までに申し込むと、補助上限額までは自己負担0円となります。",
                Ok(()),
            ),
            (
                FULL,
                "顔認証付きカードリーダーを申し込むと、補助上限額まで全額補助されます。",
                dropped,
            ),
            (
                FULL,
                "3月中に顔認証付きカードリーダーを申し込むと、全額補助されます。",
                Ok(()),
            ),
            (
                SELF_PAY,
                "締切日までに顔認証付きカードリーダーを申し込むと、補助上限額までは自己負担0円となります。",
                Ok(()),
            ),
            (
                REQUIREMENT,
                "追加補助の対象要件は、顔認証付きカードリーダーを申し込むことです。",
                dropped,
            ),
            (
                REQUIREMENT,
                "追加補助の対象要件は、令和3年3月31日までに申し込むことです。",
                Ok(()),
            ),
            // The other sentence says it unconditionally.
            (
                REQUIREMENT,
                "既に申請済みの医療機関等も追加補助の対象となります。",
                Ok(()),
            ),
            (
                POSTMARK,
                "消印があれば、受付締切に間に合う扱いです。",
                dropped,
            ),
            (POSTMARK, "受付締切に間に合う扱いです。", dropped),
            (
                POSTMARK,
                "3月31日までの消印であれば、受付締切に間に合います。",
                Ok(()),
            ),
            (
                BY_MAIL,
                "調査票の裏面を使い、切手を貼って郵送してください。",
                dropped,
            ),
            (
                BY_MAIL,
                "ネットでの回答が難しいときは、調査票の裏面を使い、切手を貼って郵送してください。",
                Ok(()),
            ),
            (
                BY_MAIL,
                "インターネットでの回答が難しい場合は、調査票の裏面を使って郵送してください。",
                Ok(()),
            ),
            (PLANNED, "導入予定の年・月を西暦で記入します。", dropped),
            (
                PLANNED,
                "導入予定がある場合は、導入予定の年・月を西暦で記入します。",
                Ok(()),
            ),
            (
                CONSENT,
                "初めての医療機関等でも、薬の情報が医師等と共有できます。",
                dropped,
            ),
            (
                CONSENT,
                "同意すれば、初めての医療機関等でも、薬の情報が医師等と共有できます。",
                Ok(()),
            ),
            // A restriction inside a clause governs that clause only.
            (PRIVACY, "回答は他の目的には使用しません。", Ok(())),
            // 「場合でも」 widens the claim, and 「発注処理までに」 is no deadline.
            (
                PAPER,
                "受付が完了した旨のお知らせはメールで行います（令和3年5～6月頃）。",
                Ok(()),
            ),
            (
                DELAY,
                "申請書での申込みは、ポータルサイトでの申込みと比べて2か月程度遅くなる可能性があります。",
                Ok(()),
            ),
        ] {
            let got = verify(draft, "質問", &Evidence::new(&[source]), &[]);
            assert_eq!(
                got.as_ref().map(|_| ()).map_err(Rejection::kind),
                want,
                "{draft} ({source}): {got:?}"
            );
        }
        assert_eq!(
            verify(
                "自己負担なしで入ることができます。",
                "質問",
                &Evidence::new(&[SELF_PAY]),
                &[]
            ),
            Err(Rejection::DroppedCondition(
                "顔認証付きカードリーダーを令和3年3月31日までに".into()
            ))
        );
    }

    #[test]
    fn what_counts_as_a_condition() {
        for (sentence, want) in [
            (
                "顔認証付きカードリーダーを令和3年3月31日までに申し込むと、自己負担0円となります",
                vec!["顔認証付きカードリーダーを令和3年3月31日までに"],
            ),
            (
                "付き合いのある業者がない場合は、お問い合わせ先を参照してください",
                vec!["付き合いのある業者がない場合は"],
            ),
            ("病院に限り、3台まで申し込めます", vec!["病院に限り"]),
            ("同意をすれば、薬の情報が共有できます", vec!["同意をすれば"]),
            (
                "消印が3月31日までであれば、間に合います",
                vec!["消印が3月31日までであれば"],
            ),
            (
                "本調査は、対応にのみ使用し、他の目的には使用しません",
                vec!["対応にのみ"],
            ),
            // No conditions: a wider claim, a span of work, a manner, an example, a duty, advice.
            ("紙の申請書で申し込んだ場合でも、メールで届きます", vec![]),
            (
                "紙の申請書で申し込んだ場合も、アカウント登録をしてください",
                vec![],
            ),
            ("受付から発注処理までに時間を要します", vec![]),
            ("できる限り早く申し込んでください", vec![]),
            ("例えば、レセコンの業者に相談します", vec![]),
            ("申請書を記入しなければなりません", vec![]),
            ("どこに相談すればよいですか", vec![]),
        ] {
            let got: Vec<String> = conditions(sentence).into_iter().map(|c| c.text).collect();
            assert_eq!(got, want, "{sentence}");
        }
    }

    #[test]
    fn a_draft_must_keep_the_curated_facts() {
        let evidence = Evidence::new(SOURCE);
        let (required, _) = facts("月～金：8:00-18:00");
        assert_eq!(
            verify(
                "コールセンターは月～金の8:00-18:00です。",
                "質問",
                &evidence,
                &required
            ),
            Ok(())
        );
        let got = verify(
            "コールセンターは月～金の8:00からです。",
            "質問",
            &evidence,
            &required,
        );
        assert_eq!(got, Err(Rejection::Dropped("18:00".into())));
    }
}
