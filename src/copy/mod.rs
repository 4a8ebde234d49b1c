//! What Shikaku says in fixed words, one catalog per language: `ja.json` and `en.json`.
//!
//! The same files serve the API's error messages, the messaging channels' notices, the
//! assistant's fixed answers and the widget (which gets them whole as `TEXTS`), so a
//! sentence is written once. A text may hold placeholders such as `{phone}`, filled by
//! [`filled`]; a unit test holds both catalogs to the same keys and the same placeholders.
//! The consoles' staff-facing words are Japanese only and stay with their routes.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::Language;

// The widget includes the same files (`scoped!` in `http/routes/pages.rs`).
const JA_JSON: &str = include_str!("ja.json");
const EN_JSON: &str = include_str!("en.json");

static CATALOGS: LazyLock<[HashMap<String, String>; 2]> =
    LazyLock::new(|| [parse(JA_JSON, "ja.json"), parse(EN_JSON, "en.json")]);

fn parse(json: &str, file: &str) -> HashMap<String, String> {
    // Compiled in, and held whole by the unit tests below: a broken catalog never ships.
    serde_json::from_str(json).unwrap_or_else(|e| panic!("src/copy/{file}: {e}"))
}

macro_rules! keys {
    ($($(#[$doc:meta])* $key:ident = $name:literal,)+) => {
        /// A text the service itself says (the widget's own texts are looked up by name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key {
            $($(#[$doc])* $key,)+
        }

        impl Key {
            pub const ALL: &[Key] = &[$(Key::$key,)+];

            /// The text's name in the catalogs.
            pub fn name(self) -> &'static str {
                match self {
                    $(Key::$key => $name,)+
                }
            }
        }
    };
}

keys! {
    // The assistant's fixed answers.
    WhatIAnswer = "whatIAnswer",
    SmallTalkGreeting = "smallTalkGreeting",
    SmallTalkThanks = "smallTalkThanks",
    SmallTalkGoodbye = "smallTalkGoodbye",
    SmallTalkWhoAreYou = "smallTalkWhoAreYou",
    NoAnswer = "noAnswer",
    HandoffRequested = "handoffRequested",
    HandoffOwnCase = "handoffOwnCase",
    DeadlinePassed = "deadlinePassed",
    UnsavedCall = "unsavedCall",
    UnsavedRetry = "unsavedRetry",
    NumberRemoved = "numberRemoved",
    // A question refused.
    QuestionEmpty = "questionEmpty",
    QuestionTooLong = "questionTooLong",
    QuestionControl = "questionControl",
    // The hand-over to a person, and what follows it.
    Handoff = "handoff",
    HandoffRequest = "handoffRequest",
    HandoffAccepted = "handoffAccepted",
    HandoffAcceptedLater = "handoffAcceptedLater",
    HandoffCallHours = "handoffCallHours",
    HandoffNextOpen = "handoffNextOpen",
    HandoffNextOpenUnknown = "handoffNextOpenUnknown",
    HandoffFailedCall = "handoffFailedCall",
    HandoffFailedRetry = "handoffFailedRetry",
    AlreadyWaiting = "alreadyWaiting",
    InvalidDetails = "invalidDetails",
    InvalidControl = "invalidControl",
    InvalidFacilityName = "invalidFacilityName",
    InvalidFacilityCode = "invalidFacilityCode",
    InvalidContact = "invalidContact",
    InvalidContactNumber = "invalidContactNumber",
    InvalidQuestion = "invalidQuestion",
    PassedOn = "passedOn",
    TicketClaimed = "ticketClaimed",
    TicketReleased = "ticketReleased",
    TicketResolved = "ticketResolved",
    TicketReopened = "ticketReopened",
    AgentHeading = "agentHeading",
    AgentHeadingNamed = "agentHeadingNamed",
    // The messaging channels.
    Introduction = "introduction",
    NotText = "notText",
    Sources = "sources",
    LineWelcome = "lineWelcome",
    TelegramWelcome = "telegramWelcome",
    TelegramHelp = "telegramHelp",
    // The API's errors.
    Internal = "internal",
    Timeout = "timeout",
    RateLimited = "rateLimited",
    UnknownSession = "unknownSession",
    StorageUnavailable = "storageUnavailable",
    StorageCall = "storageCall",
    InvalidComment = "invalidComment",
    CommentTooLong = "commentTooLong",
    UnknownMessage = "unknownMessage",
    InvalidRating = "invalidRating",
    InvalidReason = "invalidReason",
    InvalidRequest = "invalidRequest",
    InvalidJson = "invalidJson",
    UnsupportedMediaType = "unsupportedMediaType",
    TooLarge = "tooLarge",
    UnreadableRequest = "unreadableRequest",
    BadParameter = "badParameter",
    InvalidText = "invalidText",
    NotFound = "notFound",
    Missing = "missing",
    Conflict = "conflict",
}

/// The text of `key` in `language`, as written (placeholders and all).
pub fn text(language: Language, key: Key) -> &'static str {
    let catalog = &CATALOGS[match language {
        Language::Ja => 0,
        Language::En => 1,
    }];
    catalog
        .get(key.name())
        .map(String::as_str)
        .unwrap_or_else(|| panic!("{} is missing from the {language} catalog", key.name()))
}

/// The text of `key` with each `{name}` of `args` filled in. A placeholder the text does
/// not hold is ignored, so one set of arguments can serve texts with fewer placeholders.
pub fn filled(language: Language, key: Key, args: &[(&str, &str)]) -> String {
    let mut text = text(language, key).to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The text of `key` in Japanese: what the channels and the API say, as before English.
pub fn ja(key: Key) -> &'static str {
    text(Language::Ja, key)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(text: &str) -> BTreeSet<String> {
        regex::Regex::new(r"\{(\w+)\}")
            .expect("regex")
            .captures_iter(text)
            .map(|c| c[1].to_string())
            .collect()
    }

    #[test]
    fn both_catalogs_have_the_same_texts_with_the_same_placeholders() {
        let [ja, en] = &*CATALOGS;
        let names = |c: &HashMap<String, String>| c.keys().cloned().collect::<BTreeSet<_>>();
        assert_eq!(names(ja), names(en));
        for (name, text) in ja {
            assert!(
                !text.trim().is_empty() && !en[name].trim().is_empty(),
                "{name}"
            );
            assert_eq!(placeholders(text), placeholders(&en[name]), "{name}");
        }
    }

    #[test]
    fn every_key_is_in_the_catalogs_in_its_language() {
        let japanese = |text: &str| {
            text.chars()
                .any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}'))
        };
        for &key in Key::ALL {
            assert!(japanese(text(Language::Ja, key)), "{key:?}");
            assert!(!japanese(text(Language::En, key)), "{key:?}");
        }
    }

    #[test]
    fn placeholders_are_filled_and_others_ignored() {
        let call = filled(Language::Ja, Key::StorageCall, &[("phone", "0120-000-000")]);
        assert!(call.contains("（0120-000-000）"), "{call}");
        assert!(!call.contains('{'));
        let unchanged = filled(Language::Ja, Key::Missing, &[("phone", "0120")]);
        assert_eq!(unchanged, ja(Key::Missing));
    }
}
