//! The gateway bot's Telegram Bot API calls (core.telegram.org/bots/api): `getMe`,
//! `setWebhook` with a `secret_token`, `sendMessage`/`sendPhoto`/`sendDocument`, and what the
//! relay reads of an update to route it (the chat, a deep link's hub, the user's language).

use base64::Engine as _;
use cloud_link::HubId;
use serde_json::{json, Value};

use super::{SendRequest, Sent};

/// What routing needs of an update.
pub(super) struct Routing {
    pub chat_id: String,
    /// The hub a deep link named: `/start h-<hub id>-…`.
    pub start_hub: Option<HubId>,
    pub language: String,
}

/// An update with a message from a private chat; anything else is nothing to route.
pub(super) fn read(body: &[u8]) -> Option<Routing> {
    let update: Value = serde_json::from_slice(body).ok()?;
    let message = update.get("message")?;
    let chat = &message["chat"];
    if chat["type"].as_str().is_some_and(|t| t != "private") {
        return None;
    }
    let chat_id = chat["id"].as_i64()?.to_string();
    let start_hub = message["text"]
        .as_str()
        .and_then(|t| t.strip_prefix("/start h-"))
        .and_then(|rest| rest.get(..20))
        .and_then(|id| HubId::parse(id).ok());
    Some(Routing {
        chat_id,
        start_hub,
        language: message["from"]["language_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    })
}

/// To a guest writing to the shared bot without a hotel's link, in their language.
pub(super) fn open_the_link(lang: &str) -> &'static str {
    match lang.split(['-', '_']).next().unwrap_or_default() {
        "ru" => "Откройте ссылку вашего отеля (на его сайте или QR-код в номере), чтобы написать ему здесь.",
        "de" => "Öffnen Sie den Link Ihres Hotels (auf seiner Website oder der QR-Code im Zimmer), um ihm hier zu schreiben.",
        "fr" => "Ouvrez le lien de votre hôtel (sur son site ou le QR code de la chambre) pour lui écrire ici.",
        "es" => "Abra el enlace de su hotel (en su web o el código QR de la habitación) para escribirle aquí.",
        "pt" => "Abra a ligação do seu hotel (no site ou o código QR do quarto) para lhe escrever aqui.",
        _ => "Open your hotel's link (on its website or the QR code in your room) to write to it here.",
    }
}

fn url(api: &str, token: &str, method: &str) -> String {
    format!("{api}/bot{token}/{method}")
}

/// Calls a method; `Ok(result)` or the answer's status, description and `retry_after`.
async fn call(request: reqwest::RequestBuilder) -> Result<Value, (u16, String, Option<u64>)> {
    let response = request.send().await.map_err(|e| (0, e.to_string(), None))?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or_default();
    if answer["ok"].as_bool() == Some(true) {
        return Ok(answer["result"].clone());
    }
    Err((
        status,
        answer["description"]
            .as_str()
            .unwrap_or("refused")
            .to_owned(),
        answer["parameters"]["retry_after"].as_u64(),
    ))
}

pub(super) async fn me(http: &reqwest::Client, api: &str, token: &str) -> anyhow::Result<String> {
    let result = call(http.post(url(api, token, "getMe")).json(&json!({})))
        .await
        .map_err(|(s, d, _)| anyhow::anyhow!("getMe answered {s}: {d}"))?;
    result["username"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("getMe gave no username"))
}

pub(super) async fn set_webhook(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    webhook: &str,
    secret: &str,
) -> anyhow::Result<()> {
    let body = json!({"url": webhook, "secret_token": secret, "allowed_updates": ["message"]});
    call(http.post(url(api, token, "setWebhook")).json(&body))
        .await
        .map_err(|(s, d, _)| anyhow::anyhow!("setWebhook answered {s}: {d}"))?;
    Ok(())
}

pub(super) async fn send_text(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    chat: &str,
    text: &str,
) -> Sent {
    outcome(
        call(
            http.post(url(api, token, "sendMessage"))
                .json(&json!({"chat_id": chat, "text": text})),
        )
        .await,
    )
}

/// A hub's message: its text, or its file (`sendPhoto` for images, `sendDocument` else)
/// with the text as caption.
pub(super) async fn send(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    request: SendRequest,
) -> Sent {
    let Some(file) = request.file else {
        return send_text(http, api, token, &request.chat_id, &request.text).await;
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(file.data.as_bytes()) else {
        return Sent::Refused("the file is not base64".into());
    };
    let (method, field) = if file.content_type.starts_with("image/") {
        ("sendPhoto", "photo")
    } else {
        ("sendDocument", "document")
    };
    let Ok(part) = reqwest::multipart::Part::bytes(bytes)
        .file_name(file.name)
        .mime_str(&file.content_type)
    else {
        return Sent::Refused("the file's type is not a MIME type".into());
    };
    let caption: String = request.text.chars().take(1024).collect();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", request.chat_id)
        .text("caption", caption)
        .part(field, part);
    outcome(call(http.post(url(api, token, method)).multipart(form)).await)
}

fn outcome(result: Result<Value, (u16, String, Option<u64>)>) -> Sent {
    match result {
        Ok(_) => Sent::Ok,
        Err((429, _, retry)) => Sent::Wait(retry.unwrap_or(5)),
        Err((0, why, _)) => Sent::Unreachable(why),
        Err((s, why, _)) if s >= 500 => Sent::Unreachable(format!("{s}: {why}")),
        Err((_, why, _)) => Sent::Refused(why),
    }
}
