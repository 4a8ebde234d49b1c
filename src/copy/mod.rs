//! What Shikaku says in fixed words, one catalog per language: `ja.json` and `en.json`.
//!
//! The same files serve the API's error messages, the messaging channels' notices, the
//! assistant's fixed answers and the widget, so a sentence is written once. Each has two
//! sections: `widget`, the texts the widget reads (it receives them as `TEXTS`, and nothing
//! else), and `service`, those only the service says. A text may hold placeholders such as
//! `{phone}`, filled by [`filled`]; unit tests hold both catalogs to the same sections,
//! names and placeholders. The consoles' staff-facing words are Japanese only and stay with
//! their routes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::domain::Language;

/// One catalog file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    /// What the widget reads (the service may say it too).
    widget: BTreeMap<String, String>,
    /// What only the service says.
    service: BTreeMap<String, String>,
}

static CATALOGS: LazyLock<[Catalog; 2]> = LazyLock::new(|| {
    [
        parse(include_str!("ja.json"), "ja.json"),
        parse(include_str!("en.json"), "en.json"),
    ]
});

fn parse(json: &str, file: &str) -> Catalog {
    // Compiled in, and held whole by the unit tests below: a broken catalog never ships.
    serde_json::from_str(json).unwrap_or_else(|e| panic!("src/copy/{file}: {e}"))
}

fn catalog(language: Language) -> &'static Catalog {
    &CATALOGS[match language {
        Language::Ja => 0,
        Language::En => 1,
    }]
}

/// The widget's texts in both languages, as the object it reads as `TEXTS` (a JSON object
/// is a JavaScript expression). The same bytes every time: the widget is served under a
/// hash of its content.
pub fn for_the_widget() -> String {
    let texts = serde_json::json!({
        "ja": catalog(Language::Ja).widget,
        "en": catalog(Language::En).widget,
    });
    texts.to_string()
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
    DetailsNumberRemoved = "detailsNumberRemoved",
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
    ControlInUrl = "controlInUrl",
    TooManyStreams = "tooManyStreams",
    NotFound = "notFound",
    Missing = "missing",
    Conflict = "conflict",
}

/// The text of `key` in `language`, as written (placeholders and all).
pub fn text(language: Language, key: Key) -> &'static str {
    let catalog = catalog(language);
    catalog
        .service
        .get(key.name())
        .or_else(|| catalog.widget.get(key.name()))
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
    use std::collections::{BTreeMap, BTreeSet};

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
        let names = |c: &BTreeMap<String, String>| c.keys().cloned().collect::<BTreeSet<_>>();
        for (ja, en) in [(&ja.widget, &en.widget), (&ja.service, &en.service)] {
            assert_eq!(names(ja), names(en));
            for (name, text) in ja {
                assert!(
                    !text.trim().is_empty() && !en[name].trim().is_empty(),
                    "{name}"
                );
                assert_eq!(placeholders(text), placeholders(&en[name]), "{name}");
            }
        }
        let both: Vec<_> = names(&ja.widget)
            .intersection(&names(&ja.service))
            .cloned()
            .collect();
        assert!(both.is_empty(), "in both sections: {both:?}");
    }

    #[test]
    fn the_widget_gets_its_own_texts_and_no_others() {
        let texts: serde_json::Value =
            serde_json::from_str(&for_the_widget()).expect("the widget's texts are JSON");
        assert_eq!(texts["ja"]["handoff"], "担当者につなぐ");
        assert_eq!(texts["en"]["sourcesCount"], "{n} sources");
        assert!(texts["ja"].get("telegramHelp").is_none());
        // Written in name order (not a hash map's), so every instance serves the same bytes.
        let served = for_the_widget();
        let at = |name: &str| served.find(&format!("\"{name}\":")).expect(name);
        assert!(
            at("agent") < at("close") && at("close") < at("up"),
            "{served}"
        );
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
