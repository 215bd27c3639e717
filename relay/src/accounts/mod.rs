//! Owner accounts on the relay (CLOUD-7): sign-up with a confirmed e-mail address, sign-in
//! (argon2id), sessions, password reset by e-mail, claiming a hub with the one-time code its
//! admin app shows, and the list of hubs an owner may open (CLOUD-5's dashboard reads it).

mod db;
pub mod mail;
pub mod oidc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

pub use mail::{MailError, Mailer};

use crate::store::{Sql, Store, StoreError};
pub use oidc::{Identity, Oidc, OidcError};

/// A session lasts 30 days.
pub const SESSION_SECS: i64 = 30 * 24 * 3600;
/// An address confirmation link lasts two days; a reset link an hour.
const VERIFY_SECS: i64 = 2 * 24 * 3600;
const RESET_SECS: i64 = 3600;
/// An invitation to share a hub lasts a week.
const INVITE_SECS: i64 = 7 * 24 * 3600;
/// A hub's claim code lasts an hour.
pub const CLAIM_SECS: i64 = 3600;
pub const MIN_PASSWORD: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the e-mail address or the password is wrong")]
    WrongCredentials,
    #[error("confirm your e-mail address first: the link is in the message we sent")]
    Unverified,
    #[error("the link is unknown, used or too old")]
    BadToken,
    #[error("the code is unknown, used or too old")]
    BadCode,
    #[error("only the property's owner can do that")]
    NotOwner,
    #[error("this invitation is for another e-mail address: sign in with that one")]
    NotYours,
    #[error("that person does not manage this property")]
    NoSuchManager,
    #[error("e-mail: {0}")]
    Mail(#[from] MailError),
    #[error("the accounts' database failed: {0}")]
    Db(#[from] StoreError),
    #[error("a worker thread failed: {0}")]
    Worker(String),
}

/// Who shares a property: `{"members": [{"id", "email", "role"}], "invited": [{"email",
/// "expires_at"}]}` (unix seconds).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sharing {
    pub members: Vec<Member>,
    pub invited: Vec<Invited>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub id: i64,
    pub email: String,
    /// `owner` or `manager`.
    pub role: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Invited {
    pub email: String,
    pub expires_at: i64,
}

/// A signed-in owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: i64,
    pub email: String,
}

#[derive(Clone)]
pub struct Accounts {
    db: Store,
    mailer: Mailer,
    /// The relay's public address, for the links in e-mail.
    public_url: String,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl Accounts {
    /// The accounts in `store` (their tables made where missing).
    pub async fn open(
        store: Store,
        mailer: Mailer,
        public_url: String,
    ) -> Result<Accounts, AccountError> {
        store.ensure(&db::SCHEMA).await?;
        Ok(Accounts {
            db: store,
            mailer,
            public_url,
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AccountError> {
        self.db.run(|c| f(c).map_err(AccountError::Db)).await
    }

    /// Makes an unconfirmed account and mails the confirmation link. An address that has an
    /// account already gets a reminder instead, so the answer tells a stranger nothing.
    pub async fn sign_up(&self, email: &str, password: &str, now: i64) -> Result<(), AccountError> {
        let email = checked_email(email)?;
        if password.chars().count() < MIN_PASSWORD || password.len() > 256 {
            return Err(AccountError::Invalid(
                "the password needs at least 10 characters",
            ));
        }
        if !self.mailer.configured() {
            return Err(AccountError::Mail(MailError::NotConfigured));
        }
        let hash = hash_password(password.to_owned()).await?;
        let (address, stored) = (email.clone(), hash);
        let id = self
            .with(move |c| db::insert_owner(c, &address, &stored, now))
            .await?;
        match id {
            Some(id) => {
                let token = new_token();
                let hashed = hash_token(&token);
                self.with(move |c| db::insert_token(c, &hashed, id, "verify", now + VERIFY_SECS))
                    .await?;
                let link = format!("{}/verify#{token}", self.public_url);
                let body = format!(
                    "Welcome to Hotel Hub.\n\nConfirm your e-mail address to finish your account:\n\n{link}\n\n\
                     The link works for two days. If you did not sign up, ignore this message."
                );
                self.mailer
                    .send(&email, "Confirm your e-mail address", body)
                    .await?;
            }
            None => {
                let body = format!(
                    "Someone (perhaps you) tried to sign up to Hotel Hub with this address, which has an account already.\n\n\
                     Sign in at {}/ or reset the password there if you forgot it.",
                    self.public_url
                );
                self.mailer
                    .send(&email, "You already have an account", body)
                    .await?;
            }
        }
        Ok(())
    }

    /// Spends a confirmation link's token.
    pub async fn verify(&self, token: &str, now: i64) -> Result<(), AccountError> {
        let hashed = hash_token(token);
        let owner = self
            .with(move |c| db::take_token(c, &hashed, "verify", now))
            .await?
            .ok_or(AccountError::BadToken)?;
        self.with(move |c| db::set_verified(c, owner)).await
    }

    /// Opens a session for someone an OpenID provider vouched for: the account linked to
    /// that provider's subject, else the account with that (provider-confirmed) address,
    /// now linked, else a new one.
    pub async fn sign_in_with(&self, who: Identity, now: i64) -> Result<String, AccountError> {
        let owner = self
            .with(move |c| db::owner_for_identity(c, &who.provider, &who.subject, &who.email, now))
            .await?;
        let token = new_token();
        let hashed = hash_token(&token);
        self.with(move |c| db::insert_session(c, &hashed, owner, now + SESSION_SECS))
            .await?;
        Ok(token)
    }

    /// Checks the password and opens a session: its token (for the cookie).
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        now: i64,
    ) -> Result<String, AccountError> {
        let address = email.trim().to_owned();
        let found = self.with(move |c| db::owner_by_email(c, &address)).await?;
        // A missing account costs the same hashing time as a wrong password.
        let stored = found.as_ref().map(|o| o.password_hash.clone());
        let ok = verify_password(password.to_owned(), stored).await?;
        let owner = found.filter(|_| ok).ok_or(AccountError::WrongCredentials)?;
        if !owner.verified {
            return Err(AccountError::Unverified);
        }
        let token = new_token();
        let hashed = hash_token(&token);
        self.with(move |c| db::insert_session(c, &hashed, owner.id, now + SESSION_SECS))
            .await?;
        Ok(token)
    }

    pub async fn session(&self, token: &str, now: i64) -> Result<Option<Owner>, AccountError> {
        let hashed = hash_token(token);
        let row = self
            .with(move |c| db::owner_by_session(c, &hashed, now))
            .await?;
        Ok(row.map(|o| Owner {
            id: o.id,
            email: o.email,
        }))
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AccountError> {
        let hashed = hash_token(token);
        self.with(move |c| db::delete_session(c, &hashed)).await
    }

    /// Mails a reset link to an account's address; silent for an unknown one.
    pub async fn request_reset(&self, email: &str, now: i64) -> Result<(), AccountError> {
        let address = email.trim().to_owned();
        let Some(owner) = self.with(move |c| db::owner_by_email(c, &address)).await? else {
            return Ok(());
        };
        let token = new_token();
        let hashed = hash_token(&token);
        let id = owner.id;
        self.with(move |c| db::insert_token(c, &hashed, id, "reset", now + RESET_SECS))
            .await?;
        let link = format!("{}/reset#{token}", self.public_url);
        let body = format!(
            "To choose a new password for your Hotel Hub account, open:\n\n{link}\n\n\
             The link works for an hour. If you did not ask for it, ignore this message: your password stays as it is."
        );
        self.mailer
            .send(&owner.email, "Reset your password", body)
            .await?;
        Ok(())
    }

    /// Spends a reset link's token on a new password; every session of the account ends.
    pub async fn reset(&self, token: &str, password: &str, now: i64) -> Result<(), AccountError> {
        if password.chars().count() < MIN_PASSWORD || password.len() > 256 {
            return Err(AccountError::Invalid(
                "the password needs at least 10 characters",
            ));
        }
        let hashed = hash_token(token);
        let owner = self
            .with(move |c| db::take_token(c, &hashed, "reset", now))
            .await?
            .ok_or(AccountError::BadToken)?;
        let hash = hash_password(password.to_owned()).await?;
        self.with(move |c| db::set_password(c, owner, &hash)).await
    }

    /// Records `hub`'s new claim code (as its hash), valid for [`CLAIM_SECS`].
    pub async fn set_claim_code(
        &self,
        hub: &cloud_link::HubId,
        code: &str,
        now: i64,
    ) -> Result<(), AccountError> {
        let (hub, hashed) = (hub.to_string(), hash_token(&normalize_code(code)));
        self.with(move |c| db::set_claim_code(c, &hub, &hashed, now + CLAIM_SECS))
            .await
    }

    /// The owner claims the hub whose code this is; returns the hub's id.
    pub async fn claim(&self, owner: &Owner, code: &str, now: i64) -> Result<String, AccountError> {
        let (id, hashed) = (owner.id, hash_token(&normalize_code(code)));
        self.with(move |c| db::claim(c, &hashed, id, now))
            .await?
            .ok_or(AccountError::BadCode)
    }

    /// The hub's owner invites `email` to manage it with them: a link by e-mail, spent by
    /// the account with that address.
    pub async fn invite(
        &self,
        owner: &Owner,
        hub: &str,
        hub_name: &str,
        email: &str,
        now: i64,
    ) -> Result<(), AccountError> {
        let email = checked_email(email)?;
        self.owner_of(owner, hub).await?;
        let id = owner.id;
        let token = new_token();
        let (hashed, h, address) = (hash_token(&token), hub.to_owned(), email.clone());
        // Checked and written in one transaction.
        self.db
            .run(move |c| {
                if members_of(c, &h)?
                    .iter()
                    .any(|m| m.email.eq_ignore_ascii_case(&address))
                {
                    return Err(AccountError::Invalid(
                        "that address has access to this property already",
                    ));
                }
                Ok(db::insert_invite(
                    c,
                    &hashed,
                    &h,
                    &address,
                    id,
                    now + INVITE_SECS,
                )?)
            })
            .await?;
        let body = format!(
            "{} invites you to manage {hub_name} with them on Hotel Hub.\n\n\
             Accept with this link (sign in, or make an account with this address, first):\n\n\
             {}/invite#{token}\n\nThe link works for a week.",
            owner.email, self.public_url
        );
        self.mailer
            .send(&email, &format!("Manage {hub_name} on Hotel Hub"), body)
            .await?;
        Ok(())
    }

    /// Accepts an invitation for the signed-in owner; returns the hub's id.
    pub async fn accept(
        &self,
        owner: &Owner,
        token: &str,
        now: i64,
    ) -> Result<String, AccountError> {
        let (id, email, hashed) = (owner.id, owner.email.clone(), hash_token(token));
        match self
            .with(move |c| db::accept_invite(c, &hashed, id, &email, now))
            .await?
        {
            db::Accepted::Hub(hub) => Ok(hub),
            db::Accepted::Unknown => Err(AccountError::BadToken),
            db::Accepted::NotYours => Err(AccountError::NotYours),
        }
    }

    /// Who may open `hub`, and who is invited to, for its owner only.
    pub async fn sharing(
        &self,
        owner: &Owner,
        hub: &str,
        now: i64,
    ) -> Result<Sharing, AccountError> {
        self.owner_of(owner, hub).await?;
        let h = hub.to_owned();
        self.with(move |c| {
            let members = members_of(c, &h)?;
            let invited = db::pending_invites(c, &h, now)?
                .into_iter()
                .map(|(email, expires_at)| Invited { email, expires_at })
                .collect();
            Ok(Sharing { members, invited })
        })
        .await
    }

    /// The hub's owner takes manager `member`'s access away, at once.
    pub async fn revoke(&self, owner: &Owner, hub: &str, member: i64) -> Result<(), AccountError> {
        self.owner_of(owner, hub).await?;
        let h = hub.to_owned();
        if self
            .with(move |c| db::remove_manager(c, &h, member))
            .await?
        {
            Ok(())
        } else {
            Err(AccountError::NoSuchManager)
        }
    }

    /// Whose accounts hold `hub` (the hub itself asks, to show its admins): e-mail and
    /// role, owners first.
    pub async fn holders(&self, hub: &str) -> Result<Vec<Member>, AccountError> {
        let h = hub.to_owned();
        self.with(move |c| members_of(c, &h)).await
    }

    async fn owner_of(&self, owner: &Owner, hub: &str) -> Result<(), AccountError> {
        let (id, h) = (owner.id, hub.to_owned());
        match self.with(move |c| db::role(c, &h, id)).await?.as_deref() {
            Some("owner") => Ok(()),
            _ => Err(AccountError::NotOwner),
        }
    }

    /// The hubs the owner may open: (hub id, role).
    pub async fn hubs(&self, owner: &Owner) -> Result<Vec<(String, String)>, AccountError> {
        let id = owner.id;
        self.with(move |c| db::memberships(c, id)).await
    }
}

/// Who may open `hub`, owners first.
fn members_of(c: &mut dyn Sql, hub: &str) -> Result<Vec<Member>, StoreError> {
    Ok(db::members(c, hub)?
        .into_iter()
        .map(|(id, email, role)| Member { id, email, role })
        .collect())
}

/// Codes are shown grouped (`K7Q2-M9XD`) and typed any way: compare them bare, upper case.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn checked_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim();
    let ok = email.len() <= 254
        && email.parse::<lettre::Address>().is_ok()
        && email.split('@').nth(1).is_some_and(|d| d.contains('.'));
    ok.then(|| email.to_owned())
        .ok_or(AccountError::Invalid("that is not an e-mail address"))
}

async fn hash_password(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Worker(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Worker(e.to_string()))?
}

/// Whether `password` matches `stored`; with nothing stored, a dummy hash is checked so the
/// time taken does not tell whether the account exists.
async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AccountError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let dummy = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"not a password anyone has", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let text = stored.as_deref().unwrap_or(dummy);
        let matches = PasswordHash::new(text)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        matches && stored.is_some()
    })
    .await
    .map_err(|e| AccountError::Worker(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_compare_however_they_are_typed() {
        assert_eq!(normalize_code(" k7q2-m9xd "), "K7Q2M9XD");
        assert!(checked_email("owner@seaview.example").is_ok());
        for bad in ["", "owner", "owner@localhost", "a@b@c.d", "<x>@y.z"] {
            assert!(checked_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn an_owner_signs_up_confirms_signs_in_resets_and_claims() {
        let dir = tempfile::tempdir().unwrap();
        let pickup = dir.path().join("outbox");
        std::fs::create_dir_all(&pickup).unwrap();
        let mailer = Mailer::from_config(&crate::config::MailConfig {
            pickup_dir: Some(pickup.clone()),
            ..Default::default()
        })
        .unwrap();
        let store = crate::store::Store::sqlite(&dir.path().join("relay.db")).unwrap();
        let accounts = Accounts::open(store, mailer, "http://relay.localhost".into())
            .await
            .unwrap();
        let link_in_mail = |n: usize| {
            let mut files: Vec<_> = std::fs::read_dir(&pickup)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
            assert_eq!(files.len(), n, "{n} messages written");
            // Long lines come quoted-printable (RFC 2045 §6.7): undo the soft breaks.
            let text = std::fs::read_to_string(files.last().unwrap())
                .unwrap()
                .replace("=\r\n", "")
                .replace("=3D", "=")
                .replace("=23", "#");
            let token: Option<String> = text.split('#').nth(1).map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect()
            });
            (text, token)
        };
        assert!(accounts
            .sign_up("owner@seaview.example", "short", 0)
            .await
            .is_err());
        accounts
            .sign_up("owner@seaview.example", "a long passphrase", 0)
            .await
            .unwrap();
        let token = link_in_mail(1).1.unwrap();
        assert!(matches!(
            accounts
                .sign_in("owner@seaview.example", "a long passphrase", 1)
                .await,
            Err(AccountError::Unverified)
        ));
        accounts.verify(&token, 1).await.unwrap();
        assert!(matches!(
            accounts.verify(&token, 2).await,
            Err(AccountError::BadToken)
        ));
        assert!(matches!(
            accounts
                .sign_in("OWNER@seaview.example", "wrong password", 3)
                .await,
            Err(AccountError::WrongCredentials)
        ));
        let session = accounts
            .sign_in("OWNER@seaview.example", "a long passphrase", 3)
            .await
            .unwrap();
        let owner = accounts.session(&session, 4).await.unwrap().unwrap();
        // Signing up again with the address sends a reminder, not a second account.
        accounts
            .sign_up("owner@seaview.example", "another passphrase", 5)
            .await
            .unwrap();
        assert!(link_in_mail(2).0.contains("has an account already"));
        accounts
            .request_reset("owner@seaview.example", 6)
            .await
            .unwrap();
        let reset = link_in_mail(3).1.unwrap();
        accounts
            .reset(&reset, "a new long passphrase", 7)
            .await
            .unwrap();
        assert_eq!(
            accounts.session(&session, 8).await.unwrap(),
            None,
            "a reset ends sessions"
        );
        let session = accounts
            .sign_in("owner@seaview.example", "a new long passphrase", 9)
            .await
            .unwrap();
        assert_eq!(
            accounts.session(&session, 10).await.unwrap().as_ref(),
            Some(&owner)
        );

        let hub = cloud_link::HubId::parse("0123456789abcdef0123").unwrap();
        accounts
            .set_claim_code(&hub, "K7Q2-M9XD", 100)
            .await
            .unwrap();
        assert!(matches!(
            accounts.claim(&owner, "K7Q2-0000", 101).await,
            Err(AccountError::BadCode)
        ));
        assert_eq!(
            accounts.claim(&owner, "k7q2m9xd", 101).await.unwrap(),
            hub.to_string()
        );
        assert!(matches!(
            accounts.claim(&owner, "K7Q2-M9XD", 102).await,
            Err(AccountError::BadCode)
        ));
        assert_eq!(
            accounts.hubs(&owner).await.unwrap(),
            vec![(hub.to_string(), "owner".to_string())]
        );
        accounts
            .set_claim_code(&hub, "AAAA-BBBB", 200)
            .await
            .unwrap();
        assert!(matches!(
            accounts.claim(&owner, "AAAA-BBBB", 200 + CLAIM_SECS).await,
            Err(AccountError::BadCode)
        ));
    }
}
