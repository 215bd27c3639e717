//! The reports' HTTP routes: search (CHAT-20), statistics (CHAT-16), leads (CHAT-9), the
//! transcript by e-mail and the signed "send to CRM" webhook (CHAT-7).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::reports::{Hit, Lead, Statistics};
use super::Chat;
use crate::team::Staff;
use crate::web::{ApiJson, AppError, ErrorBody};

pub fn routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(statistics))
        .routes(routes!(leads))
        .routes(routes!(transcript))
        .routes(routes!(send_to_crm))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words to find; the last one may be a prefix.
    q: String,
}

/// Search every message the member may see (private notes included).
#[utoipa::path(get, path = "/chat/search", tag = "chat", security(("session" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<Hit>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn search(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Query(q): Query<SearchQuery>,
) -> Result<ApiJson<Vec<Hit>>, AppError> {
    Ok(ApiJson(chat.search(&staff.member, &q.q).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// First day (YYYY-MM-DD, the property's time zone); 30 days ago by default.
    from: Option<String>,
    /// Last day, inclusive; today by default.
    to: Option<String>,
}

/// Dialogues per day, first-response time, missed rate and rating, overall and per agent.
#[utoipa::path(get, path = "/chat/statistics", tag = "chat", security(("session" = [])), params(RangeQuery),
    responses((status = 200, body = Statistics), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn statistics(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
    Query(q): Query<RangeQuery>,
) -> Result<ApiJson<Statistics>, AppError> {
    Ok(ApiJson(
        chat.statistics(q.from.as_deref(), q.to.as_deref()).await?,
    ))
}

/// Contact forms left out of hours, newest first.
#[utoipa::path(get, path = "/chat/leads", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<Lead>), (status = 401, body = ErrorBody)))]
async fn leads(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Lead>>, AppError> {
    Ok(ApiJson(chat.leads().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranscriptRequest {
    /// Where to send it; the guest's address by default.
    pub email: Option<String>,
}

/// E-mail the dialogue's transcript (to the guest, or to the given address).
#[utoipa::path(post, path = "/chat/dialogues/{id}/transcript", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = TranscriptRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn transcript(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<TranscriptRequest>,
) -> Result<StatusCode, AppError> {
    chat.send_transcript(&staff.member, id, req.email.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST the dialogue, its visitor and messages to the configured CRM webhook, signed with
/// `X-Hub-Signature` over `X-Hub-Timestamp` and the body.
#[utoipa::path(post, path = "/chat/dialogues/{id}/crm", tag = "chat", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 500, body = ErrorBody)))]
async fn send_to_crm(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    chat.send_to_crm(&staff.member, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
