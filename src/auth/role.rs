//! What a console user may do.

use serde::Serialize;

/// Stored by its name. Agents answer tickets, editors keep the knowledge base, admins do
/// both and see the users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Admin,
    Editor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Agent, Role::Admin, Role::Editor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::Editor => "editor",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The agent console: agents and admins.
    pub fn answers_tickets(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }

    /// The editor console: editors and admins.
    pub fn edits_knowledge(self) -> bool {
        matches!(self, Role::Editor | Role::Admin)
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> Result<Role, String> {
        Role::parse(name).ok_or_else(|| format!("expected agent, admin or editor, got {name:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_json_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Admin.answers_tickets() && Role::Admin.edits_knowledge());
        assert!(!Role::Editor.answers_tickets() && !Role::Agent.edits_knowledge());
    }
}
