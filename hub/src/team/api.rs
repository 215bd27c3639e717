//! The team's HTTP routes: first-run set-up, sign in and out, the signed-in member's own
//! profile and availability, invites, member management and the property's settings for
//! admins, and the root page's redirect. Each handler is one call of [`Team`].

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Redirect;
use axum::Extension;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::staff_api::{expired_session_cookie, session_cookie, Staff};
use super::{Availability, Invite, Member, PropertySettings, Role, Session, Team, TeamError};
use crate::web::{ApiJson, AppError, ServedOverTls};

impl From<TeamError> for AppError {
    fn from(e: TeamError) -> AppError {
        match e {
            TeamError::Store(e) => e.into(),
            TeamError::Hashing(why) => AppError::Internal(why),
            TeamError::EmailTaken | TeamError::AlreadySetUp => AppError::Conflict(e.to_string()),
            TeamError::WrongSetupCode => AppError::bad("wrong_setup_code", e.to_string()),
            TeamError::InviteGone => AppError::Gone(e.to_string()),
            TeamError::NoSuchMember => AppError::NotFound,
            TeamError::NotAllowed(why) => AppError::Conflict(why.to_owned()),
            TeamError::Invalid { field, message } => {
                AppError::bad("invalid_field", format!("{field}: {message}"))
            }
            TeamError::WrongCredentials => AppError::WrongCredentials,
            TeamError::TooManyAttempts { retry_after_secs } => {
                AppError::TooManyRequests { retry_after_secs }
            }
        }
    }
}

pub fn routes() -> OpenApiRouter<Team> {
    OpenApiRouter::new()
        .routes(routes!(setup_status, setup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
        .routes(routes!(set_status))
        .routes(routes!(invite_details))
        .routes(routes!(accept_invite))
        .routes(routes!(get_property))
}

pub fn admin_routes() -> OpenApiRouter<Team> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(update_member, remove_member))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(put_property))
}

/// Pages outside `/api/v1`.
pub fn page_routes() -> OpenApiRouter<Team> {
    OpenApiRouter::new().routes(routes!(root))
}

/// First run goes to set-up; afterwards to the admin app.
#[utoipa::path(get, path = "/", tag = "pages", responses((status = 303, description = "Redirect")))]
async fn root(State(team): State<Team>) -> Result<Redirect, AppError> {
    let set_up = team.owner_exists().await?;
    Ok(Redirect::to(if set_up { "/admin/" } else { "/setup" }))
}

/// Sets the session cookie for a new session.
fn signed_in(team: &Team, jar: CookieJar, session: Session) -> (CookieJar, ApiJson<Member>) {
    let jar = jar.add(session_cookie(session.token, team.session_days()));
    (jar, ApiJson(session.member))
}

#[derive(Serialize, ToSchema)]
struct SetupStatus {
    /// True until the owner account exists.
    needed: bool,
}

#[utoipa::path(get, path = "/setup", tag = "team", responses((status = 200, body = SetupStatus)))]
async fn setup_status(State(team): State<Team>) -> Result<ApiJson<SetupStatus>, AppError> {
    let set_up = team.owner_exists().await?;
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
    State(team): State<Team>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    ApiJson(req): ApiJson<SetupRequest>,
) -> Result<(StatusCode, CookieJar, ApiJson<Member>), AppError> {
    let from = peer.ip().to_string();
    let session = team
        .set_up(&from, req.code, &req.name, &req.email, req.password)
        .await?;
    let (jar, member) = signed_in(&team, jar, session);
    Ok((StatusCode::CREATED, jar, member))
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
    State(team): State<Team>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<(CookieJar, ApiJson<Member>), AppError> {
    let from = peer.ip().to_string();
    let session = team.log_in(&from, &req.email, req.password).await?;
    Ok(signed_in(&team, jar, session))
}

/// Ends this session.
#[utoipa::path(post, path = "/auth/logout", tag = "team", security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::web::ErrorBody)))]
async fn logout(
    State(team): State<Team>,
    staff: Staff,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar), AppError> {
    team.log_out(staff.token_hash).await?;
    Ok((StatusCode::NO_CONTENT, jar.add(expired_session_cookie())))
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
    State(team): State<Team>,
    staff: Staff,
    ApiJson(req): ApiJson<ProfileUpdate>,
) -> Result<ApiJson<Member>, AppError> {
    let member = team
        .update_profile(staff.member.id, &req.name, &req.nickname)
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
    State(team): State<Team>,
    staff: Staff,
    ApiJson(req): ApiJson<StatusUpdate>,
) -> Result<ApiJson<Member>, AppError> {
    let member = team
        .set_availability(staff.member.id, req.status, req.offline_notifications)
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
    State(team): State<Team>,
    Path(token): Path<String>,
) -> Result<ApiJson<InviteDetails>, AppError> {
    let invite = team.invite_for(&token).await?;
    Ok(ApiJson(InviteDetails {
        email: invite.email,
        role: invite.role,
        property_name: invite.property_name,
    }))
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
    State(team): State<Team>,
    Path(token): Path<String>,
    jar: CookieJar,
    ApiJson(req): ApiJson<AcceptInvite>,
) -> Result<(StatusCode, CookieJar, ApiJson<Member>), AppError> {
    let session = team
        .accept_invite(&token, &req.name, &req.nickname, req.password)
        .await?;
    let (jar, member) = signed_in(&team, jar, session);
    Ok((StatusCode::CREATED, jar, member))
}

/// Everyone on the team.
#[utoipa::path(get, path = "/members", tag = "team", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Member>), (status = 401, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn list_members(State(team): State<Team>) -> Result<ApiJson<Vec<Member>>, AppError> {
    Ok(ApiJson(team.members().await?))
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
    State(team): State<Team>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<MemberUpdate>,
) -> Result<ApiJson<Member>, AppError> {
    let member = team
        .update_member(staff.member, id, req.name, req.nickname, req.role)
        .await?;
    Ok(ApiJson(member))
}

/// Removes a member; their sessions end at once.
#[utoipa::path(delete, path = "/members/{id}", tag = "team", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn remove_member(
    State(team): State<Team>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    team.remove_member(staff.member, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites that were not used yet and have not expired.
#[utoipa::path(get, path = "/invites", tag = "team", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Invite>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_invites(State(team): State<Team>) -> Result<ApiJson<Vec<Invite>>, AppError> {
    Ok(ApiJson(team.pending_invites().await?))
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

/// Invites a member by e-mail: a single-use link that expires after a week.
#[utoipa::path(post, path = "/invites", tag = "team", security(("session" = ["admin"])),
    request_body = InviteRequest,
    responses((status = 201, body = InviteCreated), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn create_invite(
    State(team): State<Team>,
    staff: Staff,
    headers: HeaderMap,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<(StatusCode, ApiJson<InviteCreated>), AppError> {
    let origin = origin(&headers, tls, team.host_name());
    let sent = team
        .invite(&staff.member, &req.email, req.role, &origin)
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(InviteCreated {
            invite: sent.invite,
            link: sent.link,
            emailed: sent.emailed,
        }),
    ))
}

/// Withdraws a pending invite.
#[utoipa::path(delete, path = "/invites/{id}", tag = "team", security(("session" = ["admin"])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403, body = crate::web::ErrorBody)))]
async fn revoke_invite(
    State(team): State<Team>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    team.revoke_invite(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The property's settings.
#[utoipa::path(get, path = "/property", tag = "property", security(("session" = [])),
    responses((status = 200, body = PropertySettings), (status = 401, body = crate::web::ErrorBody)))]
async fn get_property(State(team): State<Team>, _staff: Staff) -> ApiJson<PropertySettings> {
    ApiJson(team.property().current())
}

/// Replaces the property's settings.
#[utoipa::path(put, path = "/property", tag = "property", security(("session" = ["admin"])),
    request_body = PropertySettings,
    responses((status = 200, body = PropertySettings), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn put_property(
    State(team): State<Team>,
    ApiJson(settings): ApiJson<PropertySettings>,
) -> Result<ApiJson<PropertySettings>, AppError> {
    Ok(ApiJson(team.property().save(settings).await?))
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
