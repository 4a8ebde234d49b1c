//! Console accounts: users (argon2id hashes), sign-in with lockout, and signed-in
//! sessions (only a token's SHA-256 is stored). Same queries on SQLite and PostgreSQL.

use super::error::{Result, decoded};
use anyhow::Context;
use serde::Serialize;
use sqlx::Row;

use super::{Store, now};
use crate::auth::Role;
use crate::domain::UserId;

/// A signed-in user.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    /// The session's CSRF token, sent back in `X-CSRF-Token` with every change.
    #[serde(skip)]
    pub csrf: String,
}

/// An account as the admins' list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// Disabled by an admin: cannot sign in.
    pub disabled: bool,
    /// Locked for a while after failed sign-ins.
    pub locked: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// What a sign-in attempt found.
pub enum Login {
    /// The password matched: the user.
    Ok(User),
    Bad,
    /// No user of that name. The attempt is counted all the same (`unknown_logins`), so an
    /// unknown name locks as a real one does; it owes the work of a password check.
    Unknown {
        locked: bool,
    },
    /// Too many failures in a row; the lock lasts [`LOCKOUT_MINUTES`].
    Locked,
}

/// After this many failed sign-ins in a row the account is locked for a while.
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
/// Failures under unknown names are forgotten after a day without attempts.
const UNKNOWN_NAMES_KEPT_HOURS: i64 = 24;

fn minutes_from_now(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Creates a user with an argon2id hash; an error if the name is taken.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        display_name: Option<&str>,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO users (name, role, password_hash, display_name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(display_name)
        .bind(now())
        .fetch_all(&self.writer)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                anyhow::anyhow!("a user named {name:?} already exists")
            }
            e => e.into(),
        })?;
        Ok(row
            .first()
            .context("no id came back")?
            .try_get::<i64, _>(0)?)
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
             WHERE name = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $4) \
             RETURNING id, role, password_hash, locked_until",
        )
        .bind(name)
        .bind(MAX_FAILED_LOGINS)
        .bind(minutes_from_now(LOCKOUT_MINUTES))
        .bind(&now)
        .fetch_all(&self.writer)
        .await?
        .into_iter()
        .next();
        let Some(row) = claimed else {
            // Locked, or no such user (a disabled account answers as no account does):
            // the same statements either way, so that the time does not tell which.
            return self.count_unknown_login(name).await;
        };
        let id: i64 = row.try_get("id")?;
        let hash: String = row.try_get("password_hash")?;
        if verify(&hash) {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(id)
                .execute(&self.writer)
                .await?;
            return Ok(Login::Ok(User {
                id: UserId(id),
                name: name.to_string(),
                role: decoded(&row, "role")?,
                csrf: String::new(),
            }));
        }
        let lock: Option<String> = row.try_get("locked_until")?;
        Ok(if lock.is_some() {
            Login::Locked
        } else {
            Login::Bad
        })
    }

    /// After a sign-in the users' update refused: counts it under the name's keyed hash
    /// when no (enabled) user has the name, with the same conditional update as a user's
    /// (one statement, refused by an open lock). A user's name locked now comes to the same
    /// two statements, which change nothing: `Locked`.
    async fn count_unknown_login(&self, name: &str) -> Result<Login> {
        let now = now();
        let forgotten = (chrono::Utc::now() - chrono::Duration::hours(UNKNOWN_NAMES_KEPT_HOURS))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        sqlx::query("DELETE FROM unknown_logins WHERE last_attempt_at < $1")
            .bind(forgotten)
            .execute(&self.writer)
            .await?;
        let counted = sqlx::query(
            "INSERT INTO unknown_logins (name, failed_logins, locked_until, last_attempt_at) \
             SELECT $1, 1, CASE WHEN 1 >= $2 THEN $3 ELSE NULL END, $4 \
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE name = $5 AND disabled_at IS NULL) \
             ON CONFLICT (name) DO UPDATE SET \
               failed_logins = CASE WHEN unknown_logins.locked_until IS NOT NULL THEN 1 \
                                    ELSE unknown_logins.failed_logins + 1 END, \
               locked_until = CASE WHEN (CASE WHEN unknown_logins.locked_until IS NOT NULL THEN 1 \
                                              ELSE unknown_logins.failed_logins + 1 END) >= $2 \
                                   THEN $3 ELSE NULL END, \
               last_attempt_at = $4 \
             WHERE unknown_logins.locked_until IS NULL OR unknown_logins.locked_until <= $4 \
             RETURNING locked_until",
        )
        .bind(self.name_hash(name))
        .bind(MAX_FAILED_LOGINS)
        .bind(minutes_from_now(LOCKOUT_MINUTES))
        .bind(&now)
        .bind(name)
        .fetch_all(&self.writer)
        .await?
        .into_iter()
        .next();
        Ok(match counted {
            Some(row) => Login::Unknown {
                locked: row.try_get::<Option<String>, _>("locked_until")?.is_some(),
            },
            // A user's name under a lock, or an unknown one under its own.
            None => Login::Locked,
        })
    }

    /// How `unknown_logins` keeps a name: HMAC-SHA256 under the installation's key, in hex.
    fn name_hash(&self, name: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.name_key)
            .expect("HMAC takes a key of any length");
        mac.update(name.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
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
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, s.csrf FROM agent_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(User {
                id: UserId(r.try_get("id")?),
                name: r.try_get("name")?,
                role: decoded(&r, "role")?,
                csrf: r.try_get("csrf")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM agent_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<Account>> {
        let rows = sqlx::query(
            "SELECT name, role, disabled_at, locked_until, created_at FROM users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let now = now();
        rows.iter()
            .map(|r| {
                let locked: Option<String> = r.try_get("locked_until")?;
                Ok(Account {
                    name: r.try_get("name")?,
                    role: decoded(r, "role")?,
                    disabled: r.try_get::<Option<String>, _>("disabled_at")?.is_some(),
                    locked: locked.is_some_and(|until| until > now),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Disables or enables the account `name`; disabling ends its sessions. `false`: no such
    /// account.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE name = $2")
            .bind(disabled.then(now))
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if disabled {
            end_sessions(&mut tx, name).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new password hash for `name`, clears its lock and ends its sessions. `false`:
    /// no such account.
    pub async fn set_password_hash(&self, name: &str, hash: &str) -> Result<bool> {
        let mut tx = self.write_transaction().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE name = $2",
        )
        .bind(hash)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        end_sessions(&mut tx, name).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn end_sessions(tx: &mut super::Tx<'_>, name: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM agent_sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)",
    )
    .bind(name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
