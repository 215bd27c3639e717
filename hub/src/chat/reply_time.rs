//! What the widget tells a guest to expect (CHAT-9): the typical time to a first answer,
//! from the conversations of the last 30 days.

use super::{Chat, ChatError};

impl Chat {
    /// What the widget tells a guest to expect: the median minutes to a first answer over
    /// the last 30 days, rounded up; `None` below three answered conversations. Worked out
    /// again at most every ten minutes.
    pub(super) async fn typical_reply_minutes(&self) -> Option<u32> {
        let fresh = std::time::Duration::from_secs(600);
        if let Some((at, minutes)) = *self
            .reply_estimate
            .lock()
            .unwrap_or_else(|p| p.into_inner())
        {
            if at.elapsed() < fresh {
                return minutes;
            }
        }
        let since = crate::clock::stamp(self.clock.now() - chrono::Duration::days(30));
        let minutes = self
            .store
            .read(move |c| typical_reply(c, &since))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "Cannot work out the typical answer time.");
                None
            });
        *self
            .reply_estimate
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((std::time::Instant::now(), minutes));
        minutes
    }
}

fn typical_reply(c: &rusqlite::Connection, since: &str) -> Result<Option<u32>, ChatError> {
    // Whole seconds: julianday's floating point would make 4 minutes 4.0000001.
    let mut stmt = c.prepare_cached(
        "SELECT CAST(ROUND((julianday(first_response_at) - julianday(created_at)) * 86400.0) \
         AS INTEGER) FROM dialogues \
         WHERE kind = 'guest' AND first_response_at IS NOT NULL AND created_at >= ?1",
    )?;
    let mut seconds: Vec<i64> = stmt
        .query_map([since], |r| r.get::<_, Option<i64>>(0))?
        .filter_map(|m| m.ok().flatten())
        .collect();
    if seconds.len() < 3 {
        return Ok(None);
    }
    seconds.sort_unstable();
    let median = seconds[seconds.len() / 2].max(0);
    let minutes = (median + 59) / 60;
    Ok(Some(u32::try_from(minutes.clamp(1, 24 * 60)).unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    use super::super::visitors;
    use super::*;
    use crate::clock::Clock;
    use crate::store::{Store, StoreOptions};
    use rusqlite::params;

    #[tokio::test]
    async fn guests_are_promised_the_median_first_answer_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("hub.db"), StoreOptions::default()).unwrap();
        let chat = Chat::for_test(store, Clock::system()).await;
        assert_eq!(
            chat.typical_reply_minutes().await,
            None,
            "nothing answered yet"
        );
        for (n, after) in [2, 4, 10].into_iter().enumerate() {
            let hello = chat
                .guest_hello(None, visitors::PageInfo::default(), format!("192.0.2.{n}"))
                .await
                .unwrap();
            let posted = chat
                .guest_post(hello.visitor.id, None, "Hello?", "web", false, None)
                .await
                .unwrap();
            let d = posted.message.dialogue_id;
            chat.store
                .write(move |c| {
                    c.execute(
                        "UPDATE dialogues SET first_response_at = \
                         strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ?2) WHERE id = ?1",
                        params![d, format!("+{after} minutes")],
                    )
                    .map_err(ChatError::from)
                })
                .await
                .unwrap();
        }
        // Cached for ten minutes: forget the cached "none" first.
        *chat.reply_estimate.lock().unwrap() = None;
        assert_eq!(chat.typical_reply_minutes().await, Some(4));
    }
}
