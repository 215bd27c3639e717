//! The stand-ins' routes: Telegram's Bot API methods and file downloads, Viber's REST bot
//! API, and Meta's Graph API for WhatsApp and Messenger, each checking the credentials and
//! bodies the platform documents and keeping what it took.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::*;

fn telegram_answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn telegram_error(code: u16, description: &str, retry_after: Option<u64>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(r) = retry_after {
        body["parameters"] = json!({ "retry_after": r });
    }
    telegram_answer(
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

/// The fields of a JSON or multipart request, and its one file.
async fn fields(
    headers: &HeaderMap,
    body: Bytes,
) -> (HashMap<String, String>, Option<(String, Vec<u8>)>) {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut out = HashMap::new();
    if !content_type.starts_with("multipart/form-data") {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) {
            for (k, v) in map {
                out.insert(k, v.as_str().map(str::to_owned).unwrap_or(v.to_string()));
            }
        }
        return (out, None);
    }
    let mut file = None;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let boundary = multer_boundary(&content_type);
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let Ok(bytes) = field.bytes().await else {
            break;
        };
        if is_file {
            file = Some((name, bytes.to_vec()));
        } else {
            out.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    (out, file)
}

fn multer_boundary(content_type: &str) -> String {
    content_type
        .split("boundary=")
        .nth(1)
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned()
}

pub(super) async fn telegram(
    State(s): State<Shared>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if bot.strip_prefix("bot") != Some(TELEGRAM_TOKEN) {
        return telegram_error(401, "Unauthorized", None);
    }
    let (f, file) = fields(&headers, body).await;
    match method.as_str() {
        "getMe" => telegram_answer(
            StatusCode::OK,
            json!({"ok": true, "result": {"id": 7001234567u64, "is_bot": true,
                "first_name": "Aurora Hotel", "username": TELEGRAM_BOT}}),
        ),
        "setWebhook" => {
            let (Some(url), Some(secret)) = (f.get("url"), f.get("secret_token")) else {
                return telegram_error(400, "Bad Request: url and secret_token expected", None);
            };
            let ok = (1..=256).contains(&secret.len())
                && secret
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return telegram_error(
                    400,
                    "Bad Request: secret token contains unallowed characters",
                    None,
                );
            }
            s.lock().telegram_webhook = Some((url.clone(), secret.clone()));
            telegram_answer(
                StatusCode::OK,
                json!({"ok": true, "result": true, "description": "Webhook was set"}),
            )
        }
        "getFile" => {
            let id = f.get("file_id").cloned().unwrap_or_default();
            if !s.lock().files.contains_key(&id) {
                return telegram_error(400, "Bad Request: invalid file_id", None);
            }
            telegram_answer(
                StatusCode::OK,
                json!({"ok": true, "result": {"file_id": id, "file_path": format!("photos/{id}.jpg")}}),
            )
        }
        "sendMessage" | "sendPhoto" | "sendDocument" => {
            let chat = f.get("chat_id").cloned().unwrap_or_default();
            let now = Instant::now();
            let mut inner = s.lock();
            let planned = inner.planned_429.pop_front();
            // Telegram: no more than one message a second in one chat (bots FAQ).
            let flooded = inner
                .last_accepted
                .get(&chat)
                .is_some_and(|t| now.duration_since(*t) < Duration::from_millis(950));
            let refusal = planned.or(flooded.then_some(1));
            let status = if refusal.is_some() { 429 } else { 200 };
            inner.telegram_calls.push((now, chat.clone(), status));
            if let Some(retry_after) = refusal {
                return telegram_error(
                    429,
                    &format!("Too Many Requests: retry after {retry_after}"),
                    Some(retry_after),
                );
            }
            let (kind, text) = match method.as_str() {
                "sendMessage" => ("text", f.get("text").cloned().unwrap_or_default()),
                "sendPhoto" => ("photo", f.get("caption").cloned().unwrap_or_default()),
                _ => ("document", f.get("caption").cloned().unwrap_or_default()),
            };
            if kind != "text"
                && file.as_ref().map(|(n, _)| n.as_str())
                    != Some(if kind == "photo" { "photo" } else { "document" })
            {
                return telegram_error(400, "Bad Request: there is no file in the request", None);
            }
            inner.last_accepted.insert(chat.clone(), now);
            inner.sent.push(Sent {
                platform: "telegram",
                to: chat,
                kind: kind.into(),
                text,
                file: file.map(|(_, b)| b),
                at: now,
            });
            let id = inner.sent.len();
            telegram_answer(
                StatusCode::OK,
                json!({"ok": true, "result": {"message_id": id}}),
            )
        }
        _ => telegram_error(404, "Not Found: method not found", None),
    }
}

pub(super) async fn telegram_file(
    State(s): State<Shared>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    if bot.strip_prefix("bot") != Some(TELEGRAM_TOKEN) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = path
        .trim_start_matches("photos/")
        .trim_end_matches(".jpg")
        .to_owned();
    match s.lock().files.get(&id) {
        Some(bytes) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(super) async fn viber(
    State(s): State<Shared>,
    Path(method): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    if headers
        .get("x-viber-auth-token")
        .and_then(|v| v.to_str().ok())
        != Some(VIBER_TOKEN)
    {
        return Json(json!({"status": 2, "status_message": "invalidAuthToken"}));
    }
    match method.as_str() {
        "get_account_info" => Json(json!({"status": 0, "status_message": "ok",
            "id": "pa:75346594275468546724", "name": "Aurora Hotel", "uri": VIBER_URI})),
        "set_webhook" => {
            let url = body["url"].as_str().unwrap_or_default().to_owned();
            // Viber checks the URL with a signed "webhook" callback before it answers.
            let check = json!({"event": "webhook", "timestamp": 1457764197627u64,
                "chat_hostname": "SN-376_", "message_token": 241256543215u64});
            let raw = check.to_string();
            let answered = s
                .client_for(&url)
                .post(&url)
                .header(
                    "X-Viber-Content-Signature",
                    hmac_hex(VIBER_TOKEN, raw.as_bytes()),
                )
                .body(raw)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if !answered {
                return Json(json!({"status": 1, "status_message": "invalidUrl"}));
            }
            s.lock().viber_webhook = Some(url);
            Json(json!({"status": 0, "status_message": "ok", "event_types": body["event_types"]}))
        }
        "send_message" => {
            let kind = body["type"].as_str().unwrap_or_default().to_owned();
            let mut file = None;
            if let Some(media) = body["media"].as_str() {
                // Viber fetches a picture or file from its URL itself.
                let fetched = s.client_for(media).get(media).send().await;
                match fetched {
                    Ok(r) if r.status().is_success() => {
                        file = r.bytes().await.ok().map(|b| b.to_vec())
                    }
                    _ => {
                        return Json(
                            json!({"status": 3, "status_message": "badData: media unreachable"}),
                        )
                    }
                }
            }
            let sender_ok = body["sender"]["name"]
                .as_str()
                .is_some_and(|n| !n.is_empty() && n.chars().count() <= 28);
            if !sender_ok || body["receiver"].as_str().is_none() {
                return Json(json!({"status": 3, "status_message": "badData"}));
            }
            s.lock().sent.push(Sent {
                platform: "viber",
                to: body["receiver"].as_str().unwrap_or_default().into(),
                kind,
                text: body["text"].as_str().unwrap_or_default().into(),
                file,
                at: Instant::now(),
            });
            Json(
                json!({"status": 0, "status_message": "ok", "message_token": 5741311803571721087u64}),
            )
        }
        _ => Json(json!({"status": 3, "status_message": "badData: unknown method"})),
    }
}

/// The Graph API's credential: the bearer token, or `access_token` in the query.
fn graph_token(headers: &HeaderMap, query: &HashMap<String, String>) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| query.get("access_token").cloned())
        .unwrap_or_default()
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "OAuthException", "code": code}})),
    )
        .into_response()
}

fn owner_of(id: &str, token: &str) -> Option<&'static str> {
    match (id, token) {
        (WHATSAPP_PHONE_ID, WHATSAPP_TOKEN) => Some("whatsapp"),
        (PAGE_ID, PAGE_TOKEN) => Some("messenger"),
        _ => None,
    }
}

pub(super) async fn graph_get(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let token = graph_token(&headers, &q);
    if let Some(media) = id.strip_prefix("media-") {
        if token != WHATSAPP_TOKEN || !s.lock().files.contains_key(media) {
            return graph_error(StatusCode::BAD_REQUEST, 100, "Invalid media id");
        }
        let base = s.base.lock().unwrap_or_else(|p| p.into_inner()).clone();
        return Json(
            json!({"messaging_product": "whatsapp", "id": id, "mime_type": "image/jpeg",
            "url": format!("{base}/graph/download/{media}")}),
        )
        .into_response();
    }
    match owner_of(&id, &token) {
        Some("whatsapp") => Json(json!({"id": id, "display_phone_number": WHATSAPP_NUMBER,
            "verified_name": "Aurora Hotel"}))
        .into_response(),
        Some(_) => Json(json!({"id": id, "name": "Aurora Hotel"})).into_response(),
        None => graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token."),
    }
}

pub(super) async fn graph_download(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if graph_token(&headers, &HashMap::new()) != WHATSAPP_TOKEN {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match s.lock().files.get(&id) {
        Some(b) => b.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub(super) async fn graph_media(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if owner_of(&id, &graph_token(&headers, &HashMap::new())) != Some("whatsapp") {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.");
    }
    let (f, file) = fields(&headers, body).await;
    let Some((_, bytes)) =
        file.filter(|_| f.get("messaging_product").map(String::as_str) == Some("whatsapp"))
    else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "file and messaging_product expected",
        );
    };
    let media = format!("up{}", s.lock().files.len() + 1);
    s.lock().files.insert(media.clone(), bytes);
    Json(json!({ "id": format!("media-{media}") })).into_response()
}

pub(super) async fn graph_messages(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let platform = match owner_of(&id, &graph_token(&headers, &q)) {
        Some(p) => p,
        None => return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token."),
    };
    let (f, file) = fields(&headers, body).await;
    let json_of = |k: &str| {
        serde_json::from_str::<Value>(f.get(k).map(String::as_str).unwrap_or("null"))
            .unwrap_or(Value::Null)
    };
    let sent = if platform == "whatsapp" {
        if f.get("messaging_product").map(String::as_str) != Some("whatsapp") {
            return graph_error(
                StatusCode::BAD_REQUEST,
                100,
                "messaging_product is required",
            );
        }
        let kind = f.get("type").cloned().unwrap_or_default();
        let part = json_of(&kind);
        let (text, file) = match kind.as_str() {
            "text" => (part["body"].as_str().unwrap_or_default().to_owned(), None),
            _ => {
                let media = part["id"]
                    .as_str()
                    .and_then(|m| m.strip_prefix("media-"))
                    .unwrap_or_default();
                (
                    part["caption"].as_str().unwrap_or_default().to_owned(),
                    s.lock().files.get(media).cloned(),
                )
            }
        };
        Sent {
            platform,
            to: f.get("to").cloned().unwrap_or_default(),
            kind,
            text,
            file,
            at: Instant::now(),
        }
    } else {
        let recipient = json_of("recipient");
        let message = json_of("message");
        if f.get("messaging_type").map(String::as_str) != Some("RESPONSE") {
            return graph_error(
                StatusCode::BAD_REQUEST,
                100,
                "messaging_type RESPONSE expected",
            );
        }
        let kind = message["attachment"]["type"]
            .as_str()
            .unwrap_or("text")
            .to_owned();
        Sent {
            platform,
            to: recipient["id"].as_str().unwrap_or_default().to_owned(),
            kind,
            text: message["text"].as_str().unwrap_or_default().to_owned(),
            file: file.map(|(_, b)| b),
            at: Instant::now(),
        }
    };
    if sent.to.is_empty() {
        return graph_error(StatusCode::BAD_REQUEST, 100, "a recipient is required");
    }
    s.lock().sent.push(sent);
    Json(
        json!({"messaging_product": "whatsapp", "recipient_id": "x", "message_id": "m_1",
        "messages": [{"id": "wamid.HBgM"}]}),
    )
    .into_response()
}
