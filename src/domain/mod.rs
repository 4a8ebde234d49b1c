//! The service's shared nouns, below every layer that uses them: who owns a conversation,
//! where it came from, who wrote a message, why a ticket was opened and how urgent it is, a
//! rating, a console role, an answer's outcome and writer, a language. Each is stored, sent
//! and logged by one name: the same idiom for all, made by [`names!`] (`as_str`, `ALL`,
//! `Display`, `FromStr`, serde by the name, and the API document's enum).

/// A name enum: each variant with the name it is stored and sent by.
macro_rules! names {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        // The names are the variants' in snake case: serde and the API document read this
        // attribute (utoipa does not see a per-variant rename made by a macro); a test holds
        // both to `as_str`.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every one, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name it is stored, sent and logged by.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownName;

            fn from_str(name: &str) -> Result<Self, UnknownName> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == name)
                    .ok_or_else(|| UnknownName {
                        kind: stringify!($name),
                        name: name.to_string(),
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }
    };
}

/// Makes each id: a row's id as its own type, so that a ticket's id cannot be passed where
/// a message's is meant. Serde and sqlx see the number itself (`transparent`): the JSON
/// and the columns are unchanged, and the store binds and reads the id as it is.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
            sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

ids! {
    /// A console user (an agent, an editor, an admin), by the `users` table's id: what
    /// every operation on a ticket names its actor by.
    UserId;
    /// A ticket of the call center's queue, by the `tickets` table's id: what the desk's
    /// operations, its events and the API's paths name a ticket by.
    TicketId;
    /// A message of a conversation (a question, an answer, a person's reply, a notice), by
    /// the `messages` table's id: what an answer replies to, what a rating names, what a
    /// channel's job answers.
    MessageId;
}

// Only `random` and `parse` make one outside the store (which reads back the ids it wrote,
// `transparent`), so a text that is not a UUID never reaches a query: a NUL would fail it
// on PostgreSQL. The doc comment below is the API document's description.
/// A conversation, by the random UUID it was opened with (the widget's `session_id`): what
/// a channel's user, a ticket and every message belong to. A text that is not a UUID
/// names no conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct ConversationId(String);

impl ConversationId {
    /// A new conversation's id.
    pub fn random() -> Self {
        ConversationId(uuid::Uuid::new_v4().to_string())
    }

    /// The id `text` names, as it was sent, or `None` when it is not a UUID.
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::try_parse(text)
            .is_ok()
            .then(|| ConversationId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name that is none of its kind's (from the database, a request, the command line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}: expected one of {}", expected.join(", "))]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
    pub expected: Vec<&'static str>,
}

names! {
    /// Who owns a conversation: `bot` → `waiting` (a ticket is open) → `agent` (claimed) →
    /// `resolved` (the bot answers again). A new conversation is the bot's.
    #[derive(Default)]
    State {
        #[default]
        Bot = "bot",
        Waiting = "waiting",
        Agent = "agent",
        Resolved = "resolved",
    }
}

impl State {
    /// A person owns the conversation: the bot stays silent.
    pub fn person_owns(self) -> bool {
        matches!(self, State::Waiting | State::Agent)
    }
}

names! {
    /// Where a conversation came from.
    Channel {
        Cli = "cli",
        Web = "web",
        Line = "line",
        Telegram = "telegram",
    }
}

names! {
    /// Who wrote a message of a transcript.
    Speaker {
        /// The clinic's staff member.
        User = "user",
        /// Shikaku.
        Assistant = "assistant",
        /// A person of the call center.
        Agent = "agent",
        /// The service's notices (a ticket opened, taken, resolved).
        System = "system",
    }
}

names! {
    /// Why a conversation was handed to the call center: the console names it.
    Reason {
        /// 「担当者につなぐ」 in the widget.
        Button = "button",
        /// The user asked for a person.
        RequestedPerson = "requested_person",
        /// The user asked about their own case.
        OwnCase = "own_case",
        /// The bot could not help twice.
        RepeatedFailure = "repeated_failure",
    }
}

names! {
    /// How urgent a ticket is: the waiting queue shows urgent ones first.
    Priority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
}

names! {
    /// A user's 👍 or 👎 on an answer, or on a person's help.
    Rating {
        Up = "up",
        Down = "down",
    }
}

names! {
    /// What a console user may do: agents answer tickets, editors keep the knowledge base,
    /// admins do both and see the users.
    Role {
        Agent = "agent",
        Admin = "admin",
        Editor = "editor",
    }
}

impl Role {
    /// The agent console: agents and admins.
    pub fn answers_tickets(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }

    /// The editor console: editors and admins.
    pub fn edits_knowledge(self) -> bool {
        matches!(self, Role::Editor | Role::Admin)
    }
}

names! {
    /// What came of a question.
    Outcome {
        Answered = "answered",
        Handoff = "handoff",
        NoAnswer = "no_answer",
    }
}

names! {
    /// Which writer produced an answer's final text.
    WriterKind {
        /// A curated FAQ (or form summary) answer, as written.
        Faq = "faq",
        /// Computed by a rule from the form documents' numbers.
        Rule = "rule",
        /// Written by the local model from the passages, and verified against them.
        Model = "model",
        /// Sentences quoted from a notice section.
        Extractive = "extractive",
        /// The fixed hand-over and no-answer texts.
        Fixed = "fixed",
        /// A reply to a greeting, thanks, a goodbye or a question about Shikaku itself.
        SmallTalk = "small_talk",
        /// Two or more questions in one message, each answered by its own writer.
        Parts = "parts",
    }
}

names! {
    /// The language of a question and its answer (Japanese, the portal's, unless the user
    /// writes English).
    #[derive(Default)]
    Language {
        #[default]
        Ja = "ja",
        En = "en",
    }
}

names! {
    /// Which tickets a queue shows.
    View {
        Waiting = "waiting",
        /// Claimed by the agent who asks, open.
        Mine = "mine",
        All = "all",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name reads back as itself, is its JSON and its value in the API document, and
    /// a stranger is refused by name.
    fn round_trip<T>(all: &[T])
    where
        T: Copy
            + std::fmt::Debug
            + PartialEq
            + std::str::FromStr
            + serde::Serialize
            + std::fmt::Display
            + utoipa::PartialSchema,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        let names: Vec<String> = all.iter().map(|v| v.to_string()).collect();
        for (&v, name) in all.iter().zip(&names) {
            assert_eq!(name.parse::<T>().unwrap(), v);
            assert_eq!(serde_json::to_value(v).unwrap(), name.as_str());
        }
        let schema = serde_json::to_value(T::schema()).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(names), "{schema}");
        assert!("no such name".parse::<T>().is_err());
    }

    #[test]
    fn names_round_trip_and_match_the_json_names_and_the_api_document() {
        round_trip(State::ALL);
        round_trip(Channel::ALL);
        round_trip(Speaker::ALL);
        round_trip(Reason::ALL);
        round_trip(Priority::ALL);
        round_trip(Rating::ALL);
        round_trip(Role::ALL);
        round_trip(Outcome::ALL);
        round_trip(WriterKind::ALL);
        round_trip(Language::ALL);
        round_trip(View::ALL);
    }

    #[test]
    fn an_unknown_name_says_what_was_expected() {
        let e = "root".parse::<Role>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown Role \"root\": expected one of agent, admin, editor"
        );
        assert_eq!(Language::default(), Language::Ja);
        assert!(State::Agent.person_owns() && !State::Resolved.person_owns());
        assert!(Role::Admin.answers_tickets() && Role::Admin.edits_knowledge());
    }

    #[test]
    fn a_conversation_id_is_a_uuid_or_nothing() {
        let id = ConversationId::random();
        assert_eq!(ConversationId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(serde_json::to_value(&id).unwrap(), id.as_str());
        for text in [
            "",
            "no-such-session",
            "\0",
            "00000000-0000-0000-0000-00000000000",
        ] {
            assert_eq!(ConversationId::parse(text), None, "{text:?}");
        }
    }
}
