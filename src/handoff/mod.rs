//! Handing a conversation to the call center: what the user may give the agent (each item
//! optional, each checked), and what the user is told — with the call center's number from
//! the knowledge base's contact FAQ and the business hours from configuration.

pub mod hours;
mod labels;
mod reason;

pub use labels::{MAX_TAG_CHARS, MAX_TAGS, Priority, checked_tags};
pub use reason::Reason;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::copy::{self, Key};
use crate::domain::Language;
use crate::knowledge::KnowledgeBase;
use crate::text::UserText;
use crate::text::privacy::holds_number;
use crate::text::{contacts, normalize};
use hours::BusinessHours;

/// What the user chose to give; any item may be left out.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Details {
    #[serde(default)]
    pub facility_name: Option<String>,
    /// 医療機関等コード: 7 digits.
    #[serde(default)]
    pub facility_code: Option<String>,
    /// A phone number or an e-mail address.
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub question: Option<String>,
}

/// The details as the service keeps them: the free texts a [`UserText`] each (any 12-digit
/// number removed), the code and the contact in their checked forms.
#[derive(Debug, Clone, Default)]
pub struct CheckedDetails {
    pub facility_name: Option<UserText>,
    /// Seven ASCII digits.
    pub facility_code: Option<String>,
    /// A phone number or an e-mail address, holding no 12-digit number.
    pub contact: Option<String>,
    pub question: Option<UserText>,
}

impl CheckedDetails {
    /// Whether a 12-digit number was removed from a free-text item (the user is told).
    pub fn number_removed(&self) -> bool {
        [&self.facility_name, &self.question]
            .into_iter()
            .flatten()
            .any(UserText::number_removed)
    }
}

/// One item the user gave that cannot be used, with what to fix (Japanese, for the form).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    /// `field` refused with the catalog's text `key`.
    fn new(field: &'static str, key: Key) -> Self {
        FieldError {
            field,
            message: copy::ja(key).to_string(),
        }
    }

    /// `field` refused as longer than `max` characters (the text's `{max}`).
    fn too_long(field: &'static str, key: Key, max: usize) -> Self {
        FieldError {
            field,
            message: copy::filled(Language::Ja, key, &[("max", &max.to_string())]),
        }
    }
}

const MAX_NAME: usize = 200;
const MAX_QUESTION: usize = 2000;

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !crate::text::is_blank(v))
        .map(str::to_string)
}

impl Details {
    /// The details trimmed and normalised (full-width digits and hyphens made ASCII), or
    /// every problem found.
    pub fn checked(&self) -> Result<CheckedDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        for (field, value) in [
            ("facility_name", &self.facility_name),
            ("facility_code", &self.facility_code),
            ("contact", &self.contact),
            ("question", &self.question),
        ] {
            if value.as_deref().is_some_and(crate::text::has_control) {
                errors.push(FieldError::new(field, Key::InvalidControl));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // A My Number is never kept: free text loses it, a contact with one is refused.
        let facility_name = UserText::optional(self.facility_name.as_deref(), MAX_NAME)
            .unwrap_or_else(|_| {
                errors.push(FieldError::too_long(
                    "facility_name",
                    Key::InvalidFacilityName,
                    MAX_NAME,
                ));
                None
            });
        let facility_code =
            given(&self.facility_code).map(|c| normalize(&c).replace([' ', '-'], ""));
        if let Some(code) = &facility_code
            && !(code.len() == 7 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            errors.push(FieldError::new("facility_code", Key::InvalidFacilityCode));
        }
        let contact = given(&self.contact).map(|c| normalize(&c).replace('ー', "-"));
        if contact.as_deref().is_some_and(holds_number) {
            errors.push(FieldError::new("contact", Key::InvalidContactNumber));
        } else if let Some(c) = &contact
            && !(contacts::is_phone_number(c) || contacts::is_email_address(c))
        {
            errors.push(FieldError::new("contact", Key::InvalidContact));
        }
        let question =
            UserText::optional(self.question.as_deref(), MAX_QUESTION).unwrap_or_else(|_| {
                errors.push(FieldError::too_long(
                    "question",
                    Key::InvalidQuestion,
                    MAX_QUESTION,
                ));
                None
            });
        if errors.is_empty() {
            Ok(CheckedDetails {
                facility_name,
                facility_code,
                contact,
                question,
            })
        } else {
            Err(errors)
        }
    }
}

/// The call center's phone number, as the contact FAQ of the knowledge base states it.
pub fn call_center_phone(kb: &KnowledgeBase) -> Option<String> {
    let doc = kb.contact()?;
    contacts::listed_phone_number(&doc.body).map(str::to_string)
}

/// What the user is told once the ticket exists, in the conversation's language: inside
/// hours, that a person will reply; outside them, when to expect it. Both with the phone
/// number.
pub fn confirmation(
    hours: &BusinessHours,
    now_jst: NaiveDateTime,
    phone: Option<&str>,
    language: Language,
) -> String {
    let call = phone
        .map(|phone| {
            let hours = hours.describe(language);
            copy::filled(
                language,
                Key::HandoffCallHours,
                &[("phone", phone), ("hours", &hours)],
            )
        })
        .unwrap_or_default();
    if hours.is_open(now_jst) {
        return copy::filled(language, Key::HandoffAccepted, &[("call", &call)]);
    }
    let next = match hours.next_open(now_jst) {
        Some(t) => {
            let date = match language {
                Language::En => format!("{} {}", t.format("%A, %B %-d,"), t.format("%-H:%M")),
                Language::Ja => format!(
                    "{}（{}）{}",
                    t.format("%-m月%-d日"),
                    ["月", "火", "水", "木", "金", "土", "日"]
                        [chrono::Datelike::weekday(&t).num_days_from_monday() as usize],
                    t.format("%-H:%M")
                ),
            };
            copy::filled(language, Key::HandoffNextOpen, &[("date", &date)])
        }
        None => copy::text(language, Key::HandoffNextOpenUnknown).to_string(),
    };
    copy::filled(
        language,
        Key::HandoffAcceptedLater,
        &[("next", &next), ("call", &call)],
    )
}

/// What the user is told when the ticket could not be created.
pub fn failure(phone: Option<&str>) -> String {
    match phone {
        Some(phone) => copy::filled(Language::Ja, Key::HandoffFailedCall, &[("phone", phone)]),
        None => copy::ja(Key::HandoffFailedRetry).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn every_item_is_optional_and_each_is_checked() {
        let empty = Details::default().checked().unwrap();
        assert!(empty.facility_name.is_none() && empty.facility_code.is_none());
        assert!(empty.contact.is_none() && empty.question.is_none());
        let ok = Details {
            facility_name: Some(" 山田クリニック ".into()),
            facility_code: Some("１２３４５６７".into()),
            contact: Some("０３ー1234ー5678".into()),
            question: Some("申請書を再送したい".into()),
        }
        .checked()
        .unwrap();
        assert_eq!(ok.facility_name.unwrap().as_str(), "山田クリニック");
        assert_eq!(ok.facility_code.as_deref(), Some("1234567"));
        assert_eq!(ok.contact.as_deref(), Some("03-1234-5678"));
        let errors = Details {
            facility_code: Some("123456".into()),
            contact: Some("call me".into()),
            ..Details::default()
        }
        .checked()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["facility_code", "contact"]);
        assert!(
            Details {
                contact: Some("info@clinic.example.jp".into()),
                ..Details::default()
            }
            .checked()
            .is_ok()
        );
    }

    #[test]
    fn the_user_is_told_when_a_person_will_reply() {
        let hours = BusinessHours::default();
        let phone = Some("0800-0804583");
        let inside = confirmation(&hours, at("2021-03-08 10:00"), phone, Language::Ja);
        assert!(inside.contains("このままお待ちください"), "{inside}");
        assert!(inside.contains("0800-0804583"));
        // Saturday 16:00 is closed: Monday 8:00.
        let after = confirmation(&hours, at("2021-03-06 16:00"), phone, Language::Ja);
        assert!(after.contains("3月8日（月）8:00以降"), "{after}");
        // Year end: 1/4.
        let year_end = confirmation(&hours, at("2021-12-30 10:00"), None, Language::Ja);
        assert!(year_end.contains("1月4日（火）8:00以降"), "{year_end}");
        // In English, with the same facts.
        let after = confirmation(&hours, at("2021-03-06 16:00"), phone, Language::En);
        assert!(
            after.contains("from Monday, March 8, 8:00 (Japan time)")
                && after.contains("0800-0804583, weekdays 8:00-18:00, Saturday 8:00-16:00"),
            "{after}"
        );
    }
}
