//! The consoles' accounts as a service: creating users, signing in (with the lockout),
//! the session behind a cookie, signing out.

use anyhow::Result;

use crate::auth::{Role, hash_password, new_token, token_hash, verify_password};
use crate::store::Store;
use crate::store::accounts::Login;

pub use crate::store::accounts::{Account, LOCKOUT_MINUTES, User};

/// A hash no password matches, checked for unknown names (see [`Accounts::sign_in`]).
static UNKNOWN_USER_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&new_token()).expect("hashing a random password"));

/// Sessions last a working day.
pub const SESSION_HOURS: i64 = 12;

/// What a sign-in gave.
pub enum SignIn {
    /// A new session: its token (for the cookie) and the user, with the session's CSRF token.
    Ok { token: String, user: User },
    /// Wrong name or password (an unknown name answers like a wrong password).
    Bad,
    /// Too many failures in a row (under a real name or not): locked for a while. When
    /// exactly is not said: it would tell which attempts were counted.
    Locked,
}

#[derive(Clone)]
pub struct Accounts {
    store: Store,
}

impl Accounts {
    pub fn new(store: Store) -> Accounts {
        Accounts { store }
    }

    /// Creates an account. The name: 1 to 64 characters without spaces; the password: at
    /// least [`crate::auth::MIN_PASSWORD_CHARS`]; the display name (what users see beside
    /// the agent's replies; none: 「担当者」): 1 to 40 characters, no control character, no
    /// 12-digit number. An error says which rule was broken.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_whitespace) {
            anyhow::bail!("the user name must be 1 to 64 characters without spaces");
        }
        let display_name = display_name.map(str::trim);
        if let Some(shown) = display_name
            && (shown.is_empty()
                || shown.chars().count() > 40
                || shown.chars().any(char::is_control)
                || crate::text::privacy::holds_number(shown))
        {
            anyhow::bail!(
                "the display name must be 1 to 40 characters, without control characters or a 12-digit number"
            );
        }
        let hash = hash_password(password)?;
        self.store.add_user(name, role, &hash, display_name).await?;
        Ok(())
    }

    pub async fn sign_in(&self, name: &str, password: &str) -> Result<SignIn> {
        let password_for_timing = password.to_string();
        let password = password.to_string();
        let found = self
            .store
            .check_login(name, move |hash| verify_password(&password, hash))
            .await?;
        Ok(match found {
            Login::Ok(mut user) => {
                let token = new_token();
                user.csrf = new_token();
                self.store
                    .create_session(user.id.0, &token_hash(&token), &user.csrf, SESSION_HOURS)
                    .await?;
                tracing::info!(user = %user.name, "signed in");
                SignIn::Ok { token, user }
            }
            Login::Bad => SignIn::Bad,
            Login::Unknown { locked } => {
                // The same work and answer as for a real name, so that neither the time nor
                // the answer tells which names exist.
                let password = password_for_timing.clone();
                tokio::task::spawn_blocking(move || verify_password(&password, &UNKNOWN_USER_HASH))
                    .await?;
                if locked { SignIn::Locked } else { SignIn::Bad }
            }
            Login::Locked => SignIn::Locked,
        })
    }

    /// The user of an unexpired session.
    pub async fn session(&self, token: &str) -> Result<Option<User>> {
        Ok(self.store.session_user(&token_hash(token)).await?)
    }

    pub async fn sign_out(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// Every account.
    pub async fn users(&self) -> Result<Vec<Account>> {
        Ok(self.store.users().await?)
    }

    /// Disables (or enables again) an account: a disabled one cannot sign in and its
    /// sessions end. `false`: no such account.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let done = self.store.set_disabled(name, disabled).await?;
        if done {
            tracing::info!(user = %name, disabled, "account changed");
        }
        Ok(done)
    }

    /// Gives the account a new random password, returned once to be handed over; its lock
    /// is cleared and its sessions end. `None`: no such account.
    pub async fn reset_password(&self, name: &str) -> Result<Option<String>> {
        let password = new_token()[..20].to_string();
        let hash = hash_password(&password)?;
        if !self.store.set_password_hash(name, &hash).await? {
            return Ok(None);
        }
        tracing::info!(user = %name, "password reset");
        Ok(Some(password))
    }
}
