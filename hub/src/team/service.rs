//! The team's front door: set-up, sign-in with its failure limits, sessions, profiles,
//! members and invites. Handlers call it with plain values and get [`Member`]s back; it
//! owns the team's SQL (through `db.rs`) and its password work (through `secret.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::db::{self, Invite, Member, NewUser};
use super::property::Property;
use super::{clean_email, clean_name, Availability, Role, TeamError};
use crate::clock::{stamp, Clock};
use crate::notify::Mailer;
use crate::ratelimit::{Backoff, FailureLimiter};
use crate::secret;
use crate::store::Store;

/// Password hashes (sign-in, set-up, invites) running at once; the rest wait their turn.
const HASHES_AT_ONCE: usize = 2;

/// How long an invite link stays valid.
const INVITE_DAYS: i64 = 7;

/// A new session: the cookie's value (shown once) and the member it signs in.
pub struct Session {
    pub token: String,
    pub member: Member,
}

/// A pending invite and its single-use link.
pub struct InviteSent {
    pub invite: Invite,
    pub link: String,
    /// True when the link went out by e-mail.
    pub emailed: bool,
}

/// What an invite link is for.
pub struct InviteFor {
    pub email: String,
    pub role: Role,
    pub property_name: String,
}

/// An account the demo makes with a known password.
pub struct SeedMember {
    pub email: &'static str,
    pub name: &'static str,
    pub nickname: &'static str,
    pub role: Role,
    pub password: String,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Team {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    mailer: Option<Mailer>,
    property: Property,
    session_days: u32,
    host_name: String,
    setup_by_address: FailureLimiter,
    login_by_address: FailureLimiter,
    /// Per (address, account): 5 attempts, then 30 s, 1, 2, 4… minutes, at most 15.
    login_by_account: Backoff,
    /// Password hashes under way at once: argon2 takes about 19 MiB each.
    hashing: tokio::sync::Semaphore,
}

impl Team {
    pub fn new(
        store: Store,
        clock: Clock,
        mailer: Option<Mailer>,
        property: Property,
        session_days: u32,
        host_name: String,
    ) -> Team {
        let window = Duration::from_secs(15 * 60);
        Team {
            inner: Arc::new(Inner {
                store,
                clock,
                mailer,
                property,
                session_days,
                host_name,
                setup_by_address: FailureLimiter::new(window, 5),
                login_by_address: FailureLimiter::new(window, 20),
                login_by_account: Backoff::new(5, Duration::from_secs(30), window),
                hashing: tokio::sync::Semaphore::new(HASHES_AT_ONCE),
            }),
        }
    }

    pub fn property(&self) -> &Property {
        &self.inner.property
    }

    /// Days a session cookie lives.
    pub fn session_days(&self) -> u32 {
        self.inner.session_days
    }

    /// A turn to hash a password (see [`HASHES_AT_ONCE`]); the semaphore is never closed.
    async fn hashing_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.inner.hashing.acquire().await.ok()
    }

    /// The hub's mDNS name (`<name>.local`), for links when a request names no host.
    pub fn host_name(&self) -> &str {
        &self.inner.host_name
    }

    pub async fn owner_exists(&self) -> Result<bool, TeamError> {
        self.inner.store.read(db::owner_exists).await
    }

    /// The set-up code while there is no owner (made on first call).
    pub async fn setup_code(&self) -> Result<Option<String>, TeamError> {
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .write(move |c| db::ensure_setup_code(c, &now))
            .await
    }

    /// The member a session cookie's value signs in, if it is live.
    pub async fn session_member(&self, token: &str) -> Result<Option<(Member, String)>, TeamError> {
        let token_hash = secret::token_hash(token);
        let now = self.inner.clock.now_text();
        let lookup = token_hash.clone();
        let member = self
            .inner
            .store
            .read(move |c| db::session_member(c, &lookup, &now))
            .await?;
        Ok(member.map(|m| (m, token_hash)))
    }

    /// Whether the session with this token hash is still live (its member not removed).
    pub async fn session_live(&self, token_hash: String) -> Result<bool, TeamError> {
        let now = self.inner.clock.now_text();
        let member = self
            .inner
            .store
            .read(move |c| db::session_member(c, &token_hash, &now))
            .await?;
        Ok(member.is_some())
    }

    /// Creates the owner with the one-time set-up code and signs them in. Five wrong codes
    /// from one address in 15 minutes are refused with [`TeamError::TooManyAttempts`].
    pub async fn set_up(
        &self,
        from: &str,
        code: String,
        name: &str,
        email: &str,
        password: String,
    ) -> Result<Session, TeamError> {
        let limiter = &self.inner.setup_by_address;
        limiter
            .check(from, Instant::now())
            .map_err(|retry_after_secs| TeamError::TooManyAttempts { retry_after_secs })?;
        let name = clean_name("name", name, true)?;
        let email = clean_email(email)?;
        check_password(&password)?;
        let hash = {
            let _permit = self.hashing_turn().await;
            secret::hash_off_runtime(password).await?
        };
        let (token, token_hash) = new_session_token();
        let (now, expires) = self.session_window();
        let result = self
            .inner
            .store
            .write(move |c| {
                let user = NewUser {
                    email: &email,
                    name: &name,
                    nickname: "",
                    role: Role::Owner,
                    password_hash: &hash,
                };
                let id = db::create_owner(c, &code, &user, &now)?;
                db::create_session(c, id, &token_hash, &now, &expires)?;
                db::member(c, id)
            })
            .await;
        match result {
            Ok(member) => {
                limiter.forget(from);
                tracing::info!(member = member.id, "The owner account was created.");
                Ok(Session { token, member })
            }
            Err(e) => {
                if matches!(e, TeamError::WrongSetupCode) {
                    limiter.record_failure(from, Instant::now());
                }
                Err(e)
            }
        }
    }

    /// Signs in with e-mail and password. Attempts count per address (20 in 15 minutes) and
    /// per address and account (5), never per account alone, so nobody can lock an account
    /// out from elsewhere; an unknown e-mail costs the same hashing time as a known one.
    pub async fn log_in(
        &self,
        from: &str,
        email: &str,
        password: String,
    ) -> Result<Session, TeamError> {
        let inner = &self.inner;
        let now_instant = Instant::now();
        let email = email.trim().to_lowercase();
        // Each attempt is counted before its password is hashed, so a burst cannot pass the
        // limit together; a success takes its count back.
        let too_many = |retry_after_secs| TeamError::TooManyAttempts { retry_after_secs };
        inner
            .login_by_address
            .hit(from, now_instant)
            .map_err(too_many)?;
        // Per address and account: failures from one place never lock the account out of
        // another.
        let account = format!("{from} {email}");
        if let Err(secs) = inner.login_by_account.hit(&account, now_instant) {
            inner.login_by_address.undo(from);
            return Err(too_many(secs));
        }
        if password.len() > secret::MAX_PASSWORD_LEN || email.len() > 254 {
            return Err(TeamError::WrongCredentials);
        }
        let lookup = email.clone();
        let found = inner
            .store
            .read(move |c| db::login_hash(c, &lookup))
            .await?;
        let _permit = self.hashing_turn().await;
        let verified = tokio::task::spawn_blocking(move || match &found {
            Some((id, hash)) => secret::verify_password(&password, hash).then_some(*id),
            None => {
                secret::verify_password(&password, secret::decoy_hash());
                None
            }
        })
        .await
        .map_err(|e| TeamError::Hashing(e.to_string()))?;
        let Some(user_id) = verified else {
            return Err(TeamError::WrongCredentials);
        };
        inner.login_by_account.forget(&account);
        inner.login_by_address.undo(from);
        let (token, token_hash) = new_session_token();
        let (now, expires) = self.session_window();
        let member = inner
            .store
            .write(move |c| {
                db::create_session(c, user_id, &token_hash, &now, &expires)?;
                db::member(c, user_id)
            })
            .await?;
        Ok(Session { token, member })
    }

    pub async fn log_out(&self, token_hash: String) -> Result<(), TeamError> {
        self.inner
            .store
            .write(move |c| db::delete_session(c, &token_hash))
            .await
    }

    /// Changes one's own name and nickname.
    pub async fn update_profile(
        &self,
        id: i64,
        name: &str,
        nickname: &str,
    ) -> Result<Member, TeamError> {
        let name = clean_name("name", name, true)?;
        let nickname = clean_name("nickname", nickname, false)?;
        self.inner
            .store
            .write(move |c| {
                db::update_profile(c, id, &name, &nickname)?;
                db::member(c, id)
            })
            .await
    }

    /// Online, away or offline (TEAM-4).
    pub async fn set_availability(
        &self,
        id: i64,
        status: Availability,
        offline_notifications: bool,
    ) -> Result<Member, TeamError> {
        self.inner
            .store
            .write(move |c| {
                db::set_availability(c, id, status, offline_notifications)?;
                db::member(c, id)
            })
            .await
    }

    /// What an open invite link is for; [`TeamError::InviteGone`] once used or expired.
    pub async fn invite_for(&self, token: &str) -> Result<InviteFor, TeamError> {
        let hash = secret::token_hash(token);
        let now = self.inner.clock.now_text();
        let invite = self
            .inner
            .store
            .read(move |c| db::open_invite(c, &hash, &now))
            .await?;
        Ok(InviteFor {
            email: invite.email,
            role: invite.role,
            property_name: self.inner.property.current().name,
        })
    }

    /// Creates the invited member's account, spends the link and signs them in.
    pub async fn accept_invite(
        &self,
        token: &str,
        name: &str,
        nickname: &str,
        password: String,
    ) -> Result<Session, TeamError> {
        let name = clean_name("name", name, true)?;
        let nickname = clean_name("nickname", nickname, false)?;
        check_password(&password)?;
        let hash = {
            let _permit = self.hashing_turn().await;
            secret::hash_off_runtime(password).await?
        };
        let invite_hash = secret::token_hash(token);
        let (session, session_hash) = new_session_token();
        let (now, expires) = self.session_window();
        let member = self
            .inner
            .store
            .write(move |c| {
                let invite = db::open_invite(c, &invite_hash, &now)?;
                let user = NewUser {
                    email: &invite.email,
                    name: &name,
                    nickname: &nickname,
                    role: invite.role,
                    password_hash: &hash,
                };
                let id = db::create_user(c, &user, &now)?;
                db::mark_invite_used(c, invite.id, &now)?;
                db::create_session(c, id, &session_hash, &now, &expires)?;
                db::member(c, id)
            })
            .await?;
        tracing::info!(
            member = member.id,
            role = member.role.as_str(),
            "An invited member joined."
        );
        Ok(Session {
            token: session,
            member,
        })
    }

    /// Makes a property's first accounts with passwords chosen for them (the demo's owner
    /// and agent), in place of set-up: the set-up code is spent. [`TeamError::AlreadySetUp`]
    /// once an owner exists.
    pub async fn seed_members(&self, people: Vec<SeedMember>) -> Result<(), TeamError> {
        let mut hashed = Vec::with_capacity(people.len());
        for p in people {
            let hash = {
                let _permit = self.hashing_turn().await;
                secret::hash_off_runtime(p.password.clone()).await?
            };
            hashed.push((p, hash));
        }
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .write(move |c| {
                if db::owner_exists(c)? {
                    return Err(TeamError::AlreadySetUp);
                }
                for (p, hash) in &hashed {
                    let user = NewUser {
                        email: p.email,
                        name: p.name,
                        nickname: p.nickname,
                        role: p.role,
                        password_hash: hash,
                    };
                    db::create_user(c, &user, &now)?;
                }
                db::spend_setup_code(c)
            })
            .await
    }

    pub async fn members(&self) -> Result<Vec<Member>, TeamError> {
        self.inner.store.read(db::members).await
    }

    /// Edits a member's name, nickname or role. Only the owner grants or takes the admin
    /// role; the owner's own role never changes.
    pub async fn update_member(
        &self,
        actor: Member,
        id: i64,
        name: Option<String>,
        nickname: Option<String>,
        role: Option<Role>,
    ) -> Result<Member, TeamError> {
        let name = name.map(|n| clean_name("name", &n, true)).transpose()?;
        let nickname = nickname
            .map(|n| clean_name("nickname", &n, false))
            .transpose()?;
        self.inner
            .store
            .write(move |c| {
                let target = db::member(c, id)?;
                if let Some(role) = role.filter(|r| *r != target.role) {
                    check_role_change(&actor, &target, role)?;
                    db::set_role(c, id, role)?;
                }
                if name.is_some() || nickname.is_some() {
                    db::update_profile(
                        c,
                        id,
                        name.as_deref().unwrap_or(&target.name),
                        nickname.as_deref().unwrap_or(&target.nickname),
                    )?;
                }
                db::member(c, id)
            })
            .await
    }

    /// Removes a member; their sessions end at once.
    pub async fn remove_member(&self, actor: Member, id: i64) -> Result<(), TeamError> {
        let actor_id = actor.id;
        self.inner
            .store
            .write(move |c| {
                let target = db::member(c, id)?;
                if target.role == Role::Owner {
                    return Err(TeamError::NotAllowed("the owner cannot be removed"));
                }
                if target.id == actor.id {
                    return Err(TeamError::NotAllowed("you cannot remove yourself"));
                }
                if target.role == Role::Admin && actor.role != Role::Owner {
                    return Err(TeamError::NotAllowed("only the owner removes an admin"));
                }
                db::delete_member(c, id)
            })
            .await?;
        tracing::info!(member = id, by = actor_id, "A member was removed.");
        Ok(())
    }

    /// Invites that were not used yet and have not expired.
    pub async fn pending_invites(&self) -> Result<Vec<Invite>, TeamError> {
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .read(move |c| db::pending_invites(c, &now))
            .await
    }

    /// Invites a member by e-mail: a single-use link under `origin` (the address the admin
    /// reached the hub by) that expires after a week, e-mailed when SMTP is set up.
    pub async fn invite(
        &self,
        inviter: &Member,
        email: &str,
        role: Role,
        origin: &str,
    ) -> Result<InviteSent, TeamError> {
        let email = clean_email(email)?;
        if role == Role::Owner {
            return Err(TeamError::NotAllowed("there is one owner"));
        }
        if role == Role::Admin && inviter.role != Role::Owner {
            return Err(TeamError::NotAllowed("only the owner invites admins"));
        }
        let token = secret::new_token();
        let hash = secret::token_hash(&token);
        let now = self.inner.clock.now();
        let (created, expires) = (stamp(now), stamp(now + chrono::Duration::days(INVITE_DAYS)));
        let inviter_id = inviter.id;
        let invite = self
            .inner
            .store
            .write(move |c| {
                let id = db::create_invite(c, &hash, &email, role, inviter_id, &created, &expires)?;
                Ok::<_, TeamError>(Invite {
                    id,
                    email,
                    role,
                    created_at: created,
                    expires_at: expires,
                })
            })
            .await?;
        let link = format!("{origin}/invite/{token}");
        let mut emailed = false;
        if let Some(mailer) = &self.inner.mailer {
            let property_name = self.inner.property.current().name;
            match mailer
                .send_invite(&invite.email, &link, &property_name, &inviter.name)
                .await
            {
                Ok(()) => emailed = true,
                Err(e) => {
                    tracing::warn!(error = %e, "The invite e-mail could not be sent; the admin gets the link.")
                }
            }
        }
        Ok(InviteSent {
            invite,
            link,
            emailed,
        })
    }

    /// Withdraws a pending invite.
    pub async fn revoke_invite(&self, id: i64) -> Result<(), TeamError> {
        self.inner
            .store
            .write(move |c| db::revoke_invite(c, id))
            .await
    }

    fn session_window(&self) -> (String, String) {
        let now = self.inner.clock.now();
        let days = i64::from(self.inner.session_days);
        (stamp(now), stamp(now + chrono::Duration::days(days)))
    }
}

fn check_password(password: &str) -> Result<(), TeamError> {
    secret::check_password_rules(password).map_err(|m| TeamError::Invalid {
        field: "password",
        message: m,
    })
}

fn new_session_token() -> (String, String) {
    let token = secret::new_token();
    let hash = secret::token_hash(&token);
    (token, hash)
}

fn check_role_change(actor: &Member, target: &Member, role: Role) -> Result<(), TeamError> {
    if target.role == Role::Owner || role == Role::Owner {
        return Err(TeamError::NotAllowed(
            "the owner is the owner: that role does not move",
        ));
    }
    if target.id == actor.id {
        return Err(TeamError::NotAllowed("you cannot change your own role"));
    }
    if (role == Role::Admin || target.role == Role::Admin) && actor.role != Role::Owner {
        return Err(TeamError::NotAllowed(
            "only the owner grants or takes the admin role",
        ));
    }
    Ok(())
}
