//! The PMS webhook: a JSON body signed with HMAC-SHA256 under the secret the admin made
//! (`X-Hub-Signature-256: sha256=<hex>`, as GitHub-style senders do). It books, moves,
//! checks in, checks out and cancels reservations by the PMS's own reservation id.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer};
use sha2::Sha256;
use utoipa::ToSchema;

use super::reservations::{Status, Stay};

pub(super) const SIGNATURE_HEADER: &str = "x-hub-signature-256";
pub(super) const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WebhookError {
    #[error("the webhook is not set up: make its secret in the admin app first")]
    NoSecret,
    #[error("missing or wrong signature ({SIGNATURE_HEADER}: sha256=<hex of HMAC-SHA256>)")]
    Signature,
    #[error("{0}")]
    Body(String),
}

/// What a PMS sends. Real PMSs send `null` for an optional field (read as absent), ids
/// as numbers or strings, and fields of their own (ignored, each name logged once).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PmsUpdate {
    /// The PMS's reservation id: a string, or an integer read as its digits.
    #[serde(deserialize_with = "id_text")]
    #[schema(value_type = String)]
    pub reservation_id: String,
    /// The unit's name as in the hub ("101", "Villa Olive"); needed for a new reservation.
    #[serde(default, deserialize_with = "optional_text")]
    #[schema(value_type = Option<String>)]
    pub unit: Option<String>,
    /// booked, checked_in, checked_out, cancelled (or confirmed, new, canceled, no_show…).
    pub status: String,
    #[serde(default)]
    pub guest: Option<PmsGuest>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub check_in: Option<String>,
    #[serde(default)]
    pub check_out: Option<String>,
    /// Whatever else the PMS sends.
    #[serde(flatten)]
    #[schema(ignore)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct PmsGuest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// A reservation id as PMSs send it: `"13"` or `13` (not a fraction, not negative).
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "reservation_id must be a string or a whole number, not {other}"
        ))),
    }
}

/// A text field that may be a string, a number (a unit named 103) or null.
fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected text, not {other}"
        ))),
    }
}

/// Logs each field name a PMS sends that the hub does not read, once per run, so a new
/// field is seen without a log line per booking. At most 64 names are remembered.
fn note_unknown(update: &PmsUpdate) {
    static SEEN: std::sync::OnceLock<std::sync::Mutex<BTreeSet<String>>> =
        std::sync::OnceLock::new();
    let names = update.other.keys().cloned().chain(
        update
            .guest
            .iter()
            .flat_map(|g| g.other.keys().map(|k| format!("guest.{k}"))),
    );
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    for name in names {
        if seen.len() < 64 && seen.insert(name.clone()) {
            tracing::info!(field = %name.chars().take(60).collect::<String>(), "A PMS sends a field the hub does not read; it is ignored.");
        }
    }
}

pub fn verify(secret: &str, body: &[u8], header: Option<&str>) -> Result<(), WebhookError> {
    let hex_sig = header
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .ok_or(WebhookError::Signature)?;
    let sig = hex::decode(hex_sig).map_err(|_| WebhookError::Signature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookError::Signature)?;
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| WebhookError::Signature)
}

fn date(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>, WebhookError> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| WebhookError::Body(format!("{field}: a date like 2026-10-24")))
    })
    .transpose()
}

fn bounded(field: &str, s: &str, max: usize) -> Result<String, WebhookError> {
    let s = s.trim();
    if s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(WebhookError::Body(format!(
            "{field}: at most {max} printable characters"
        )));
    }
    Ok(s.to_owned())
}

fn text_of(s: Option<&str>) -> &str {
    s.unwrap_or_default()
}

/// Reads and checks a verified body.
pub fn read(body: &[u8]) -> Result<(PmsUpdate, Status, Stay), WebhookError> {
    let update: PmsUpdate = crate::inbound::json(body)
        .map_err(|e| WebhookError::Body(format!("the body is not a PMS update: {e}")))?;
    note_unknown(&update);
    let id = bounded("reservation_id", &update.reservation_id, 128)?;
    if id.is_empty() {
        return Err(WebhookError::Body("reservation_id is empty".into()));
    }
    let status = Status::parse(&update.status).ok_or_else(|| {
        WebhookError::Body(format!(
            "status \"{}\" is not booked, checked_in, checked_out or cancelled",
            update.status.chars().take(40).collect::<String>()
        ))
    })?;
    let guest = update.guest.as_ref();
    let stay = Stay {
        guest_name: bounded(
            "guest.name",
            text_of(guest.and_then(|g| g.name.as_deref())),
            120,
        )?,
        email: bounded(
            "guest.email",
            text_of(guest.and_then(|g| g.email.as_deref())),
            200,
        )?,
        phone: bounded(
            "guest.phone",
            text_of(guest.and_then(|g| g.phone.as_deref())),
            40,
        )?,
        notes: String::new(),
        check_in: date("check_in", update.check_in.as_deref())?,
        check_out: date("check_out", update.check_out.as_deref())?,
    };
    if let (Some(i), Some(o)) = (stay.check_in, stay.check_out) {
        if o <= i || (o - i).num_days() > 366 {
            return Err(WebhookError::Body(
                "check_out must be after check_in, within a year".into(),
            ));
        }
    }
    Ok((update, status, stay))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked() {
        let body = br#"{"reservation_id":"A1","status":"checked_in"}"#;
        let good = sign("s3cret", body);
        assert_eq!(verify("s3cret", body, Some(&good)), Ok(()));
        assert_eq!(
            verify("other", body, Some(&good)),
            Err(WebhookError::Signature)
        );
        assert_eq!(
            verify("s3cret", b"{}", Some(&good)),
            Err(WebhookError::Signature)
        );
        assert_eq!(verify("s3cret", body, None), Err(WebhookError::Signature));
        assert_eq!(
            verify("s3cret", body, Some("sha256=zz")),
            Err(WebhookError::Signature)
        );
        assert_eq!(
            verify("s3cret", body, Some(&good[7..])),
            Err(WebhookError::Signature)
        );
    }

    #[test]
    fn bodies_are_read_as_pmss_send_them() {
        // Field cases pms-12a and pms-12b: a null phone, an integer id, and a field the
        // hub does not read.
        let (u, s, stay) = read(br#"{"reservation_id":13,"unit":103,"status":"new","check_in":"2026-12-15","check_out":"2026-12-16","guest":{"name":"Andrew Peterson","email":"guest@example.com","phone":null,"language":"en"},"channel":"airbnb"}"#).unwrap();
        assert_eq!(
            (u.reservation_id.as_str(), u.unit.as_deref(), s),
            ("13", Some("103"), Status::Booked)
        );
        assert_eq!(
            (stay.guest_name.as_str(), stay.phone.as_str()),
            ("Andrew Peterson", "")
        );
        let (u, _, _) = read(b"\xEF\xBB\xBF{\"reservation_id\":\"A1\",\"status\":\"booked\",\"unit\":null,\"guest\":null}").unwrap();
        assert_eq!((u.reservation_id.as_str(), u.unit), ("A1", None));
    }

    #[test]
    fn bodies_are_read_strictly() {
        let (u, s, stay) = read(br#"{"reservation_id":"A1","unit":"101","status":"Canceled","check_in":"2026-10-24","check_out":"2026-10-27","guest":{"name":"Ana"}}"#).unwrap();
        assert_eq!((u.reservation_id.as_str(), s), ("A1", Status::Cancelled));
        assert_eq!(stay.guest_name, "Ana");
        for bad in [
            &b"not json"[..],
            br#"{"reservation_id":"A1"}"#,
            br#"{"reservation_id":"A1","status":"sleeping"}"#,
            br#"{"reservation_id":"","status":"booked"}"#,
            br#"{"reservation_id":"A1","status":"booked","check_in":"24/10/2026"}"#,
            br#"{"reservation_id":"A1","status":"booked","check_in":"2026-10-27","check_out":"2026-10-24"}"#,
            br#"{"reservation_id":12.5,"status":"booked"}"#,
            br#"{"reservation_id":null,"status":"booked"}"#,
        ] {
            assert!(matches!(read(bad), Err(WebhookError::Body(_))), "{}", String::from_utf8_lossy(bad));
        }
    }
}
