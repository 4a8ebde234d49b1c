//! Questions that go to a person rather than to the knowledge base.

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
