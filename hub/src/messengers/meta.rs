//! Meta's two platforms on the Graph API: WhatsApp Cloud API and Messenger. Both verify a
//! webhook the same way (developers.facebook.com/docs/graph-api/webhooks/getting-started):
//! a GET with `hub.mode=subscribe`, `hub.verify_token` and `hub.challenge` echoed back, and
//! every POST signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.

use serde::Deserialize;
use serde_json::json;

use super::platform::{
    hmac_sha256_matches, same_secret, Credentials, DecodeError, FileRef, Inbound, Outgoing,
    SendError,
};

pub(super) const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The subscription check: the challenge to echo when the token is ours.
pub(super) fn challenge(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    creds: &Credentials,
) -> Option<String> {
    let ok = mode == Some("subscribe") && same_secret(token?, &creds.webhook_secret);
    ok.then(|| challenge.unwrap_or_default().chars().take(200).collect())
}

/// The POST came from Meta: `sha256=` and the app secret's HMAC of the raw body.
pub(super) fn verified(headers: &axum::http::HeaderMap, body: &[u8], creds: &Credentials) -> bool {
    headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256="))
        .is_some_and(|sig| hmac_sha256_matches(creds.app_secret.as_bytes(), body, sig))
}

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
    #[serde(default)]
    messaging: Vec<Messaging>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    value: WaValue,
}

#[derive(Deserialize, Default)]
struct WaValue {
    #[serde(default)]
    contacts: Vec<WaContact>,
    #[serde(default)]
    messages: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct WaContact {
    #[serde(default)]
    wa_id: String,
    #[serde(default)]
    profile: serde_json::Value,
}

/// A WhatsApp Cloud API notification: `entry[].changes[].value.messages[]` (statuses and
/// other fields are nothing to the hub). One message the hub cannot read is skipped and
/// logged; the rest of the batch stands.
pub(super) fn read_whatsapp(body: &[u8]) -> Result<Vec<Inbound>, DecodeError> {
    let n: Notification = serde_json::from_slice(body)?;
    let mut out = Vec::new();
    for change in n.entry.into_iter().flat_map(|e| e.changes) {
        let v = change.value;
        for m in &v.messages {
            let from = m["from"].as_str().unwrap_or_default();
            let id = m["id"].as_str().unwrap_or_default();
            if from.is_empty() || id.is_empty() {
                tracing::warn!("A WhatsApp message without a sender or id was skipped.");
                continue;
            }
            let name = v
                .contacts
                .iter()
                .find(|c| c.wa_id == from)
                .and_then(|c| c.profile["name"].as_str())
                .unwrap_or_default();
            let kind = m["type"].as_str().unwrap_or_default();
            let (text, file) = match kind {
                "text" => (m["text"]["body"].as_str().unwrap_or_default(), None),
                "image" | "document" | "video" | "audio" => (
                    m[kind]["caption"].as_str().unwrap_or_default(),
                    m[kind]["id"]
                        .as_str()
                        .map(|id| FileRef::WhatsappMedia(id.to_owned())),
                ),
                "button" => (m["button"]["text"].as_str().unwrap_or_default(), None),
                _ => {
                    tracing::info!(kind, "A WhatsApp message of a kind the hub does not read.");
                    continue;
                }
            };
            out.push(Inbound {
                address: from.to_owned(),
                message_id: id.to_owned(),
                name: name.to_owned(),
                language: String::new(),
                text: text.to_owned(),
                start: None,
                file,
            });
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Messaging {
    sender: Id,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    referral: Option<serde_json::Value>,
    #[serde(default)]
    postback: Option<serde_json::Value>,
    #[serde(default)]
    timestamp: serde_json::Value,
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

/// A Messenger notification: `entry[].messaging[]` with a `message` (echoes of the page's
/// own messages left out), a `referral` (an m.me link with `ref` opened in an existing
/// thread) or a `postback` carrying one (a new thread's Get Started).
pub(super) fn read_messenger(body: &[u8]) -> Result<Vec<Inbound>, DecodeError> {
    let n: Notification = serde_json::from_slice(body)?;
    let mut out = Vec::new();
    for e in n.entry.into_iter().flat_map(|e| e.messaging) {
        let reference = e
            .referral
            .as_ref()
            .or(e.postback.as_ref().map(|p| &p["referral"]))
            .and_then(|r| r["ref"].as_str())
            .map(str::to_owned);
        if let Some(m) = e.message {
            if m["is_echo"].as_bool() == Some(true) {
                continue;
            }
            let file = m["attachments"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|a| a["payload"]["url"].as_str())
                .map(|u| FileRef::Url(u.to_owned()));
            out.push(Inbound {
                address: e.sender.id,
                message_id: m["mid"].as_str().unwrap_or_default().to_owned(),
                text: m["text"].as_str().unwrap_or_default().to_owned(),
                start: reference,
                file,
                ..Inbound::default()
            });
        } else if let Some(r) = reference {
            out.push(Inbound {
                address: e.sender.id,
                message_id: format!("ref-{}", e.timestamp),
                start: Some(r),
                ..Inbound::default()
            });
        }
    }
    Ok(out)
}

/// A Graph error's answer: a 429, or one of the codes Meta documents as throttling (4, 17,
/// 32, 613, 80007, 130429, 131056), is a wait; with a `Retry-After` header when it gives one.
async fn graph(request: reqwest::RequestBuilder) -> Result<serde_json::Value, SendError> {
    let response = request.send().await.map_err(SendError::network)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let text = response.text().await.map_err(SendError::network)?;
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|e| SendError::Transient(e.to_string()));
    }
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let code = body["error"]["code"].as_i64().unwrap_or_default();
    if matches!(code, 4 | 17 | 32 | 613 | 80007 | 130429 | 131056) {
        return Err(SendError::RetryAfter(std::time::Duration::from_secs(
            retry_after.unwrap_or(60),
        )));
    }
    let message = body["error"]["message"].as_str().unwrap_or(&text);
    Err(SendError::from_status(status, message, retry_after))
}

/// Uploads a file to WhatsApp (`POST /<phone-number-id>/media`) and gives its media id.
async fn whatsapp_upload(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    file: &super::platform::OutFile,
) -> Result<String, SendError> {
    let part = reqwest::multipart::Part::bytes(file.bytes.clone())
        .file_name(file.name.clone())
        .mime_str(&file.content_type)
        .map_err(|e| SendError::Refused(e.to_string()))?;
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", file.content_type.clone())
        .part("file", part);
    let answer = graph(
        http.post(format!("{api}/{}/media", creds.account_id))
            .bearer_auth(&creds.token)
            .multipart(form),
    )
    .await?;
    answer["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| SendError::Transient("the media upload gave no id".into()))
}

/// Sends a WhatsApp text, or an uploaded image or document with the text as caption.
pub(super) async fn send_whatsapp(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    to: &str,
    out: &Outgoing,
) -> Result<(), SendError> {
    let api = api.trim_end_matches('/');
    let body = match &out.file {
        None => json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "text", "text": {"body": out.text},
        }),
        Some(file) => {
            let id = whatsapp_upload(http, api, creds, file).await?;
            if file.content_type.starts_with("image/") {
                json!({
                    "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                    "type": "image", "image": {"id": id, "caption": out.text},
                })
            } else {
                json!({
                    "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                    "type": "document",
                    "document": {"id": id, "caption": out.text, "filename": file.name},
                })
            }
        }
    };
    graph(
        http.post(format!("{api}/{}/messages", creds.account_id))
            .bearer_auth(&creds.token)
            .json(&body),
    )
    .await?;
    Ok(())
}

/// Sends a Messenger text (`messaging_type: RESPONSE`), or a file uploaded with the
/// message as `filedata` (Send API, attachment upload), its text sent after it.
pub(super) async fn send_messenger(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    psid: &str,
    out: &Outgoing,
) -> Result<(), SendError> {
    let url = format!(
        "{}/{}/messages",
        api.trim_end_matches('/'),
        creds.account_id
    );
    if let Some(file) = &out.file {
        let kind = if file.content_type.starts_with("image/") {
            "image"
        } else {
            "file"
        };
        let part = reqwest::multipart::Part::bytes(file.bytes.clone())
            .file_name(file.name.clone())
            .mime_str(&file.content_type)
            .map_err(|e| SendError::Refused(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .text("recipient", json!({ "id": psid }).to_string())
            .text("messaging_type", "RESPONSE")
            .text(
                "message",
                json!({"attachment": {"type": kind, "payload": {"is_reusable": false}}})
                    .to_string(),
            )
            .part("filedata", part);
        graph(
            http.post(&url)
                .query(&[("access_token", &creds.token)])
                .multipart(form),
        )
        .await?;
        if out.text.trim().is_empty() {
            return Ok(());
        }
    }
    graph(
        http.post(&url)
            .query(&[("access_token", &creds.token)])
            .json(&json!({
                "recipient": {"id": psid}, "messaging_type": "RESPONSE",
                "message": {"text": out.text},
            })),
    )
    .await?;
    Ok(())
}

/// The account's name: the WhatsApp number (`GET /<phone-number-id>`,
/// `display_phone_number`) or the page (`GET /<page-id>`, `name`).
pub(super) async fn me(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    whatsapp: bool,
) -> Result<super::platform::BotInfo, SendError> {
    let a = graph(
        http.get(format!(
            "{}/{}",
            api.trim_end_matches('/'),
            creds.account_id
        ))
        .bearer_auth(&creds.token),
    )
    .await?;
    if whatsapp {
        let number = a["display_phone_number"].as_str().unwrap_or_default();
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(SendError::Refused(
                "this is not a WhatsApp phone-number id".into(),
            ));
        }
        Ok(super::platform::BotInfo {
            name: number.to_owned(),
            link_name: digits,
        })
    } else {
        let name = a["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return Err(SendError::Refused("this is not a Facebook page id".into()));
        }
        Ok(super::platform::BotInfo {
            name: name.to_owned(),
            link_name: a["username"]
                .as_str()
                .unwrap_or(&creds.account_id)
                .to_owned(),
        })
    }
}

/// A WhatsApp media file: `GET /<media-id>` gives its `url`, fetched with the token.
pub(super) async fn fetch_whatsapp(
    http: &reqwest::Client,
    api: &str,
    creds: &Credentials,
    media_id: &str,
    max_bytes: usize,
) -> Result<(Vec<u8>, String), SendError> {
    let a = graph(
        http.get(format!("{}/{media_id}", api.trim_end_matches('/')))
            .bearer_auth(&creds.token),
    )
    .await?;
    let url = a["url"]
        .as_str()
        .ok_or_else(|| SendError::Refused("the media answer gave no url".into()))?;
    let bytes = super::download(http.get(url).bearer_auth(&creds.token), max_bytes).await?;
    Ok((bytes, "whatsapp-file".into()))
}

/// A link to the WhatsApp number with `text` filled in (wa.me: no hidden parameter exists,
/// so the unit travels in the text).
pub(super) fn whatsapp_link(digits: &str, text: &str) -> String {
    if text.is_empty() {
        format!("https://wa.me/{digits}")
    } else {
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
        format!("https://wa.me/{digits}?text={encoded}")
    }
}

/// An m.me link to the page carrying `reference` (`?ref=`, delivered as a referral).
pub(super) fn messenger_link(page: &str, reference: &str) -> String {
    if reference.is_empty() {
        format!("https://m.me/{page}")
    } else {
        format!("https://m.me/{page}?ref={reference}")
    }
}
