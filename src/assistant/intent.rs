//! Messages that go to a person rather than to the knowledge base, and small talk.

/// Why a conversation is handed to the call center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The user asked for a person.
    RequestedPerson,
    /// The user asks about their own case, which only the call center can look up.
    OwnCase,
}

const ASKS_FOR_PERSON: &[&str] = &[
    "オペレーター",
    "オペレータ",
    "担当者",
    "人間",
    "有人",
    "人と話",
    "直接話",
    "折り返し",
    "電話をください",
    "電話してください",
    "電話がほしい",
    "電話が欲しい",
    "電話してほしい",
    "電話して欲しい",
    "つないで",
    "繋いで",
    "代わって",
    "スタッフと話",
    "operator",
    "a person",
    "a human",
    "real person",
    "live agent",
    "talk to someone",
    "speak to someone",
    "call me back",
];

/// Words that contain a person word but are about a form field, not a request.
const NOT_A_PERSON_REQUEST: &[&str] = &["担当者氏名", "担当者名", "担当者の氏名", "担当者欄"];

const OWN_CASE: &[&str] = &[
    "届かない",
    "届いていない",
    "届いてない",
    "届きません",
    "届いておりません",
    "来ない",
    "来ていない",
    "来ません",
    "申請状況",
    "申込状況",
    "申込み状況",
    "申し込み状況",
    "審査状況",
    "進捗",
    "どうなって",
    "変更したい",
    "修正したい",
    "訂正したい",
    "取り消し",
    "取消し",
    "キャンセル",
    "間違えて",
    "まちがえて",
    "書き間違",
    "記入ミス",
];

pub fn handoff_reason(normalized: &str) -> Option<HandoffReason> {
    let about_field = NOT_A_PERSON_REQUEST.iter().any(|w| normalized.contains(w));
    if !about_field && ASKS_FOR_PERSON.iter().any(|w| normalized.contains(w)) {
        return Some(HandoffReason::RequestedPerson);
    }
    if OWN_CASE.iter().any(|w| normalized.contains(w)) {
        return Some(HandoffReason::OwnCase);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_requests() {
        for q in [
            "オペレーターと話したい",
            "担当者に代わってください",
            "折り返し電話をください",
        ] {
            assert_eq!(
                handoff_reason(q),
                Some(HandoffReason::RequestedPerson),
                "{q}"
            );
        }
    }

    #[test]
    fn own_cases() {
        for q in [
            "申し込んだカードリーダーがまだ届かない",
            "うちの申請状況を知りたい",
            "申請をキャンセルしたい",
        ] {
            assert_eq!(handoff_reason(q), Some(HandoffReason::OwnCase), "{q}");
        }
    }

    #[test]
    fn ordinary_questions_stay_with_the_bot() {
        for q in [
            "担当者氏名は必須ですか",
            "受付完了のお知らせはいつ届きますか",
            "コールセンターの電話番号は",
        ] {
            assert_eq!(handoff_reason(q), None, "{q}");
        }
    }
}

/// A message that is not a question about the sources: it gets a short reply that says
/// what Shikaku can help with, not an apology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
    Goodbye,
    /// 「あなたは誰？」「AIですか？」
    WhoAreYou,
}

/// Phrases of small talk (normalised: NFKC, lowercase), by kind. A message is small talk
/// only when nothing else is left once they are taken out.
const SMALL_TALK: &[(SmallTalk, &[&str])] = &[
    (
        SmallTalk::WhoAreYou,
        &[
            "あなたは誰",
            "あなたはだれ",
            "あなたは何",
            "あなたはなに",
            "君は誰",
            "きみは誰",
            "誰ですか",
            "だれですか",
            "aiですか",
            "ロボットですか",
            "人間ですか",
            "botですか",
            "who are you",
            "what are you",
            "are you a bot",
            "are you an ai",
            "are you ai",
            "are you human",
        ],
    ),
    (
        SmallTalk::Thanks,
        &[
            "ありがとうございました",
            "ありがとうございます",
            "ありがとう",
            "有難うございます",
            "助かりました",
            "助かります",
            "thank you",
            "thanks",
        ],
    ),
    (
        SmallTalk::Goodbye,
        &[
            "さようなら",
            "さよなら",
            "失礼します",
            "失礼しました",
            "またね",
            "goodbye",
            "bye",
        ],
    ),
    (
        SmallTalk::Greeting,
        &[
            "おはようございます",
            "おはよう",
            "こんにちは",
            "こんばんは",
            "はじめまして",
            "よろしくお願いします",
            "よろしくお願いいたします",
            "よろしく",
            "お疲れ様です",
            "お疲れさまです",
            "hello",
            "good morning",
            "good afternoon",
            "good evening",
            "hi",
        ],
    ),
];

/// Words that may stand beside small talk without making it a question.
const FILLERS: &[&str] = &[
    "わかりました",
    "分かりました",
    "了解しました",
    "了解です",
    "了解",
    "承知しました",
    "なるほど",
    "はい",
    "どうも",
    "本当に",
    "ほんとうに",
    "とても",
    "大変",
    "たいへん",
    "さん",
    "シカク",
    "しかく",
    "あなたは",
    "あなた",
    "は",
    "ね",
    "よ",
    "か",
    "です",
    "ok",
    "okay",
    "great",
    "so much",
    "a lot",
    "very much",
];

/// The kind of small talk `normalized` is, when it is nothing else.
pub fn small_talk(normalized: &str) -> Option<SmallTalk> {
    let mut rest = normalized.to_string();
    let mut kind = None;
    for (k, phrases) in SMALL_TALK {
        for phrase in *phrases {
            if rest.contains(phrase) {
                kind = kind.or(Some(*k));
                rest = rest.replace(phrase, " ");
            }
        }
    }
    let kind = kind?;
    for filler in FILLERS {
        rest = rest.replace(filler, " ");
    }
    rest.chars().all(|c| !c.is_alphanumeric()).then_some(kind)
}

#[cfg(test)]
mod small_talk_tests {
    use super::*;
    use crate::text::normalize;

    #[test]
    fn greetings_thanks_goodbyes_and_who_are_you() {
        for (text, kind) in [
            ("おはようございます", SmallTalk::Greeting),
            ("こんにちは！", SmallTalk::Greeting),
            ("わかりました。ありがとう", SmallTalk::Thanks),
            ("ありがとうございました！😊", SmallTalk::Thanks),
            ("Thank you so much!", SmallTalk::Thanks),
            ("あなたはAIですか？", SmallTalk::WhoAreYou),
            ("シカクさんは誰ですか", SmallTalk::WhoAreYou),
            ("Who are you?", SmallTalk::WhoAreYou),
            ("失礼します", SmallTalk::Goodbye),
        ] {
            assert_eq!(small_talk(&normalize(text)), Some(kind), "{text}");
        }
    }

    #[test]
    fn a_question_beside_small_talk_is_a_question() {
        for text in [
            "ありがとうございます。締切はいつですか",
            "こんにちは、カードリーダーは何台申し込めますか",
            "Hi, what is the deadline?",
            "あなたの電話番号は？",
            "しかく",
            "締切はいつですか",
        ] {
            assert_eq!(small_talk(&normalize(text)), None, "{text}");
        }
    }
}
