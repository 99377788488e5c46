//! Signing in: passwords (argon2id), random secrets of which only a hash is stored (session
//! cookies, API tokens), signed form tokens (login CSRF) and device cookies, sessions, and
//! which credentials allow what.

use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use blake2::digest::{KeyInit, Mac};
use blake2::{Blake2s256, Blake2sMac256, Digest};
use domain::{normalize_login, TokenScope, User};

use crate::access::Viewer;
use crate::throttle::LoginThrottle;
use crate::{App, AppError, Kind};

/// Passwords have at least this many characters …
pub const MIN_PASSWORD_CHARS: usize = 10;
/// … and at most this many bytes (hashing cost stays bounded).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// How long a login form stays valid.
const LOGIN_FORM_MS: i64 = 3_600_000;
/// How long a browser is remembered for the login throttle.
const DEVICE_MS: i64 = 365 * 86_400_000;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("operating system randomness");
    let salt = SaltString::encode_b64(&salt).expect("16-byte salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

/// Checks a password against a PHC string; a malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The password rule, in words a person can act on.
pub fn check_password_rule(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(format!(
            "the password must have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A new random secret: 32 bytes, hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    hex(&bytes)
}

/// What is stored for a secret: its BLAKE2s hash, hex. Secrets are random, so no salt is needed.
pub fn secret_hash(secret: &str) -> String {
    hex(&Blake2s256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn mac(key: &str, message: &str) -> String {
    let mut m = <Blake2sMac256 as KeyInit>::new_from_slice(key.as_bytes())
        .expect("BLAKE2s takes keys up to 32 bytes; ours are hashed to 32");
    m.update(message.as_bytes());
    hex(&m.finalize().into_bytes())
}

/// `payload.mac`, signed with `key`.
fn sign(key: &str, payload: &str) -> String {
    format!("{payload}.{}", mac(key, payload))
}

/// The payload of a token signed with `key`, if the signature holds.
fn verify<'a>(key: &str, token: &'a str) -> Option<&'a str> {
    let (payload, sig) = token.rsplit_once('.')?;
    constant_time_eq(&mac(key, payload), sig).then_some(payload)
}

/// Where a login attempt comes from, for throttling.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client's address as the server sees it.
    pub address: String,
    /// The device cookie the browser presented, if any.
    pub device: Option<String>,
}

/// A successful login.
pub struct LoginOk {
    pub session: String,
    pub user: User,
    /// A device cookie to set, so this browser is recognised by the throttle next time.
    pub device: String,
    pub max_age_s: i64,
}

/// In-memory state of the sign-in use cases.
#[derive(Default)]
pub struct SignIn {
    throttle: Mutex<LoginThrottle>,
    keys: Mutex<Option<(String, String)>>,
}

impl App {
    /// The server keys for form tokens and device cookies (kept in the store, so every process
    /// of a community agrees).
    fn keys(&self) -> Result<(String, String), AppError> {
        if let Some(k) = self
            .sign_in
            .keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(k);
        }
        let keys = self.store.write(|tx| {
            let a = tx.secrets().get_or_create("login-form-key", new_secret)?;
            let b = tx.secrets().get_or_create("device-key", new_secret)?;
            Ok((
                secret_hash(&a)[..32].to_string(),
                secret_hash(&b)[..32].to_string(),
            ))
        })?;
        *self.sign_in.keys.lock().unwrap_or_else(|e| e.into_inner()) = Some(keys.clone());
        Ok(keys)
    }

    /// A fresh login-form token: the same value goes in the form and in a cookie; only the
    /// server can make one, and it expires.
    pub fn login_form_token(&self) -> Result<String, AppError> {
        let (form_key, _) = self.keys()?;
        Ok(sign(
            &form_key,
            &format!("{}:{}", new_secret(), self.now_ms() + LOGIN_FORM_MS),
        ))
    }

    /// Checks the login form's token against its cookie.
    pub fn check_login_form(&self, cookie: &str, field: &str) -> Result<(), AppError> {
        let (form_key, _) = self.keys()?;
        let mismatch =
            || AppError::forbidden("the login form expired or was not ours: reload the page");
        if cookie.is_empty() || !constant_time_eq(cookie, field) {
            return Err(mismatch());
        }
        let payload = verify(&form_key, field).ok_or_else(mismatch)?;
        let expires: i64 = payload
            .rsplit_once(':')
            .and_then(|(_, t)| t.parse().ok())
            .ok_or_else(mismatch)?;
        if expires < self.now_ms() {
            return Err(mismatch());
        }
        Ok(())
    }

    fn device_token(&self, login: &str) -> Result<String, AppError> {
        let (_, device_key) = self.keys()?;
        Ok(sign(
            &device_key,
            &format!("{}:{}:{}", login, new_secret(), self.now_ms() + DEVICE_MS),
        ))
    }

    /// The device id of a device cookie valid for `login`.
    fn device_for(&self, cookie: Option<&str>, login: &str) -> Result<Option<String>, AppError> {
        let Some(cookie) = cookie else {
            return Ok(None);
        };
        let (_, device_key) = self.keys()?;
        let Some(payload) = verify(&device_key, cookie) else {
            return Ok(None);
        };
        let mut parts = payload.rsplitn(3, ':');
        let (Some(expires), Some(id), Some(who)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let live = expires.parse::<i64>().is_ok_and(|e| e >= self.now_ms());
        Ok((live && who == login).then(|| id.to_string()))
    }

    /// Signs in with a login and a password. Throttled per client, per account and per device;
    /// the error for a wrong login and a wrong password is the same.
    pub fn login(&self, login: &str, password: &str, client: &Client) -> Result<LoginOk, AppError> {
        let login = normalize_login(login);
        let device = self.device_for(client.device.as_deref(), &login)?;
        let now = self.now_ms();
        let attempt = self
            .sign_in
            .throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .begin(&client.address, &login, device.as_deref(), now)
            .map_err(|wait| {
                AppError::too_many("too many attempts: wait before trying again", wait)
            })?;
        let outcome = self.check_credentials(&login, password);
        let ok = matches!(outcome, Ok(Some(_)));
        self.sign_in
            .throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .finish(attempt, ok, self.now_ms());
        let user = outcome?
            .ok_or_else(|| AppError::new(Kind::Unauthenticated, "wrong login or password"))?;
        if !self.account_active(&user)? {
            return Err(AppError::forbidden(
                "this account's member has left the community: ask a coordinator",
            ));
        }
        self.open_session(user)
    }

    /// Whether the account may sign in: an account of a member who left may not.
    fn account_active(&self, user: &User) -> Result<bool, AppError> {
        let Some(member) = user.member_id else {
            return Ok(true);
        };
        Ok(self
            .store
            .read(|tx| tx.members().find(member))?
            .is_some_and(|m| m.is_active()))
    }

    /// A new session for an account whose password was just checked or chosen.
    pub(crate) fn open_session(&self, user: User) -> Result<LoginOk, AppError> {
        let session = new_secret();
        let csrf = new_secret();
        let max_age_s = self.settings.session_hours * 3600;
        let expires = self.now_ms() + max_age_s * 1000;
        self.store.write(|tx| {
            tx.sessions()
                .create(&secret_hash(&session), user.id, &csrf, expires)
        })?;
        Ok(LoginOk {
            session,
            device: self.device_token(&user.login)?,
            user,
            max_age_s,
        })
    }

    fn check_credentials(&self, login: &str, password: &str) -> Result<Option<User>, AppError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        let found = self.store.read(|tx| tx.users().by_login(login))?;
        Ok(match found {
            Some((user, hash)) if user.community_id == self.community_id() => {
                verify_password(&hash, password).then_some(user)
            }
            _ => {
                // Same cost whether or not the login exists.
                let _ = verify_password(DUMMY_HASH, password);
                None
            }
        })
    }

    /// Who is behind a session cookie, if it names a live session.
    pub fn session_viewer(&self, cookie_secret: &str) -> Result<Option<Viewer>, AppError> {
        if cookie_secret.is_empty() || cookie_secret.len() > 128 {
            return Ok(None);
        }
        let now = self.now_ms();
        Ok(self
            .store
            .read(|tx| tx.sessions().get(&secret_hash(cookie_secret), now))?
            .filter(|s| s.user.community_id == self.community_id())
            .map(|s| Viewer {
                user: s.user,
                csrf: Some(s.csrf),
            }))
    }

    /// Who is behind a read token. An unknown token is unauthenticated; a write token cannot
    /// read.
    pub fn token_viewer(&self, secret: &str) -> Result<Viewer, AppError> {
        match self.token_scope(secret)? {
            (_, TokenScope::UserRead { user_id }) => {
                let user = self.store.read(|tx| tx.users().get(user_id))?;
                if !self.account_active(&user)? {
                    return Err(AppError::forbidden(
                        "this token's member has left the community",
                    ));
                }
                Ok(Viewer { user, csrf: None })
            }
            _ => Err(AppError::forbidden(
                "this token can write readings, not read data",
            )),
        }
    }

    /// The community and scope of a token.
    pub fn token_scope(&self, secret: &str) -> Result<(i64, TokenScope), AppError> {
        if secret.is_empty() || secret.len() > 128 {
            return Err(AppError::new(Kind::Unauthenticated, "unknown token"));
        }
        let token = self
            .store
            .read(|tx| tx.tokens().by_hash(&secret_hash(secret)))?
            .filter(|t| t.community_id == self.community_id())
            .ok_or_else(|| AppError::new(Kind::Unauthenticated, "unknown token"))?;
        Ok((token.id, token.scope))
    }

    /// Ends one session.
    pub fn logout(&self, cookie_secret: &str) -> Result<(), AppError> {
        Ok(self
            .store
            .write(|tx| tx.sessions().delete(&secret_hash(cookie_secret)))?)
    }

    /// Ends every session of the viewer ("log out everywhere"); returns how many.
    pub fn logout_everywhere(&self, viewer: &Viewer) -> Result<u64, AppError> {
        Ok(self
            .store
            .write(|tx| tx.sessions().delete_user(viewer.user.id))?)
    }
}

/// A valid argon2id hash of a random password, verified when a login does not exist so that
/// the answer takes the same time.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2Qh6EhhdLHtmb1cHvkK1ho5g1mYE0yD0TpVxtrwPq1Y";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_secrets_differ() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "wrong"));
        assert!(!verify_password("garbage", "x"));
        assert_ne!(new_secret(), new_secret());
        assert_eq!(secret_hash("a"), secret_hash("a"));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
        assert!(check_password_rule("short").is_err());
        assert!(check_password_rule(&"x".repeat(2000)).is_err());
        assert!(check_password_rule("long enough!").is_ok());
    }

    #[test]
    fn signed_tokens_cannot_be_made_without_the_key() {
        let key = "k".repeat(32);
        let t = sign(&key, "nonce:123");
        assert_eq!(verify(&key, &t), Some("nonce:123"));
        assert_eq!(verify(&key, "nonce:123.0000"), None);
        assert_eq!(verify(&"j".repeat(32), &t), None);
        assert_eq!(verify(&key, "x"), None);
    }
}
