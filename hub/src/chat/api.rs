//! The Team Messenger's REST routes (CHAT-6, -7, -8, -13, -18, -21): dialogue lists per
//! view, one dialogue with its visitor card and messages, the agent actions, attachments,
//! the visitor card, blocked addresses, shortcuts and direct dialogues. Live traffic goes
//! over `/ws/team`; every action here also reaches the sockets through the bus.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bus::{Audience, OnlineVisitor};
use super::db::{self, DialogueRow};
use super::service::dialogue_for;
use super::settings::ChatSettings;
use super::visitors::{self, CardEdit, Visitor};
use super::{attachments, ChatError, Message};
use crate::team::Role;
use crate::web::auth::{ChatAdmin, Staff};
use crate::web::{ApiJson, AppError, AppState, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_dialogues))
        .routes(routes!(get_dialogue))
        .routes(routes!(post_message, older_messages))
        .routes(routes!(get_attachment))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(end))
        .routes(routes!(mark_unread))
        .routes(routes!(assign))
        .routes(routes!(invite))
        .routes(routes!(edit_visitor))
        .routes(routes!(online_visitors))
        .routes(routes!(list_blocks, block_address))
        .routes(routes!(unblock_address))
        .routes(routes!(list_shortcuts, create_shortcut))
        .routes(routes!(delete_shortcut))
        .routes(routes!(open_direct))
        .routes(routes!(widget_snippet))
        .routes(routes!(colleagues))
}

/// The route that takes a raw file (it gets the larger upload body limit).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_attachment))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

/// Whether the member may see colleagues' dialogues.
pub fn sees_others(role: Role, settings: &ChatSettings) -> bool {
    role != Role::Agent || settings.agents_see_others
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum View {
    Mine,
    Others,
    Unassigned,
    Missed,
    History,
    Direct,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    view: View,
    /// History from this day (YYYY-MM-DD, inclusive); a week ago by default.
    from: Option<String>,
    /// History up to this day (inclusive); today by default.
    to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueSummary {
    #[serde(flatten)]
    pub dialogue: DialogueRow,
    pub visitor_name: Option<String>,
    pub assignee_name: Option<String>,
    pub title: String,
    pub last_body: Option<String>,
    pub unread: i64,
    pub marked_unread: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueList {
    pub dialogues: Vec<DialogueSummary>,
    pub totals: Totals,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Totals {
    pub count: i64,
    pub missed: i64,
    pub rated: i64,
    pub average_rating: Option<f64>,
}

fn day_bounds(
    from: Option<&str>,
    to: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, String), AppError> {
    let parse = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::bad("invalid_field", "dates are YYYY-MM-DD"))
    };
    let to = match to {
        Some(t) => parse(t)?,
        None => now.date_naive(),
    };
    let from = match from {
        Some(f) => parse(f)?,
        None => to - chrono::Duration::days(7),
    };
    let start = format!("{from}T00:00:00.000Z");
    let end = format!("{}T00:00:00.000Z", to + chrono::Duration::days(1));
    Ok((start, end))
}

fn list(
    c: &Connection,
    me: i64,
    view: View,
    others: bool,
    range: &(String, String),
) -> Result<DialogueList, ChatError> {
    let condition = match view {
        View::Mine => "d.kind = 'guest' AND d.state != 'ended' AND (d.assignee_id = p.me OR dm.active = 1)",
        View::Others => "d.kind = 'guest' AND d.state = 'assigned' AND d.assignee_id != p.me AND COALESCE(dm.active, 0) = 0 AND p.others",
        View::Unassigned => "d.kind = 'guest' AND d.state IN ('new', 'unassigned')",
        View::Missed => "d.kind = 'guest' AND d.state = 'ended' AND d.missed = 1 AND d.ended_at >= p.start AND d.ended_at < p.stop",
        View::History => "d.kind = 'guest' AND d.state = 'ended' AND d.ended_at >= p.start AND d.ended_at < p.stop \
             AND (p.others OR d.assignee_id = p.me OR dm.user_id IS NOT NULL OR d.assignee_id IS NULL)",
        View::Direct => "d.kind = 'direct' AND dm.active = 1",
    };
    let sql = format!(
        "WITH p (me, others, start, stop) AS (SELECT ?1, ?2, ?3, ?4) \
         SELECT d.id, d.kind, d.visitor_id, d.state, d.assignee_id, d.channel, d.last_seq, \
         d.created_at, d.last_activity_at, d.waiting_since, d.first_response_at, d.ended_at, \
         d.missed, d.rating, d.guest_read_seq, \
         CASE WHEN v.name = '' THEN v.nickname ELSE v.name END, u.name, \
         (SELECT m.body FROM messages m WHERE m.dialogue_id = d.id AND m.private = 0 \
            AND m.author_kind != 'system' ORDER BY m.seq DESC LIMIT 1), \
         COALESCE(dm.read_seq, 0), COALESCE(dm.marked_unread, 0), \
         (SELECT group_concat(CASE WHEN x.nickname = '' THEN x.name ELSE x.nickname END, ', ') \
            FROM dialogue_members o JOIN users x ON x.id = o.user_id \
            WHERE o.dialogue_id = d.id AND o.user_id != p.me) \
         FROM p, dialogues d LEFT JOIN visitors v ON v.id = d.visitor_id \
         LEFT JOIN users u ON u.id = d.assignee_id \
         LEFT JOIN dialogue_members dm ON dm.dialogue_id = d.id AND dm.user_id = p.me \
         WHERE {condition} ORDER BY d.last_activity_at DESC LIMIT 500"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![me, others, range.0, range.1], |r| {
        let dialogue = db::dialogue_from_row(r)?;
        let visitor_name: Option<String> = r.get(15)?;
        let others_names: Option<String> = r.get(20)?;
        let read_seq: i64 = r.get(18)?;
        Ok(DialogueSummary {
            title: visitor_name
                .clone()
                .or(others_names)
                .unwrap_or_else(|| "Direct".into()),
            unread: (dialogue.last_seq - read_seq).max(0),
            dialogue,
            visitor_name,
            assignee_name: r.get(16)?,
            last_body: r.get(17)?,
            marked_unread: r.get(19)?,
        })
    })?;
    let dialogues: Vec<DialogueSummary> = rows.collect::<Result<_, _>>()?;
    let rated: Vec<i64> = dialogues.iter().filter_map(|d| d.dialogue.rating).collect();
    let totals = Totals {
        count: dialogues.len() as i64,
        missed: dialogues.iter().filter(|d| d.dialogue.missed).count() as i64,
        rated: rated.len() as i64,
        average_rating: (!rated.is_empty())
            .then(|| rated.iter().sum::<i64>() as f64 / rated.len() as f64),
    };
    Ok(DialogueList { dialogues, totals })
}

/// A view of the Team Messenger: mine, others' (where allowed), unassigned, missed,
/// history (a date range, the last week by default, with totals) or direct messages.
#[utoipa::path(get, path = "/chat/dialogues", tag = "chat", security(("session" = [])), params(ListQuery),
    responses((status = 200, body = DialogueList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_dialogues(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<DialogueList>, AppError> {
    let others = sees_others(staff.member.role, &state.chat.settings());
    if q.view == View::Others && !others {
        return Err(AppError::Forbidden);
    }
    let range = day_bounds(q.from.as_deref(), q.to.as_deref(), state.clock.now())?;
    let me = staff.member.id;
    let view = q.view;
    Ok(ApiJson(
        state
            .store
            .read(move |c| list(c, me, view, others, &range))
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueDetail {
    pub dialogue: DialogueRow,
    pub visitor: Option<Visitor>,
    pub online: bool,
    /// Staff in the dialogue, by id and name.
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<serde_json::Value>,
    pub messages: Vec<Message>,
}

/// Loads a dialogue the member may see, with its audience.
async fn visible_dialogue(
    state: &AppState,
    staff: &Staff,
    id: i64,
) -> Result<(DialogueRow, Audience), AppError> {
    let (role, me) = (staff.member.role, staff.member.id);
    let see_others = state.chat.settings().agents_see_others;
    Ok(state
        .store
        .read(move |c| dialogue_for(c, role, me, id, see_others))
        .await?)
}

/// One dialogue: its state, the visitor card, the staff in it and its last 200 messages
/// (private notes included).
#[utoipa::path(get, path = "/chat/dialogues/{id}", tag = "chat", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DialogueDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_dialogue(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<ApiJson<DialogueDetail>, AppError> {
    let (dialogue, audience) = visible_dialogue(&state, &staff, id).await?;
    let visitor_id = dialogue.visitor_id;
    let (visitor, messages, members) = state
        .store
        .read(move |c| {
            let visitor = match visitor_id {
                Some(v) => Some(visitors::by_id(c, v)?),
                None => None,
            };
            let messages = db::messages_before(c, id, i64::MAX, true, PAGE)?;
            let mut members = Vec::new();
            for uid in &audience.members {
                if let Ok(m) = crate::team::db::member(c, *uid) {
                    members.push(
                        serde_json::json!({"id": m.id, "name": super::service::display_name(&m)}),
                    );
                }
            }
            Ok::<_, ChatError>((visitor, messages, members))
        })
        .await?;
    Ok(ApiJson(DialogueDetail {
        online: visitor_id.is_some_and(|v| state.chat.bus.is_online(v)),
        dialogue,
        visitor,
        members,
        messages,
    }))
}

/// Messages per page in the Team Messenger.
const PAGE: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
pub struct OlderQuery {
    /// The oldest sequence the client holds; the page ends just before it.
    before_seq: i64,
}

/// The page of messages before `before_seq` ("load older"), oldest first.
#[utoipa::path(get, path = "/chat/dialogues/{id}/messages", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path), OlderQuery),
    responses((status = 200, body = Vec<Message>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn older_messages(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<OlderQuery>,
) -> Result<ApiJson<Vec<Message>>, AppError> {
    visible_dialogue(&state, &staff, id).await?;
    let before = q.before_seq;
    Ok(ApiJson(
        state
            .store
            .read(move |c| db::messages_before(c, id, before, true, PAGE))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessageBody {
    pub client_id: Option<String>,
    pub body: String,
    #[serde(default)]
    pub private: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ack {
    pub message: Message,
    pub duplicate: bool,
}

/// Reply (members of the dialogue) or add a private note (anyone who sees it). Answered
/// after the commit; a resent `client_id` returns the stored message.
#[utoipa::path(post, path = "/chat/dialogues/{id}/messages", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = NewMessageBody,
    responses((status = 201, body = Ack), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn post_message(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewMessageBody>,
) -> Result<(StatusCode, ApiJson<Ack>), AppError> {
    let client_id = super::clean_client_id(req.client_id.as_deref())?;
    let p = state
        .chat
        .staff_post(&staff.member, id, client_id, &req.body, req.private, None)
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Ack {
            message: p.message,
            duplicate: p.duplicate,
        }),
    ))
}

/// The file name an upload declares (percent-encoded UTF-8 in `x-file-name`).
pub fn upload_name(headers: &HeaderMap) -> String {
    let raw = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("file");
    percent_decode(raw)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Send a file in the dialogue (the raw file is the body; its name in `x-file-name`, an
/// optional client id in `x-client-id`). Types are checked on content.
#[utoipa::path(post, path = "/chat/dialogues/{id}/attachments", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Ack), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn post_attachment(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<Ack>), AppError> {
    let client_id =
        super::clean_client_id(headers.get("x-client-id").and_then(|v| v.to_str().ok()))?;
    let name = upload_name(&headers);
    let p = attachments::post_with_file(
        &state.config.data_dir,
        state.config.chat.max_attachment_bytes,
        &body,
        &name,
        |body, file| async move {
            let chat = &state.chat;
            chat.staff_post(&staff.member, id, client_id, &body, false, Some(file))
                .await
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Ack {
            message: p.message,
            duplicate: p.duplicate,
        }),
    ))
}

/// A file from a dialogue the member may see.
#[utoipa::path(get, path = "/chat/attachments/{id}", tag = "chat", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The file"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_attachment(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let a = state
        .store
        .read(move |c| attachments::lookup(c, id))
        .await?;
    visible_dialogue(&state, &staff, a.dialogue_id).await?;
    attachments::serve(&state.config.data_dir, &a).await
}

macro_rules! action {
    ($name:ident, $path:literal, $doc:literal, $call:ident) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "chat", security(("session" = [])), params(("id" = i64, Path)),
            responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
        async fn $name(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<StatusCode, AppError> {
            state.chat.$call(&staff.member, id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

action!(
    join,
    "/chat/dialogues/{id}/join",
    "Join the dialogue; an unassigned one becomes yours.",
    join
);
action!(
    leave,
    "/chat/dialogues/{id}/leave",
    "Leave the dialogue; if it was yours it goes back to the others.",
    leave
);
action!(
    end,
    "/chat/dialogues/{id}/end",
    "End the dialogue; the guest is asked for a rating.",
    end
);
action!(
    mark_unread,
    "/chat/dialogues/{id}/unread",
    "Mark the dialogue unread for yourself.",
    mark_unread
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Colleague {
    pub user_id: i64,
}

/// Give the dialogue to a colleague.
#[utoipa::path(post, path = "/chat/dialogues/{id}/assign", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = Colleague,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Colleague>,
) -> Result<StatusCode, AppError> {
    state.chat.assign(&staff.member, id, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a colleague into the dialogue alongside you.
#[utoipa::path(post, path = "/chat/dialogues/{id}/invite", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = Colleague,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Colleague>,
) -> Result<StatusCode, AppError> {
    state.chat.invite(&staff.member, id, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Edit the visitor card (name, contacts, notes, tags).
#[utoipa::path(patch, path = "/chat/visitors/{id}", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = CardEdit,
    responses((status = 200, body = Visitor), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn edit_visitor(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    ApiJson(edit): ApiJson<CardEdit>,
) -> Result<ApiJson<Visitor>, AppError> {
    Ok(ApiJson(
        state
            .store
            .write(move |c| visitors::edit_card(c, id, &edit))
            .await?,
    ))
}

/// People with the widget (or the Online Reception) open right now, and their pages.
#[utoipa::path(get, path = "/chat/visitors/online", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<OnlineVisitor>), (status = 401, body = ErrorBody)))]
async fn online_visitors(
    State(state): State<AppState>,
    _staff: Staff,
) -> ApiJson<Vec<OnlineVisitor>> {
    ApiJson(state.chat.bus.online_visitors())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Block {
    pub ip: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub created_at: String,
}

/// Blocked client addresses.
#[utoipa::path(get, path = "/chat/blocks", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<Block>), (status = 401, body = ErrorBody)))]
async fn list_blocks(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Block>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT ip, reason, created_at FROM blocked_addresses ORDER BY created_at DESC",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(Block {
                        ip: r.get(0)?,
                        reason: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                })?;
                Ok::<_, ChatError>(rows.collect::<Result<_, _>>()?)
            })
            .await?,
    ))
}

/// Block a visitor's address: their widget is refused politely from then on.
#[utoipa::path(post, path = "/chat/blocks", tag = "chat", security(("session" = [])), request_body = Block,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn block_address(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(req): ApiJson<Block>,
) -> Result<StatusCode, AppError> {
    let ip: std::net::IpAddr = req
        .ip
        .trim()
        .parse()
        .map_err(|_| AppError::bad("invalid_field", "ip: not an address"))?;
    let reason: String = req
        .reason
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let (by, now) = (staff.member.id, state.clock.now_text());
    state.store.write(move |c| {
        c.execute("INSERT OR REPLACE INTO blocked_addresses (ip, reason, blocked_by, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![ip.to_string(), reason, by, now])?;
        Ok::<_, ChatError>(())
    }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a block.
#[utoipa::path(delete, path = "/chat/blocks/{ip}", tag = "chat", security(("session" = [])), params(("ip" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unblock_address(
    State(state): State<AppState>,
    _staff: Staff,
    Path(ip): Path<String>,
) -> Result<StatusCode, AppError> {
    let n = state
        .store
        .write(move |c| {
            Ok::<_, ChatError>(c.execute("DELETE FROM blocked_addresses WHERE ip = ?1", [ip])?)
        })
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Shortcut {
    #[serde(default)]
    pub id: i64,
    /// Typed after `/`, e.g. "wifi".
    pub code: String,
    pub body: String,
}

/// Canned answers, inserted in the Team Messenger by typing `/code`.
#[utoipa::path(get, path = "/chat/shortcuts", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<Shortcut>), (status = 401, body = ErrorBody)))]
async fn list_shortcuts(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Shortcut>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| {
                let mut stmt = c.prepare("SELECT id, code, body FROM shortcuts ORDER BY code")?;
                let rows = stmt.query_map([], |r| {
                    Ok(Shortcut {
                        id: r.get(0)?,
                        code: r.get(1)?,
                        body: r.get(2)?,
                    })
                })?;
                Ok::<_, ChatError>(rows.collect::<Result<_, _>>()?)
            })
            .await?,
    ))
}

/// Add a shortcut (chat administrators and admins).
#[utoipa::path(post, path = "/chat/shortcuts", tag = "chat", security(("session" = ["chat_admin"])), request_body = Shortcut,
    responses((status = 201, body = Shortcut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_shortcut(
    State(state): State<AppState>,
    _admin: ChatAdmin,
    ApiJson(req): ApiJson<Shortcut>,
) -> Result<(StatusCode, ApiJson<Shortcut>), AppError> {
    let code = req.code.trim().trim_start_matches('/').to_lowercase();
    if code.is_empty()
        || code.len() > 30
        || !code
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::bad(
            "invalid_field",
            "code: 1 to 30 letters, digits, - or _",
        ));
    }
    let body = super::clean_body(&req.body)?;
    let now = state.clock.now_text();
    let (c2, b2) = (code.clone(), body.clone());
    let id = state
        .store
        .write(move |c| {
            match c.execute(
                "INSERT INTO shortcuts (code, body, created_at) VALUES (?1, ?2, ?3)",
                params![c2, b2, now],
            ) {
                Ok(_) => Ok(c.last_insert_rowid()),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Err(ChatError::Conflict("a shortcut with this code exists"))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(Shortcut { id, code, body })))
}

/// Remove a shortcut (chat administrators and admins).
#[utoipa::path(delete, path = "/chat/shortcuts/{id}", tag = "chat", security(("session" = ["chat_admin"])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_shortcut(
    State(state): State<AppState>,
    _admin: ChatAdmin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let n = state
        .store
        .write(move |c| Ok::<_, ChatError>(c.execute("DELETE FROM shortcuts WHERE id = ?1", [id])?))
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectDialogue {
    pub dialogue_id: i64,
}

/// The direct dialogue with a colleague (made on first use).
#[utoipa::path(post, path = "/chat/direct", tag = "chat", security(("session" = [])), request_body = Colleague,
    responses((status = 200, body = DirectDialogue), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn open_direct(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(req): ApiJson<Colleague>,
) -> Result<ApiJson<DirectDialogue>, AppError> {
    let dialogue_id = state.chat.direct(&staff.member, req.user_id).await?;
    Ok(ApiJson(DirectDialogue { dialogue_id }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Snippet {
    pub widget_key: String,
    /// The `<script>` tag to paste into the hotel's website.
    pub script: String,
}

/// The widget's key and the script tag to embed it.
#[utoipa::path(get, path = "/chat/widget", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Snippet), (status = 401, body = ErrorBody)))]
async fn widget_snippet(
    State(state): State<AppState>,
    _staff: Staff,
    headers: HeaderMap,
) -> ApiJson<Snippet> {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("hub.local");
    let key = state.chat.widget_key();
    ApiJson(Snippet {
        script: format!("<script src=\"//{host}/widget.js\" data-key=\"{key}\" async></script>"),
        widget_key: key,
    })
}

/// The chat settings (widget design, distribution, timers, consent, identification,
/// automation, rating, CRM webhook).
#[utoipa::path(get, path = "/chat/settings", tag = "chat", security(("session" = ["admin"])),
    responses((status = 200, body = ChatSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_settings(State(state): State<AppState>) -> ApiJson<ChatSettings> {
    ApiJson((*state.chat.settings()).clone())
}

/// Replace the chat settings; open widgets pick up the design at their next connect.
#[utoipa::path(put, path = "/chat/settings", tag = "chat", security(("session" = ["admin"])), request_body = ChatSettings,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiJson(new): ApiJson<ChatSettings>,
) -> Result<StatusCode, AppError> {
    state.chat.save_settings(new).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMate {
    pub id: i64,
    pub name: String,
    pub nickname: String,
    pub role: Role,
    pub status: crate::team::Availability,
}

/// The team as the Team Messenger needs it (to assign, invite and message): names,
/// roles and availability, no addresses.
#[utoipa::path(get, path = "/chat/colleagues", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<TeamMate>), (status = 401, body = ErrorBody)))]
async fn colleagues(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<ApiJson<Vec<TeamMate>>, AppError> {
    let members = state.store.read(crate::team::db::members).await?;
    Ok(ApiJson(
        members
            .into_iter()
            .map(|m| TeamMate {
                id: m.id,
                name: m.name,
                nickname: m.nickname,
                role: m.role,
                status: m.status,
            })
            .collect(),
    ))
}
