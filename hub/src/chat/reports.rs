//! What staff pull out of the chat: search (SQLite FTS5, CHAT-20), statistics per day and
//! per agent (CHAT-16), the Leads list (CHAT-9), a transcript by e-mail and the signed
//! "send to CRM" webhook (CHAT-7).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rusqlite::params;
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;

use super::service::dialogue_for;
use super::DialogueKind;
use super::{db, visitors, Chat, ChatError};
use crate::team::Member;

#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    pub message_id: i64,
    pub dialogue_id: i64,
    pub seq: i64,
    /// The matching text with the words in [brackets].
    pub snippet: String,
    pub at: String,
}

/// An FTS5 query from what a person typed: every word quoted (no operators leak in), the
/// last one as a prefix.
pub(super) fn fts_query(q: &str) -> Option<String> {
    // Control characters (a NUL ends FTS5's string early) are never search words.
    let q: String = q
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<String> = q
        .split_whitespace()
        .take(8)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let last = words.last()?.clone();
    let mut out = words[..words.len() - 1].join(" ");
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(&last);
    out.push('*');
    Some(out)
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Figures {
    pub dialogues: i64,
    pub missed: i64,
    /// Missed ÷ dialogues.
    pub missed_rate: Option<f64>,
    pub rated: i64,
    pub average_rating: Option<f64>,
    /// Seconds from the dialogue's start to the first staff answer, on average.
    pub average_first_response_secs: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayFigures {
    pub day: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentFigures {
    pub user_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statistics {
    pub from: String,
    pub to: String,
    pub totals: Figures,
    pub days: Vec<DayFigures>,
    pub agents: Vec<AgentFigures>,
}

#[derive(Default)]
struct Acc {
    n: i64,
    missed: i64,
    ratings: Vec<i64>,
    responses: Vec<f64>,
}

impl Acc {
    fn add(&mut self, missed: bool, rating: Option<i64>, response: Option<f64>) {
        self.n += 1;
        self.missed += i64::from(missed);
        self.ratings.extend(rating);
        self.responses.extend(response);
    }

    fn figures(&self) -> Figures {
        let avg = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let ratings: Vec<f64> = self.ratings.iter().map(|r| *r as f64).collect();
        Figures {
            dialogues: self.n,
            missed: self.missed,
            missed_rate: (self.n > 0).then(|| self.missed as f64 / self.n as f64),
            rated: self.ratings.len() as i64,
            average_rating: avg(&ratings),
            average_first_response_secs: avg(&self.responses),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Lead {
    pub id: i64,
    pub visitor_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub message: String,
    pub page_url: String,
    pub created_at: String,
}

/// `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>").
pub(super) fn crm_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error branch cannot happen.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Chat {
    /// Search every message the member may see (private notes included); at most 50 hits.
    pub async fn search(&self, member: &Member, q: &str) -> Result<Vec<Hit>, ChatError> {
        if q.chars().count() > 200 {
            return Err(ChatError::Invalid("q: at most 200 characters".into()));
        }
        let Some(query) = fts_query(q) else {
            return Ok(Vec::new());
        };
        let see_others = self.settings().agents_see_others;
        let member = member.clone();
        self
        .store
        .read(move |c| -> Result<Vec<Hit>, ChatError> {
            let mut stmt = c.prepare_cached(
                "SELECT m.id, m.dialogue_id, m.seq, snippet(messages_fts, 0, '[', ']', '…', 12), m.created_at \
                 FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid \
                 WHERE messages_fts MATCH ?1 ORDER BY m.id DESC LIMIT 200",
            )?;
            let rows = stmt.query_map([query], |r| {
                Ok(Hit { message_id: r.get(0)?, dialogue_id: r.get(1)?, seq: r.get(2)?, snippet: r.get(3)?, at: r.get(4)? })
            })?;
            let mut out = Vec::new();
            for hit in rows {
                let hit = hit?;
                match dialogue_for(c, member.role, member.id, hit.dialogue_id, see_others) {
                    Ok(_) => out.push(hit),
                    Err(ChatError::NoSuchDialogue) => {}
                    Err(e) => return Err(e),
                }
                if out.len() == 50 {
                    break;
                }
            }
            Ok(out)
        })
        .await
    }

    /// Dialogues per day, first-response time, missed rate and rating, overall and per agent,
    /// for local days `from`..=`to` (YYYY-MM-DD; the last 30 days by default).
    pub async fn statistics(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Statistics, ChatError> {
        let tz = self.team.property().zone();
        let today = self.clock.now().with_timezone(&tz).date_naive();
        let (from, to) = crate::clock::report_days(from, to, today)
            .map_err(|why| ChatError::Invalid(why.into()))?;
        // Wide UTC bounds; each dialogue is then placed on its local day.
        let lo = crate::clock::stamp(
            from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::days(1),
        );
        let hi = crate::clock::stamp(
            to.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + chrono::Duration::days(2),
        );
        type Row = (
            String,
            bool,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = self
            .store
            .read(move |c| -> Result<Vec<Row>, ChatError> {
                let mut stmt = c.prepare(
                    "SELECT d.created_at, d.missed, d.rating, d.first_response_at, d.assignee_id, \
                 CASE WHEN u.nickname = '' THEN u.name ELSE u.nickname END \
                 FROM dialogues d LEFT JOIN users u ON u.id = d.assignee_id \
                 WHERE d.kind = 'guest' AND d.created_at >= ?1 AND d.created_at < ?2",
                )?;
                let rows = stmt.query_map(params![lo, hi], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await?;
        let parse_t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let mut totals = Acc::default();
        let mut days: std::collections::BTreeMap<chrono::NaiveDate, Acc> = Default::default();
        let mut agents: std::collections::BTreeMap<(i64, String), Acc> = Default::default();
        for (created, missed, rating, first, assignee, name) in rows {
            let Some(created) = parse_t(&created) else {
                continue;
            };
            let day = created.with_timezone(&tz).date_naive();
            if day < from || day > to {
                continue;
            }
            let response = first
                .as_deref()
                .and_then(parse_t)
                .map(|f| (f - created).num_milliseconds() as f64 / 1000.0);
            totals.add(missed, rating, response);
            days.entry(day).or_default().add(missed, rating, response);
            if let Some(id) = assignee {
                agents
                    .entry((id, name.unwrap_or_default()))
                    .or_default()
                    .add(missed, rating, response);
            }
        }
        Ok(Statistics {
            from: from.to_string(),
            to: to.to_string(),
            totals: totals.figures(),
            days: days
                .iter()
                .map(|(d, a)| DayFigures {
                    day: d.to_string(),
                    figures: a.figures(),
                })
                .collect(),
            agents: agents
                .iter()
                .map(|((id, name), a)| AgentFigures {
                    user_id: *id,
                    name: name.clone(),
                    figures: a.figures(),
                })
                .collect(),
        })
    }

    /// Contact forms left out of hours, newest first (at most 500).
    pub async fn leads(&self) -> Result<Vec<Lead>, ChatError> {
        self
            .store
            .read(|c| -> Result<Vec<Lead>, ChatError> {
                let mut stmt = c.prepare(
                    "SELECT id, visitor_id, name, email, phone, message, page_url, created_at FROM leads \
                     ORDER BY id DESC LIMIT 500",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(Lead { id: r.get(0)?, visitor_id: r.get(1)?, name: r.get(2)?, email: r.get(3)?, phone: r.get(4)?, message: r.get(5)?, page_url: r.get(6)?, created_at: r.get(7)? })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// The dialogue as plain text (no private notes), for e-mail and export.
    async fn transcript_text(
        &self,
        member: &Member,
        id: i64,
    ) -> Result<
        (
            String,
            super::db::DialogueRow,
            Option<visitors::Visitor>,
            Vec<super::Message>,
        ),
        ChatError,
    > {
        let see_others = self.settings().agents_see_others;
        let member = member.clone();
        let (d, visitor, messages) = self
            .store
            .read(move |c| -> Result<_, ChatError> {
                let (d, _) = dialogue_for(c, member.role, member.id, id, see_others)?;
                if d.kind != DialogueKind::Guest {
                    return Err(ChatError::NoSuchDialogue);
                }
                let visitor = match d.visitor_id {
                    Some(v) => Some(visitors::by_id(c, v)?),
                    None => None,
                };
                // The transcript goes to the guest: read as the guest side reads.
                let shown = db::guest_messages_after(c, id, 0, 10_000)?
                    .into_iter()
                    .filter_map(|item| match item {
                        db::Item::Shown(m) => Some(m),
                        db::Item::Taken(_) => None,
                    })
                    .collect::<Vec<_>>();
                Ok((d, visitor, shown))
            })
            .await?;
        let mut text = String::new();
        for m in &messages {
            let who = match m.author_kind {
                super::AuthorKind::Guest => visitor
                    .as_ref()
                    .map(|v| v.display_name.clone())
                    .unwrap_or_default(),
                super::AuthorKind::System => "—".into(),
                _ => m.author_name.clone(),
            };
            text.push_str(&format!(
                "[{}] {}: {}\n",
                &m.at[..16.min(m.at.len())].replace('T', " "),
                who,
                m.body
            ));
        }
        Ok((text, d, visitor, messages))
    }

    /// E-mails the dialogue's transcript to `email`, or to the guest's address.
    pub async fn send_transcript(
        &self,
        member: &Member,
        id: i64,
        email: Option<&str>,
    ) -> Result<(), ChatError> {
        let (text, _, visitor, _) = self.transcript_text(member, id).await?;
        let to =
            match email.map(str::trim).filter(|e| !e.is_empty()) {
                Some(e) => {
                    crate::team::clean_email(e).map_err(|e| ChatError::Invalid(e.to_string()))?
                }
                None => visitor.map(|v| v.email).filter(|e| !e.is_empty()).ok_or(
                    ChatError::Conflict("the guest left no e-mail address; give one"),
                )?,
            };
        let mailer = self.mailer().ok_or(ChatError::Conflict(
            "e-mail is not set up on this hub (smtp in the config)",
        ))?;
        let property = self.team.property().current().name;
        mailer
            .send(
                &to,
                &format!("Your conversation with {property}"),
                &format!("Here is your conversation with {property}.\n\n{text}"),
            )
            .await
            .map_err(|e| ChatError::Mail(format!("the transcript e-mail failed: {e}")))
    }

    /// POSTs the dialogue, its visitor and messages to the configured CRM webhook, signed with
    /// `X-Hub-Signature` over `X-Hub-Timestamp` and the body.
    pub async fn send_to_crm(&self, member: &Member, id: i64) -> Result<(), ChatError> {
        let settings = self.settings();
        if settings.crm_webhook_url.is_empty() {
            return Err(ChatError::Conflict(
                "no CRM webhook is set in the chat settings",
            ));
        }
        let (text, dialogue, visitor, messages) = self.transcript_text(member, id).await?;
        let body = serde_json::to_vec(&serde_json::json!({
            "event": "dialogue.sent_to_crm",
            "dialogue": dialogue,
            "visitor": visitor,
            "messages": messages,
            "transcript": text,
            "sent_by": {"id": member.id, "name": member.name},
        }))
        .map_err(|e| ChatError::Invalid(e.to_string()))?;
        let timestamp = self.clock.now().timestamp();
        let signature = crm_signature(&settings.crm_webhook_secret, timestamp, &body);
        let response = self
            .http
            .post(&settings.crm_webhook_url)
            .header("content-type", "application/json")
            .header("x-hub-timestamp", timestamp.to_string())
            .header("x-hub-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| ChatError::Refused(format!("the CRM did not answer: {e}")))?;
        if !response.status().is_success() {
            return Err(ChatError::Refused(format!(
                "the CRM answered {}",
                response.status()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_words_never_become_fts_operators() {
        assert_eq!(
            fts_query("pool towel").as_deref(),
            Some("\"pool\" \"towel\"*")
        );
        assert_eq!(
            fts_query("a\" OR 1").as_deref(),
            Some("\"a\"\"\" \"OR\" \"1\"*")
        );
        assert_eq!(fts_query("   "), None);
        assert_eq!(fts_query("a\0").as_deref(), Some("\"a\"*"));
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let a = crm_signature("secret", 1, b"{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, crm_signature("secret", 2, b"{}"));
        assert_ne!(a, crm_signature("other", 1, b"{}"));
    }
}
