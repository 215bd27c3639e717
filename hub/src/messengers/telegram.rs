//! Telegram Bot API (core.telegram.org/bots/api): the webhook's secret-token header, an
//! `Update` read into a guest's message, `sendMessage`/`sendPhoto`/`sendDocument`, `getMe`,
//! `setWebhook` and `getFile`. Every call is `POST <api>/bot<token>/<method>` answered by
//! `{"ok": bool, "result": …, "error_code", "description", "parameters": {"retry_after"}}`.

use serde::Deserialize;
use serde_json::json;

use super::platform::{
    same_secret, BotInfo, Credentials, DecodeError, FileRef, Inbound, Outgoing, SendError,
};

/// The header Telegram puts the webhook's `secret_token` in (setWebhook).
pub(super) const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The webhook came from Telegram: its secret-token header is ours.
pub(super) fn verified(headers: &axum::http::HeaderMap, creds: &Credentials) -> bool {
    headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| same_secret(v, &creds.webhook_secret))
}

#[derive(Deserialize)]
struct Update {
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    chat: Chat,
    #[serde(default)]
    from: Option<User>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    photo: Vec<PhotoSize>,
    #[serde(default)]
    document: Option<Document>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(default, rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    language_code: String,
}

#[derive(Deserialize)]
struct PhotoSize {
    file_id: String,
    #[serde(default)]
    width: u32,
}

#[derive(Deserialize)]
struct Document {
    file_id: String,
}

/// A webhook body: one `Update`. Updates that carry no message from a private chat (an
/// edit, a group, a channel post) are nothing to the hub.
pub(super) fn read(body: &[u8]) -> Result<Vec<Inbound>, DecodeError> {
    let update: Update = serde_json::from_slice(body)?;
    let Some(m) = update.message else {
        return Ok(Vec::new());
    };
    if !m.chat.kind.is_empty() && m.chat.kind != "private" {
        return Ok(Vec::new());
    }
    let text = m.text.or(m.caption).unwrap_or_default();
    // `/start <payload>` is what a deep link t.me/<bot>?start=<payload> sends.
    let start = text
        .strip_prefix("/start")
        .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        .map(|rest| rest.trim().to_owned());
    // The largest size of a photo comes last; a document is sent as it is.
    let file = m
        .photo
        .iter()
        .max_by_key(|p| p.width)
        .map(|p| FileRef::Telegram(p.file_id.clone()))
        .or(m.document.map(|d| FileRef::Telegram(d.file_id)));
    let user = m.from.unwrap_or(User {
        first_name: String::new(),
        last_name: String::new(),
        language_code: String::new(),
    });
    Ok(vec![Inbound {
        address: m.chat.id.to_string(),
        message_id: m.message_id.to_string(),
        name: format!("{} {}", user.first_name, user.last_name)
            .trim()
            .to_owned(),
        language: user.language_code,
        text: if start.is_some() { String::new() } else { text },
        start,
        file,
    }])
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    result: serde_json::Value,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// Calls `method` and gives its `result`; a 429 (or `ok: false` with `retry_after`) is
/// [`SendError::RetryAfter`].
async fn call(request: reqwest::RequestBuilder) -> Result<serde_json::Value, SendError> {
    let response = request.send().await.map_err(SendError::network)?;
    let status = response.status();
    let text = response.text().await.map_err(SendError::network)?;
    let answer: Option<Answer> = serde_json::from_str(&text).ok();
    match answer {
        Some(a) if a.ok && status.is_success() => Ok(a.result),
        Some(a) => Err(SendError::from_status(
            status,
            &a.description,
            a.parameters.and_then(|p| p.retry_after),
        )),
        None => Err(SendError::from_status(status, &text, None)),
    }
}

fn method_url(api: &str, token: &str, method: &str) -> String {
    format!("{}/bot{token}/{method}", api.trim_end_matches('/'))
}

async fn call_json(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    method: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, SendError> {
    let request = http.post(method_url(api, token, method)).json(&body);
    call(request).await
}

/// Sends a text, or a file with the text as its caption (`sendPhoto` for images,
/// `sendDocument` for the rest, multipart as the Bot API takes uploads).
pub(super) async fn send(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    chat_id: &str,
    out: &Outgoing,
) -> Result<(), SendError> {
    let Some(file) = &out.file else {
        call_json(
            http,
            api,
            &creds.token,
            "sendMessage",
            json!({"chat_id": chat_id, "text": out.text}),
        )
        .await?;
        return Ok(());
    };
    let (method, field) = if file.content_type.starts_with("image/") {
        ("sendPhoto", "photo")
    } else {
        ("sendDocument", "document")
    };
    let part = reqwest::multipart::Part::bytes(file.bytes.clone())
        .file_name(file.name.clone())
        .mime_str(&file.content_type)
        .map_err(|e| SendError::Refused(e.to_string()))?;
    // A caption is at most 1024 characters (sendPhoto).
    let caption: String = out.text.chars().take(1024).collect();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", chat_id.to_owned())
        .text("caption", caption)
        .part(field, part);
    let request = http
        .post(method_url(api, &creds.token, method))
        .multipart(form);
    call(request).await?;
    Ok(())
}

/// `getMe`: the bot's name and username.
pub(super) async fn me(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
) -> Result<BotInfo, SendError> {
    let result = call_json(http, api, &creds.token, "getMe", json!({})).await?;
    let username = result["username"].as_str().unwrap_or_default().to_owned();
    if username.is_empty() {
        return Err(SendError::Refused("getMe gave no username".into()));
    }
    Ok(BotInfo {
        name: format!("@{username}"),
        link_name: username,
    })
}

/// `setWebhook` with our secret token, for messages only.
pub(super) async fn set_webhook(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    url: &str,
) -> Result<(), SendError> {
    call_json(
        http,
        api,
        &creds.token,
        "setWebhook",
        json!({
            "url": url,
            "secret_token": creds.webhook_secret,
            "allowed_updates": ["message"],
        }),
    )
    .await?;
    Ok(())
}

/// A file a guest sent: `getFile`, then `<api>/file/bot<token>/<file_path>`.
pub(super) async fn fetch(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    file: &FileRef,
    max_bytes: usize,
) -> Result<(Vec<u8>, String), SendError> {
    let FileRef::Telegram(file_id) = file else {
        return Err(SendError::Refused("not a Telegram file".into()));
    };
    let result = call_json(
        http,
        api,
        &creds.token,
        "getFile",
        json!({ "file_id": file_id }),
    )
    .await?;
    let path = result["file_path"]
        .as_str()
        .ok_or_else(|| SendError::Refused("getFile gave no file_path".into()))?;
    let url = format!(
        "{}/file/bot{}/{path}",
        api.trim_end_matches('/'),
        creds.token
    );
    let bytes = super::download(http.get(url), max_bytes).await?;
    let name = path.rsplit('/').next().unwrap_or("photo.jpg").to_owned();
    Ok((bytes, name))
}

/// A deep link that opens the bot with `payload` (`A-Za-z0-9_-`, at most 64 characters:
/// core.telegram.org/bots/features#deep-linking).
pub(super) fn deep_link(username: &str, payload: &str) -> String {
    if payload.is_empty() {
        format!("https://t.me/{username}")
    } else {
        format!("https://t.me/{username}?start={payload}")
    }
}
