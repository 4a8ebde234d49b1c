//! What a question asks for — a date, a place, an amount, a number, a person, a reason, a
//! way, a length of time, what happens if, which one, what, or whether — as the words that
//! ask say it, in Japanese and English. The judge weighs these beside meaning and words:
//! 「どこに届く」 and 「いつまでに申し込む」 share a topic and ask different things.

/// One thing a question can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    When,
    Where,
    Cost,
    Count,
    Who,
    Why,
    How,
    Duration,
    WhatIf,
    Which,
    What,
    /// Whether something is so (no word that asks for something else).
    YesNo,
}

impl Ask {
    pub const ALL: [Ask; 12] = [
        Ask::When,
        Ask::Where,
        Ask::Cost,
        Ask::Count,
        Ask::Who,
        Ask::Why,
        Ask::How,
        Ask::Duration,
        Ask::WhatIf,
        Ask::Which,
        Ask::What,
        Ask::YesNo,
    ];

    /// What the sources do not say of a topic, in a sentence that names it: 「{topic}の費用」.
    pub fn japanese(self) -> Option<&'static str> {
        Some(match self {
            Ask::When => "時期",
            Ask::Where => "場所や送り先",
            Ask::Cost => "費用",
            Ask::Count => "数",
            Ask::Who => "担当",
            Ask::Why => "理由",
            Ask::How => "方法",
            Ask::Duration => "かかる時間",
            Ask::WhatIf => "その場合の扱い",
            Ask::Which => "種類",
            Ask::What | Ask::YesNo => return None,
        })
    }

    /// The same in English: "the cost of …".
    pub fn english(self) -> Option<&'static str> {
        Some(match self {
            Ask::When => "the timing",
            Ask::Where => "the place or address",
            Ask::Cost => "the cost",
            Ask::Count => "the number",
            Ask::Who => "who is responsible",
            Ask::Why => "the reason",
            Ask::How => "the procedure",
            Ask::Duration => "how long it takes",
            Ask::WhatIf => "what happens in that case",
            Ask::Which => "the kinds",
            Ask::What | Ask::YesNo => return None,
        })
    }

    /// The words that ask for this, in normalised text (NFKC, lower case).
    fn words(self) -> &'static [&'static str] {
        match self {
            Ask::When => &[
                "いつ",
                "何日",
                "何月",
                "何時",
                "なんじ",
                "なんにち",
                "期限",
                "締切",
                "締め切",
                "しめきり",
                "時期",
                "日付",
                "何年",
                "when",
                "what date",
                "what time",
                "deadline",
                "by what",
            ],
            Ask::Where => &[
                "どこ",
                "何処",
                "宛先",
                "あて先",
                "送り先",
                "送付先",
                "届け先",
                "提出先",
                "問い合わせ先",
                "問合せ先",
                "連絡先",
                "where",
                "which site",
                "which website",
                "url",
                "address",
            ],
            Ask::Cost => &[
                "いくら",
                "費用",
                "料金",
                "値段",
                "価格",
                "お金",
                "おかね",
                "無料",
                "有料",
                "負担",
                "送料",
                "手数料",
                "利用料",
                "金額",
                "額は",
                "タダ",
                "ただで",
                "how much",
                "cost",
                "fee",
                "price",
                "free",
                "charge",
                "pay",
            ],
            Ask::Count => &[
                "何台",
                "何個",
                "何枚",
                "何件",
                "何人",
                "何回",
                "何つ",
                "いくつ",
                "なんだい",
                "台数",
                "how many",
                "number of",
            ],
            Ask::Who => &["誰", "だれ", "どなた", "who", "whom"],
            Ask::Why => &[
                "なぜ",
                "何故",
                "なんで",
                "どうして",
                "理由",
                "why",
                "reason",
            ],
            Ask::How => &[
                "どうやって",
                "どのように",
                "どうすれ",
                "どうしたら",
                "どうやったら",
                "どうやるの",
                "方法",
                "手順",
                "やり方",
                "仕方",
                "how do",
                "how can",
                "how to",
                "how should",
                "how does",
            ],
            Ask::Duration => &[
                "どのくらい",
                "どれくらい",
                "どれぐらい",
                "どのぐらい",
                "何分",
                "何時間",
                "何日かか",
                "期間",
                "how long",
            ],
            Ask::WhatIf => &["もし", "場合", "たら", "what if", "what happens", "if "],
            Ask::Which => &["どれ", "どの", "どっち", "どちら", "which"],
            Ask::What => &["何", "なに", "なん", "どんな", "what"],
            Ask::YesNo => &[],
        }
    }
}

/// What `text` (normalised) asks for, one flag per [`Ask::ALL`]. A question that asks for
/// nothing else asks whether something is so.
pub fn asks(text: &str) -> [bool; 12] {
    let mut found = [false; 12];
    for (i, ask) in Ask::ALL.iter().enumerate() {
        found[i] = ask.words().iter().any(|w| says(text, w));
    }
    let others = found[..11].iter().any(|&f| f);
    found[11] = !others || ends_like_yes_no(text);
    found
}

/// The first of [`asks`] that names a thing the sources may not state (a date, a place, a
/// cost…), if any: what a "not in the sources" reply says is missing.
pub fn main_ask(text: &str) -> Option<Ask> {
    let found = asks(text);
    // The more specific first: a cost or a reason says more than "what".
    const ORDER: [Ask; 10] = [
        Ask::Why,
        Ask::Cost,
        Ask::Duration,
        Ask::Count,
        Ask::Where,
        Ask::When,
        Ask::Who,
        Ask::How,
        Ask::WhatIf,
        Ask::Which,
    ];
    ORDER
        .into_iter()
        .find(|a| found[Ask::ALL.iter().position(|b| b == a).unwrap_or(0)])
}

/// Whether `text` (normalised) asks for `ask` with a word that only asks (「いつ」, 「何台」,
/// not 「時期」, 「締切」 or 「台数」, which also name a topic: 「導入予定時期は和暦で書けば」
/// asks how).
/// What a passage must then give is checked (`features::gives_what_is_asked`).
pub fn asks_outright(ask: Ask, text: &str) -> bool {
    ask.words()
        .iter()
        .filter(|w| !NAMES_A_TOPIC.contains(w))
        .any(|w| says(text, w))
}

/// Whether `text` says the asking word `word`: 「なんで」 asks why, but not inside
/// 「なんです」「なんでしょう」 (「有床診療所なんですが」 asks nothing).
fn says(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let after = &text[at + word.len()..];
        !(word == "なんで" && (after.starts_with('す') || after.starts_with("しょ")))
    })
}

/// Asking words that also name a topic (「時期」, 「締切」, 「台数」).
const NAMES_A_TOPIC: [&str; 9] = [
    "時期",
    "期限",
    "締切",
    "締め切",
    "しめきり",
    "日付",
    "台数",
    "deadline",
    "number of",
];

/// Whether `text` (normalised) asks for a time of day (「何時まで」, "what time"), not a
/// date.
pub fn asks_the_hour(text: &str) -> bool {
    ["何時", "なんじ", "what time"]
        .iter()
        .any(|w| text.contains(w))
}

/// A closing that asks whether: 「〜ですか」「〜できますか」「〜の？」, English "can we …?".
fn ends_like_yes_no(text: &str) -> bool {
    let t = text.trim_end_matches(['?', '？', '。', '.', ' ', '!', '！']);
    let japanese = [
        "ですか",
        "ますか",
        "でしょうか",
        "ますかね",
        "かな",
        "よね",
        "の",
        "か",
    ]
    .iter()
    .any(|e| t.ends_with(e));
    let english = [
        "is ", "are ", "can ", "do ", "does ", "will ", "should ", "must ", "may ", "could ",
    ]
    .iter()
    .any(|s| t.starts_with(s));
    japanese || english
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str) -> Vec<Ask> {
        let found = asks(&crate::text::normalize(text));
        Ask::ALL
            .iter()
            .zip(found)
            .filter(|(_, f)| *f)
            .map(|(a, _)| *a)
            .collect()
    }

    #[test]
    fn the_words_that_ask_are_found() {
        assert!(asked("カードリーダーはどこに届きますか").contains(&Ask::Where));
        assert!(asked("申込みの締切はいつ？").contains(&Ask::When));
        assert!(asked("送料はこっちの負担？").contains(&Ask::Cost));
        assert!(asked("なんで3月31日なの").contains(&Ask::Why));
        assert!(!asked("うちは有床診療所なんですが、何台まで？").contains(&Ask::Why));
        assert!(asked("How much does it cost?").contains(&Ask::Cost));
        assert_eq!(asked("顔写真は保存されますか"), vec![Ask::YesNo]);
    }

    #[test]
    fn a_word_that_also_names_a_topic_does_not_ask_outright() {
        let outright = |a: Ask, t: &str| asks_outright(a, &crate::text::normalize(t));
        assert!(outright(Ask::When, "締切はいつですか"));
        assert!(outright(Ask::When, "When is the deadline?"));
        assert!(!outright(Ask::When, "導入予定時期は和暦で書けばいいですか"));
        assert!(outright(Ask::Count, "何台まで申し込めますか"));
        assert!(!outright(Ask::Count, "台数を変えたいです"));
        assert!(outright(Ask::Why, "なんで3月31日なの"));
        assert!(!outright(Ask::Why, "うちは診療所なんですが"));
    }

    #[test]
    fn the_main_ask_is_the_most_specific() {
        let main = |t: &str| main_ask(&crate::text::normalize(t));
        assert_eq!(main("なぜ締切は3月31日なんですか"), Some(Ask::Why));
        assert_eq!(main("アカウント登録にお金はかかりますか"), Some(Ask::Cost));
        assert_eq!(main("顔写真は保存されますか"), None);
    }
}
