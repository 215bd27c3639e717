//! The team's HTTP routes: first-run set-up, sign in and out, the signed-in member's own
//! profile and availability, invites, and member management for admins.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Extension;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::db::{self, Invite, Member, NewUser};
use super::{clean_email, clean_name, secret, Availability, Role, TeamError};
use crate::web::auth::{expired_session_cookie, session_cookie, ServedOverTls, Staff};
use crate::web::{ApiJson, AppError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup_status, setup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(set_status))
        .routes(routes!(invite_details))
        .routes(routes!(accept_invite))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(update_member, remove_member))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
}

#[derive(Serialize, ToSchema)]
struct SetupStatus {
    /// True until the owner account exists.
    needed: bool,
}

#[utoipa::path(get, path = "/setup", tag = "team", responses((status = 200, body = SetupStatus)))]
async fn setup_status(State(state): State<AppState>) -> Result<ApiJson<SetupStatus>, AppError> {
    let set_up = state.store.read(db::owner_exists).await?;
    Ok(ApiJson(SetupStatus { needed: !set_up }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetupRequest {
    /// The one-time code from the journal or `hub setup-code`.
    code: String,
    name: String,
    email: String,
    password: String,
}

/// Creates the owner with the one-time set-up code and signs them in.
#[utoipa::path(post, path = "/setup", tag = "team", request_body = SetupRequest, responses(
    (status = 201, body = Member), (status = 400, body = crate::web::ErrorBody),
    (status = 409, body = crate::web::ErrorBody), (status = 429, body = crate::web::ErrorBody)))]
async fn setup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    jar: CookieJar,
    ApiJson(req): ApiJson<SetupRequest>,
) -> Result<(StatusCode, CookieJar, ApiJson<Member>), AppError> {
    let key = peer.ip().to_string();
    let limiter = &state.limits.setup_by_address;
    limiter
        .check(&key, std::time::Instant::now())
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    let name = clean_name("name", &req.name, true)?;
    let email = clean_email(&req.email)?;
    secret::check_password_rules(&req.password).map_err(|m| TeamError::Invalid {
        field: "password",
        message: m,
    })?;
    let hash = secret::hash_off_runtime(req.password).await?;
    let (token, token_hash) = new_session_token();
    let (now, expires) = session_window(&state);
    let code = req.code;
    let result = state
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
            limiter.forget(&key);
            tracing::info!(member = member.id, "The owner account was created.");
            let jar = jar.add(session_cookie(token, tls, state.config.web.session_days));
            Ok((StatusCode::CREATED, jar, ApiJson(member)))
        }
        Err(e) => {
            if matches!(e, TeamError::WrongSetupCode) {
                limiter.record_failure(&key, std::time::Instant::now());
            }
            Err(e.into())
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

/// Signs in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/auth/login", tag = "team", request_body = LoginRequest, responses(
    (status = 200, body = Member), (status = 401, body = crate::web::ErrorBody),
    (status = 429, body = crate::web::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<(CookieJar, ApiJson<Member>), AppError> {
    let now_instant = std::time::Instant::now();
    let address_key = peer.ip().to_string();
    let email = req.email.trim().to_lowercase();
    let limits = &state.limits;
    for (limiter, key) in [
        (&limits.login_by_address, &address_key),
        (&limits.login_by_email, &email),
    ] {
        limiter
            .check(key, now_instant)
            .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    }
    if req.password.len() > secret::MAX_PASSWORD_LEN || email.len() > 254 {
        return Err(AppError::WrongCredentials);
    }
    let lookup = email.clone();
    let found = state
        .store
        .read(move |c| db::login_hash(c, &lookup))
        .await?;
    let password = req.password;
    let verified = tokio::task::spawn_blocking(move || match &found {
        Some((id, hash)) => secret::verify_password(&password, hash).then_some(*id),
        None => {
            secret::verify_password(&password, secret::decoy_hash());
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user_id) = verified else {
        limits
            .login_by_address
            .record_failure(&address_key, now_instant);
        limits.login_by_email.record_failure(&email, now_instant);
        return Err(AppError::WrongCredentials);
    };
    limits.login_by_email.forget(&email);
    let (token, token_hash) = new_session_token();
    let (now, expires) = session_window(&state);
    let member = state
        .store
        .write(move |c| {
            db::create_session(c, user_id, &token_hash, &now, &expires)?;
            db::member(c, user_id)
        })
        .await?;
    let jar = jar.add(session_cookie(token, tls, state.config.web.session_days));
    Ok((jar, ApiJson(member)))
}

/// Ends this session.
#[utoipa::path(post, path = "/auth/logout", tag = "team", security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::web::ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar), AppError> {
    let hash = staff.token_hash;
    state
        .store
        .write(move |c| db::delete_session(c, &hash))
        .await?;
    Ok((StatusCode::NO_CONTENT, jar.add(expired_session_cookie(tls))))
}

/// The signed-in member.
#[utoipa::path(get, path = "/me", tag = "team", security(("session" = [])),
    responses((status = 200, body = Member), (status = 401, body = crate::web::ErrorBody)))]
async fn me(staff: Staff) -> ApiJson<Member> {
    ApiJson(staff.member)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfileUpdate {
    name: String,
    nickname: String,
}

/// Changes one's own name and nickname.
#[utoipa::path(put, path = "/me", tag = "team", security(("session" = [])), request_body = ProfileUpdate,
    responses((status = 200, body = Member), (status = 401, body = crate::web::ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(req): ApiJson<ProfileUpdate>,
) -> Result<ApiJson<Member>, AppError> {
    let name = clean_name("name", &req.name, true)?;
    let nickname = clean_name("nickname", &req.nickname, false)?;
    let id = staff.member.id;
    let member = state
        .store
        .write(move |c| {
            db::update_profile(c, id, &name, &nickname)?;
            db::member(c, id)
        })
        .await?;
    Ok(ApiJson(member))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusUpdate {
    status: Availability,
    /// Whether to be notified of new guest messages while offline.
    offline_notifications: bool,
}

/// Sets one's availability: online, away or offline (TEAM-4).
#[utoipa::path(put, path = "/me/status", tag = "team", security(("session" = [])), request_body = StatusUpdate,
    responses((status = 200, body = Member), (status = 401, body = crate::web::ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(req): ApiJson<StatusUpdate>,
) -> Result<ApiJson<Member>, AppError> {
    let id = staff.member.id;
    let member = state
        .store
        .write(move |c| {
            db::set_availability(c, id, req.status, req.offline_notifications)?;
            db::member(c, id)
        })
        .await?;
    Ok(ApiJson(member))
}

#[derive(Serialize, ToSchema)]
struct InviteDetails {
    email: String,
    role: Role,
    property_name: String,
}

/// What an invite link is for, so the invitee's page can greet them.
#[utoipa::path(get, path = "/invites/{token}", tag = "team",
    params(("token" = String, Path, description = "The token from the invite link")),
    responses((status = 200, body = InviteDetails), (status = 410, body = crate::web::ErrorBody)))]
async fn invite_details(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<ApiJson<InviteDetails>, AppError> {
    let hash = secret::token_hash(&token);
    let now = state.clock.now_text();
    let details = state
        .store
        .read(move |c| {
            let invite = db::open_invite(c, &hash, &now)?;
            let property = super::property::load(c)?;
            Ok::<_, TeamError>(InviteDetails {
                email: invite.email,
                role: invite.role,
                property_name: property.name,
            })
        })
        .await?;
    Ok(ApiJson(details))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AcceptInvite {
    name: String,
    nickname: String,
    password: String,
}

/// Creates the invited member's account, spends the link and signs them in.
#[utoipa::path(post, path = "/invites/{token}/accept", tag = "team", request_body = AcceptInvite,
    params(("token" = String, Path, description = "The token from the invite link")),
    responses((status = 201, body = Member), (status = 400, body = crate::web::ErrorBody),
        (status = 410, body = crate::web::ErrorBody)))]
async fn accept_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    jar: CookieJar,
    ApiJson(req): ApiJson<AcceptInvite>,
) -> Result<(StatusCode, CookieJar, ApiJson<Member>), AppError> {
    let name = clean_name("name", &req.name, true)?;
    let nickname = clean_name("nickname", &req.nickname, false)?;
    secret::check_password_rules(&req.password).map_err(|m| TeamError::Invalid {
        field: "password",
        message: m,
    })?;
    let hash = secret::hash_off_runtime(req.password).await?;
    let invite_hash = secret::token_hash(&token);
    let (session, session_hash) = new_session_token();
    let (now, expires) = session_window(&state);
    let member = state
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
    let jar = jar.add(session_cookie(session, tls, state.config.web.session_days));
    Ok((StatusCode::CREATED, jar, ApiJson(member)))
}

/// Everyone on the team.
#[utoipa::path(get, path = "/members", tag = "team", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Member>), (status = 401, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn list_members(State(state): State<AppState>) -> Result<ApiJson<Vec<Member>>, AppError> {
    Ok(ApiJson(state.store.read(db::members).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberUpdate {
    name: Option<String>,
    nickname: Option<String>,
    role: Option<Role>,
}

/// Edits a member's name, nickname or role. Only the owner grants or takes the admin role;
/// the owner's own role never changes.
#[utoipa::path(patch, path = "/members/{id}", tag = "team", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = MemberUpdate,
    responses((status = 200, body = Member), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn update_member(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MemberUpdate>,
) -> Result<ApiJson<Member>, AppError> {
    let name = req.name.map(|n| clean_name("name", &n, true)).transpose()?;
    let nickname = req
        .nickname
        .map(|n| clean_name("nickname", &n, false))
        .transpose()?;
    let actor = staff.member;
    let member = state
        .store
        .write(move |c| {
            let target = db::member(c, id)?;
            if let Some(role) = req.role.filter(|r| *r != target.role) {
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
        .await?;
    Ok(ApiJson(member))
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

/// Removes a member; their sessions end at once.
#[utoipa::path(delete, path = "/members/{id}", tag = "team", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let actor = staff.member;
    state
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
    tracing::info!(member = id, by = actor.id, "A member was removed.");
    Ok(StatusCode::NO_CONTENT)
}

/// Invites that were not used yet and have not expired.
#[utoipa::path(get, path = "/invites", tag = "team", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Invite>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_invites(State(state): State<AppState>) -> Result<ApiJson<Vec<Invite>>, AppError> {
    let now = state.clock.now_text();
    Ok(ApiJson(
        state
            .store
            .read(move |c| db::pending_invites(c, &now))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteRequest {
    email: String,
    /// admin, chat_admin or agent.
    role: Role,
}

#[derive(Serialize, ToSchema)]
struct InviteCreated {
    invite: Invite,
    /// The single-use link; valid until `invite.expires_at`.
    link: String,
    /// True when the link went out by e-mail; otherwise pass it on yourself.
    emailed: bool,
}

/// How long an invite link stays valid.
const INVITE_DAYS: i64 = 7;

/// Invites a member by e-mail: a single-use link that expires after a week.
#[utoipa::path(post, path = "/invites", tag = "team", security(("session" = ["admin"])),
    request_body = InviteRequest,
    responses((status = 201, body = InviteCreated), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn create_invite(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<(StatusCode, ApiJson<InviteCreated>), AppError> {
    let email = clean_email(&req.email)?;
    if req.role == Role::Owner {
        return Err(TeamError::NotAllowed("there is one owner").into());
    }
    if req.role == Role::Admin && staff.member.role != Role::Owner {
        return Err(TeamError::NotAllowed("only the owner invites admins").into());
    }
    let token = secret::new_token();
    let hash = secret::token_hash(&token);
    let now = state.clock.now();
    let (created, expires) = (
        crate::clock::stamp(now),
        crate::clock::stamp(now + chrono::Duration::days(INVITE_DAYS)),
    );
    let inviter = staff.member.id;
    let role = req.role;
    let (invite, property_name) = state
        .store
        .write(move |c| {
            let id = db::create_invite(c, &hash, &email, role, inviter, &created, &expires)?;
            let invite = Invite {
                id,
                email,
                role,
                created_at: created,
                expires_at: expires,
            };
            Ok::<_, TeamError>((invite, super::property::load(c)?.name))
        })
        .await?;
    let link = format!(
        "{}/invite/{token}",
        origin(&headers, tls, &state.config.web.host_name)
    );
    let mut emailed = false;
    if let Some(mailer) = &state.mailer {
        match mailer
            .send_invite(&invite.email, &link, &property_name, &staff.member.name)
            .await
        {
            Ok(()) => emailed = true,
            Err(e) => {
                tracing::warn!(error = %e, "The invite e-mail could not be sent; the admin gets the link.")
            }
        }
    }
    Ok((
        StatusCode::CREATED,
        ApiJson(InviteCreated {
            invite,
            link,
            emailed,
        }),
    ))
}

/// Withdraws a pending invite.
#[utoipa::path(delete, path = "/invites/{id}", tag = "team", security(("session" = ["admin"])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403, body = crate::web::ErrorBody)))]
async fn revoke_invite(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.store.write(move |c| db::revoke_invite(c, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The origin the admin reached the hub by: the invitee is on the same network.
fn origin(headers: &HeaderMap, tls: bool, host_name: &str) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() < 256
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{host_name}.local"));
    format!("{}://{host}", if tls { "https" } else { "http" })
}

fn new_session_token() -> (String, String) {
    let token = secret::new_token();
    let hash = secret::token_hash(&token);
    (token, hash)
}

fn session_window(state: &AppState) -> (String, String) {
    let now = state.clock.now();
    let days = i64::from(state.config.web.session_days);
    (
        crate::clock::stamp(now),
        crate::clock::stamp(now + chrono::Duration::days(days)),
    )
}
