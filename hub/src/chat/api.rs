//! The Team Messenger's REST routes (CHAT-6, -7, -8, -13, -18, -21): dialogue lists per
//! view, one dialogue with its visitor card and messages, the agent actions, attachments,
//! the visitor card, blocked addresses, shortcuts and direct dialogues. Live traffic goes
//! over `/ws/team`; every action here also reaches the sockets through the bus.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::attachments::{self, Stored};
use super::bus::OnlineVisitor;
use super::inbox::{Block, DialogueDetail, DialogueList, Shortcut, TeamMate, View};
use super::settings::ChatSettings;
use super::visitors::{CardEdit, Visitor};
use super::{Chat, ChatError, Message};
use crate::team::{ChatAdmin, Staff};
use crate::web::{ApiJson, AppError, ErrorBody, ServedOverTls};

impl From<ChatError> for AppError {
    fn from(e: ChatError) -> AppError {
        use attachments::FileRefused;
        match e {
            ChatError::Store(e) => e.into(),
            ChatError::NoSuchDialogue | ChatError::NotFound => AppError::NotFound,
            ChatError::Invalid(m) => AppError::bad("invalid_field", m),
            ChatError::NotAllowed(_) => AppError::Forbidden,
            ChatError::Conflict(why) => AppError::Conflict(why.to_owned()),
            ChatError::Refused(why) => AppError::Conflict(why),
            ChatError::ConsentRequired => AppError::bad("consent_required", e.to_string()),
            ChatError::File(FileRefused::TooLarge) => AppError::PayloadTooLarge,
            ChatError::File(FileRefused::Empty) => AppError::bad("invalid_file", e.to_string()),
            ChatError::File(FileRefused::Type) => {
                AppError::bad("unsupported_file_type", e.to_string())
            }
            ChatError::Disk(why) | ChatError::Team(why) | ChatError::Mail(why) => {
                AppError::Internal(why)
            }
        }
    }
}

/// A stored file as a download the browser will not run: images inline, the rest as a file.
pub(super) fn file_response(a: &Stored, bytes: Vec<u8>) -> Response {
    let disposition = if a.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let name: String = a
        .file_name
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect();
    (
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{name}\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// Schemas the query parameters name (parameters do not register theirs).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(View)))]
struct Parameters;

pub fn routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::with_openapi(<Parameters as utoipa::OpenApi>::openapi())
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
pub fn upload_routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::new().routes(routes!(post_attachment))
}

pub fn admin_routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

/// Pages outside `/api/v1`.
pub fn page_routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::new().routes(routes!(widget_try_page))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    view: View,
    /// History from this day (YYYY-MM-DD, inclusive); a week ago by default.
    from: Option<String>,
    /// History up to this day (inclusive); today by default.
    to: Option<String>,
}

/// A view of the Team Messenger: mine, others' (where allowed), unassigned, missed,
/// history (a date range, the last week by default, with totals) or direct messages.
#[utoipa::path(get, path = "/chat/dialogues", tag = "chat", security(("session" = [])), params(ListQuery),
    responses((status = 200, body = DialogueList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_dialogues(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<DialogueList>, AppError> {
    let list = chat
        .dialogues(&staff.member, q.view, q.from.as_deref(), q.to.as_deref())
        .await?;
    Ok(ApiJson(list))
}

/// One dialogue: its state, the visitor card, the staff in it and its last 200 messages
/// (private notes included).
#[utoipa::path(get, path = "/chat/dialogues/{id}", tag = "chat", security(("session" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DialogueDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_dialogue(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<ApiJson<DialogueDetail>, AppError> {
    Ok(ApiJson(chat.dialogue_detail(&staff.member, id).await?))
}

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
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<OlderQuery>,
) -> Result<ApiJson<Vec<Message>>, AppError> {
    Ok(ApiJson(
        chat.older_messages(&staff.member, id, q.before_seq).await?,
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
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewMessageBody>,
) -> Result<(StatusCode, ApiJson<Ack>), AppError> {
    let client_id = super::clean_client_id(req.client_id.as_deref())?;
    let p = chat
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
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<Ack>), AppError> {
    let client_id =
        super::clean_client_id(headers.get("x-client-id").and_then(|v| v.to_str().ok()))?;
    let name = upload_name(&headers);
    let poster = chat.clone();
    let p = chat
        .post_file(&body, &name, |body, file| async move {
            poster
                .staff_post(&staff.member, id, client_id, &body, false, Some(file))
                .await
        })
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
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let a = chat.attachment_for_staff(&staff.member, id).await?;
    let bytes = chat.attachment_bytes(&a).await?;
    Ok(file_response(&a, bytes))
}

macro_rules! action {
    ($name:ident, $path:literal, $doc:literal, $call:ident) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "chat", security(("session" = [])), params(("id" = i64, Path)),
            responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
        async fn $name(State(chat): State<Arc<Chat>>, staff: Staff, Path(id): Path<i64>) -> Result<StatusCode, AppError> {
            chat.$call(&staff.member, id).await?;
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
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Colleague>,
) -> Result<StatusCode, AppError> {
    chat.assign(&staff.member, id, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a colleague into the dialogue alongside you.
#[utoipa::path(post, path = "/chat/dialogues/{id}/invite", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = Colleague,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn invite(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Colleague>,
) -> Result<StatusCode, AppError> {
    chat.invite(&staff.member, id, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Edit the visitor card (name, contacts, notes, tags).
#[utoipa::path(patch, path = "/chat/visitors/{id}", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)), request_body = CardEdit,
    responses((status = 200, body = Visitor), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn edit_visitor(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
    Path(id): Path<i64>,
    ApiJson(edit): ApiJson<CardEdit>,
) -> Result<ApiJson<Visitor>, AppError> {
    Ok(ApiJson(chat.edit_visitor(id, edit).await?))
}

/// People with the widget (or the Online Reception) open right now, and their pages.
#[utoipa::path(get, path = "/chat/visitors/online", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<OnlineVisitor>), (status = 401, body = ErrorBody)))]
async fn online_visitors(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
) -> ApiJson<Vec<OnlineVisitor>> {
    ApiJson(chat.bus.online_visitors())
}

/// Blocked client addresses.
#[utoipa::path(get, path = "/chat/blocks", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<Block>), (status = 401, body = ErrorBody)))]
async fn list_blocks(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Block>>, AppError> {
    Ok(ApiJson(chat.blocks().await?))
}

/// Block a visitor's address: their widget is refused politely from then on.
#[utoipa::path(post, path = "/chat/blocks", tag = "chat", security(("session" = [])), request_body = Block,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn block_address(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    ApiJson(req): ApiJson<Block>,
) -> Result<StatusCode, AppError> {
    chat.block(&staff.member, &req.ip, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a block.
#[utoipa::path(delete, path = "/chat/blocks/{ip}", tag = "chat", security(("session" = [])), params(("ip" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unblock_address(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
    Path(ip): Path<String>,
) -> Result<StatusCode, AppError> {
    chat.unblock(ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Canned answers, inserted in the Team Messenger by typing `/code`.
#[utoipa::path(get, path = "/chat/shortcuts", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<Shortcut>), (status = 401, body = ErrorBody)))]
async fn list_shortcuts(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Shortcut>>, AppError> {
    Ok(ApiJson(chat.shortcuts().await?))
}

/// Add a shortcut (chat administrators and admins).
#[utoipa::path(post, path = "/chat/shortcuts", tag = "chat", security(("session" = ["chat_admin"])), request_body = Shortcut,
    responses((status = 201, body = Shortcut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_shortcut(
    State(chat): State<Arc<Chat>>,
    _admin: ChatAdmin,
    ApiJson(req): ApiJson<Shortcut>,
) -> Result<(StatusCode, ApiJson<Shortcut>), AppError> {
    let shortcut = chat.create_shortcut(&req.code, &req.body).await?;
    Ok((StatusCode::CREATED, ApiJson(shortcut)))
}

/// Remove a shortcut (chat administrators and admins).
#[utoipa::path(delete, path = "/chat/shortcuts/{id}", tag = "chat", security(("session" = ["chat_admin"])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_shortcut(
    State(chat): State<Arc<Chat>>,
    _admin: ChatAdmin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    chat.delete_shortcut(id).await?;
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
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    ApiJson(req): ApiJson<Colleague>,
) -> Result<ApiJson<DirectDialogue>, AppError> {
    let dialogue_id = chat.direct(&staff.member, req.user_id).await?;
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
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
    Extension(ServedOverTls(tls)): Extension<ServedOverTls>,
    headers: HeaderMap,
) -> ApiJson<Snippet> {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("hub.local");
    // The address this admin app is on, scheme included: a protocol-relative tag on an
    // https site would ask for https on the hub's plain-HTTP port.
    let scheme = if tls { "https" } else { "http" };
    let key = chat.widget_key();
    ApiJson(Snippet {
        script: format!(
            "<script src=\"{scheme}://{host}/widget.js\" data-key=\"{key}\" async></script>"
        ),
        widget_key: key,
    })
}

/// The chat settings (widget design, distribution, timers, consent, identification,
/// automation, rating, CRM webhook).
#[utoipa::path(get, path = "/chat/settings", tag = "chat", security(("session" = ["admin"])),
    responses((status = 200, body = ChatSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_settings(State(chat): State<Arc<Chat>>) -> ApiJson<ChatSettings> {
    ApiJson((*chat.settings()).clone())
}

/// Replace the chat settings; open widgets pick up the design at their next connect.
#[utoipa::path(put, path = "/chat/settings", tag = "chat", security(("session" = ["admin"])), request_body = ChatSettings,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_settings(
    State(chat): State<Arc<Chat>>,
    ApiJson(new): ApiJson<ChatSettings>,
) -> Result<StatusCode, AppError> {
    chat.save_settings(new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The team as the Team Messenger needs it (to assign, invite and message): names,
/// roles and availability, no addresses.
#[utoipa::path(get, path = "/chat/colleagues", tag = "chat", security(("session" = [])),
    responses((status = 200, body = Vec<TeamMate>), (status = 401, body = ErrorBody)))]
async fn colleagues(
    State(chat): State<Arc<Chat>>,
    _staff: Staff,
) -> Result<ApiJson<Vec<TeamMate>>, AppError> {
    Ok(ApiJson(chat.colleagues().await?))
}

/// A page with the chat widget on it, to try the guest side (the key is public: it is in
/// every website's script tag anyway).
#[utoipa::path(get, path = "/widget/try", tag = "pages", responses((status = 200, description = "A page with the widget")))]
async fn widget_try_page(State(chat): State<Arc<Chat>>) -> axum::response::Html<String> {
    let key = chat.widget_key();
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Try the chat</title><link rel=\"stylesheet\" href=\"/common/base.css\"></head>\
         <body><main class=\"narrow\"><div class=\"card\"><h1>Your website</h1>\
         <p>This page stands in for the hotel's own website. The chat button in the corner is the \
         widget, exactly as guests see it; answer in the <a href=\"/messenger/\">Team Messenger</a>.</p>\
         <p>Try the API: <button data-call=\"openChat\">openChat()</button> \
         <button data-call=\"openChannelsPanel\">openChannelsPanel()</button></p>\
         </div></main><script src=\"/widget/try.js\" defer></script>\
         <script src=\"/widget.js\" data-key=\"{key}\" async></script></body></html>"
    ))
}
