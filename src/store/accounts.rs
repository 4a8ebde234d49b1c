//! Console accounts: users (argon2id hashes), sign-in with lockout, and signed-in
//! sessions (only a token's SHA-256 is stored). Same queries on SQLite and PostgreSQL.

use anyhow::Result;
use serde::Serialize;
use sqlx::Row;

use super::{Store, now};
use crate::auth::Role;

/// A signed-in user.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The session's CSRF token, sent back in `X-CSRF-Token` with every change.
    #[serde(skip)]
    pub csrf: String,
}

/// What a sign-in attempt found.
pub enum Login {
    /// The password matched: the user.
    Ok(User),
    Bad,
    /// No user of that name.
    Unknown,
    /// Too many failures: locked until this RFC 3339 time.
    Locked(String),
}

/// After this many failed sign-ins in a row the account is locked for a while.
pub const MAX_FAILED_LOGINS: i64 = 5;
const LOCKOUT_MINUTES: i64 = 15;

fn minutes_from_now(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A role as stored.
fn role(name: &str) -> Result<Role> {
    Role::parse(name).ok_or_else(|| anyhow::anyhow!("unknown role {name:?} in the database"))
}

impl Store {
    /// Creates a user with an argon2id hash; an error if the name is taken.
    pub async fn add_user(&self, name: &str, role: Role, password_hash: &str) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                anyhow::anyhow!("a user named {name:?} already exists")
            }
            e => e.into(),
        })?;
        Ok(row.get::<i64, _>(0))
    }

    /// Checks a sign-in with `verify(stored_hash)`; counts failures and locks the account
    /// after [`MAX_FAILED_LOGINS`] in a row. An unknown name is `Unknown`.
    ///
    /// Each attempt is counted before its password is checked, in one conditional UPDATE
    /// that an open lock refuses: however many arrive at once, at most
    /// [`MAX_FAILED_LOGINS`] passwords are checked before the lock, and the attempt that
    /// reaches the limit sets it. A right password then clears the count.
    pub async fn check_login(&self, name: &str, verify: impl Fn(&str) -> bool) -> Result<Login> {
        let now = now();
        let claimed = sqlx::query(
            "UPDATE users SET \
               failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END, \
               locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $2 \
                                   THEN $3 ELSE NULL END \
             WHERE name = $1 AND (locked_until IS NULL OR locked_until <= $4) \
             RETURNING id, role, password_hash, locked_until",
        )
        .bind(name)
        .bind(MAX_FAILED_LOGINS)
        .bind(minutes_from_now(LOCKOUT_MINUTES))
        .bind(&now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = claimed else {
            // Locked, or no such user.
            let locked: Option<Option<String>> =
                sqlx::query("SELECT locked_until FROM users WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.try_get("locked_until"))
                    .transpose()?;
            // (A lock cleared since by a right password still refused this attempt.)
            return Ok(match locked {
                Some(until) => Login::Locked(until.unwrap_or(now)),
                None => Login::Unknown,
            });
        };
        let id: i64 = row.try_get("id")?;
        let hash: String = row.try_get("password_hash")?;
        if verify(&hash) {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
            return Ok(Login::Ok(User {
                id,
                name: name.to_string(),
                role: role(&row.try_get::<String, _>("role")?)?,
                csrf: String::new(),
            }));
        }
        let lock: Option<String> = row.try_get("locked_until")?;
        Ok(match lock {
            Some(until) => Login::Locked(until),
            None => Login::Bad,
        })
    }

    pub async fn create_session(
        &self,
        user: i64,
        token_hash: &str,
        csrf: &str,
        hours: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO agent_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(csrf)
        .bind(now())
        .bind(minutes_from_now(hours * 60))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, s.csrf FROM agent_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(User {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role: role(&r.try_get::<String, _>("role")?)?,
                csrf: r.try_get("csrf")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM agent_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<(String, Role)>> {
        let rows = sqlx::query("SELECT name, role FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, role(&r.try_get::<String, _>(1)?)?)))
            .collect()
    }
}
