//! Viber REST bot API (developers.viber.com/docs/api/rest-bot-api): the callback's
//! `X-Viber-Content-Signature` (hex HMAC-SHA256 of the raw body under the auth token, no
//! prefix), `message` and `conversation_started` callbacks read into a guest's message,
//! `send_message`, `get_account_info` and `set_webhook`. Every call is
//! `POST <api>/pa/<method>` with `X-Viber-Auth-Token`, answered by `{"status": 0, …}`.

use serde::Deserialize;
use serde_json::json;

use super::platform::{
    hmac_sha256_matches, BotInfo, Credentials, DecodeError, FileRef, Inbound, Outgoing, SendError,
};

pub(super) const SIGNATURE_HEADER: &str = "x-viber-content-signature";

/// The callback came from Viber: its signature over the raw body is the auth token's.
pub(super) fn verified(headers: &axum::http::HeaderMap, body: &[u8], creds: &Credentials) -> bool {
    headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sig| hmac_sha256_matches(creds.token.as_bytes(), body, sig))
}

#[derive(Deserialize)]
struct Callback {
    event: String,
    #[serde(default)]
    message_token: serde_json::Value,
    #[serde(default)]
    sender: Option<User>,
    #[serde(default)]
    user: Option<User>,
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    context: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    language: String,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    media: Option<String>,
}

/// A callback: a guest's `message`, or `conversation_started` (the guest opened the chat,
/// with a deep link's `context`). Receipts, subscriptions and the webhook check are nothing
/// to the hub.
pub(super) fn read(body: &[u8]) -> Result<Vec<Inbound>, DecodeError> {
    let cb: Callback = serde_json::from_slice(body)?;
    let token = match &cb.message_token {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    match cb.event.as_str() {
        "message" => {
            let (Some(user), Some(m)) = (cb.sender, cb.message) else {
                return Err(DecodeError("a message without sender or message".into()));
            };
            let file = match m.kind.as_str() {
                "picture" | "file" | "video" => m.media.map(FileRef::Url),
                _ => None,
            };
            Ok(vec![Inbound {
                address: user.id,
                message_id: token,
                name: user.name,
                language: user.language,
                text: m.text,
                start: None,
                file,
            }])
        }
        "conversation_started" => {
            let Some(user) = cb.user else {
                return Err(DecodeError("conversation_started without a user".into()));
            };
            Ok(vec![Inbound {
                address: user.id,
                message_id: token,
                name: user.name,
                language: user.language,
                text: String::new(),
                start: Some(cb.context.unwrap_or_default()),
                file: None,
            }])
        }
        _ => Ok(Vec::new()),
    }
}

fn url(api: &str, method: &str) -> String {
    format!("{}/pa/{method}", api.trim_end_matches('/'))
}

/// Viber answers 200 with `status` ≠ 0 for its refusals; 12 is "too many requests"
/// (REST bot API, error codes).
async fn call(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    method: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, SendError> {
    let response = http
        .post(url(api, method))
        .header("X-Viber-Auth-Token", &creds.token)
        .json(&body)
        .send()
        .await
        .map_err(SendError::network)?;
    let status = response.status();
    let text = response.text().await.map_err(SendError::network)?;
    if !status.is_success() {
        return Err(SendError::from_status(status, &text, None));
    }
    let answer: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| SendError::Transient(e.to_string()))?;
    match answer["status"].as_i64() {
        Some(0) => Ok(answer),
        Some(12) => Err(SendError::RetryAfter(std::time::Duration::from_secs(1))),
        _ => Err(SendError::Refused(format!(
            "Viber: {}",
            answer["status_message"].as_str().unwrap_or("refused")
        ))),
    }
}

/// Sends a text, or a picture or file by its public URL (Viber fetches media itself).
pub(super) async fn send(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    sender_name: &str,
    receiver: &str,
    out: &Outgoing,
) -> Result<(), SendError> {
    // The sender's name is at most 28 characters (send_message).
    let sender: String = sender_name.chars().take(28).collect();
    let body = match &out.file {
        None => json!({
            "receiver": receiver, "min_api_version": 1, "sender": {"name": sender},
            "type": "text", "text": out.text,
        }),
        Some(file) => {
            let Some(media) = &file.public_url else {
                return Err(SendError::Refused(
                    "Viber takes files only from a public address".into(),
                ));
            };
            if file.content_type.starts_with("image/") {
                // A picture's description is at most 768 characters.
                let text: String = out.text.chars().take(768).collect();
                json!({
                    "receiver": receiver, "min_api_version": 1, "sender": {"name": sender},
                    "type": "picture", "text": text, "media": media,
                })
            } else {
                json!({
                    "receiver": receiver, "min_api_version": 1, "sender": {"name": sender},
                    "type": "file", "media": media, "size": file.bytes.len(),
                    "file_name": file.name,
                })
            }
        }
    };
    call(http, api, creds, "send_message", body).await?;
    Ok(())
}

/// `get_account_info`: the account's name and chat URI (for `viber://pa?chatURI=`).
pub(super) async fn me(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
) -> Result<BotInfo, SendError> {
    let a = call(http, api, creds, "get_account_info", json!({})).await?;
    Ok(BotInfo {
        name: a["name"].as_str().unwrap_or("Viber").to_owned(),
        link_name: a["uri"].as_str().unwrap_or_default().to_owned(),
    })
}

/// `set_webhook` for the callbacks the hub reads.
pub(super) async fn set_webhook(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    url: &str,
) -> Result<(), SendError> {
    call(
        http,
        api,
        creds,
        "set_webhook",
        json!({"url": url, "event_types": ["conversation_started", "failed"], "send_name": true}),
    )
    .await?;
    Ok(())
}

/// A deep link to the bot carrying `context` (`viber://pa?chatURI=<uri>&context=<ctx>`).
pub(super) fn deep_link(uri: &str, context: &str) -> String {
    if context.is_empty() {
        format!("viber://pa?chatURI={uri}")
    } else {
        format!("viber://pa?chatURI={uri}&context={context}")
    }
}
