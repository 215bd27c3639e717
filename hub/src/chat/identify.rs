//! Customer identification (CHAT-4). The widget asks the owner's backend (with the site's
//! cookies) who is signed in and passes the answer on: `{ok:true, id, name, signature}`,
//! where `signature` is hex HMAC-SHA256 of `id` under the secret shared with the hub. The
//! hub trusts the id only if the signature matches, then fetches the customer's details by
//! id from the owner's backend, server side (bounded in time and size).

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::settings::Identification;
use super::ChatError;

/// Largest details document the hub accepts from the owner's backend.
const MAX_DETAILS: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub struct Answer {
    #[serde(default)]
    pub ok: bool,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub signature: String,
}

pub(super) fn signature(secret: &str, id: &str) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(id.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The verified id and name, or why not.
pub(super) fn verify(
    config: &Identification,
    answer: &Answer,
) -> Result<(String, String), ChatError> {
    if !answer.ok {
        return Err(ChatError::Invalid(
            "the site says nobody is signed in".into(),
        ));
    }
    let id = answer.id.trim();
    if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
        return Err(ChatError::Invalid(
            "the customer id is missing or too long".into(),
        ));
    }
    if config.secret.len() < 16 {
        return Err(ChatError::NotAllowed("identification is not set up"));
    }
    let expected = signature(&config.secret, id);
    // Constant time: the comparison must not tell an attacker how much was right.
    let given = answer.signature.trim().to_ascii_lowercase();
    let same = expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(ChatError::NotAllowed(
            "the identity signature does not match",
        ));
    }
    let name: String = answer
        .name
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    Ok((id.to_owned(), name))
}

/// The customer's details from the owner's backend (`details_url?id=…`), as JSON.
pub(super) async fn fetch_details(
    http: &reqwest::Client,
    config: &Identification,
    id: &str,
) -> Result<serde_json::Value, String> {
    if config.details_url.is_empty() {
        return Ok(serde_json::json!({}));
    }
    let mut response = http
        .get(&config.details_url)
        .query(&[("id", id)])
        .send()
        .await
        .map_err(|e| format!("the details request failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "the details request answered {}",
            response.status()
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_DETAILS {
            return Err(format!("the details are larger than {MAX_DETAILS} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let value: serde_json::Value =
        crate::inbound::json(&body).map_err(|e| format!("the details are not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the details are not a JSON object".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Identification {
        Identification {
            identify_url: "https://hotel.example/me".into(),
            details_url: String::new(),
            secret: "0123456789abcdef-secret".into(),
        }
    }

    #[test]
    fn only_a_signed_id_is_trusted() {
        let c = config();
        let good = Answer {
            ok: true,
            id: "cust-42".into(),
            name: "Maria".into(),
            signature: signature(&c.secret, "cust-42"),
        };
        assert_eq!(
            verify(&c, &good).ok(),
            Some(("cust-42".into(), "Maria".into()))
        );
        let forged = Answer {
            id: "cust-43".into(),
            ..good
        };
        assert!(verify(&c, &forged).is_err(), "a signature for another id");
        let unsigned = Answer {
            ok: true,
            id: "cust-42".into(),
            name: String::new(),
            signature: String::new(),
        };
        assert!(verify(&c, &unsigned).is_err());
        let nobody = Answer {
            ok: false,
            id: String::new(),
            name: String::new(),
            signature: String::new(),
        };
        assert!(verify(&c, &nobody).is_err());
    }
}
