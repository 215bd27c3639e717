//! Wiring: what the capabilities announce that becomes a Web Push notice for the members
//! who have push and no Team Messenger open (an open one alerts by itself): a guest wrote,
//! a call rings or was missed.

use std::sync::Arc;

use crate::chat::Chat;

/// The chat's alerts (a guest wrote; these members do not have the Team Messenger open)
/// become Web Push notices that open the conversation.
pub(crate) fn guest_wrote(
    chat: &Arc<Chat>,
    push: crate::push::Push,
) -> tokio::task::JoinHandle<()> {
    let reachable = push.clone();
    let mut alerts = chat.alerts(move |assignee| reachable.could_reach(assignee));
    let chat = chat.clone();
    tokio::spawn(async move {
        loop {
            let alert = match alerts.recv().await {
                Ok(a) => a,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "Push fell behind the chat's alerts.");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            // Whoever can be reached by push and is not in the messenger to see it: the
            // assignee, or with none everyone (an unassigned conversation is everyone's).
            let mut reachable = push.subscribed();
            if let Some(assignee) = alert.assignee {
                reachable.retain(|id| *id == assignee);
            }
            let connected = chat.connected_staff();
            let user_ids: Vec<i64> = reachable
                .into_iter()
                .filter(|id| !connected.contains(id))
                .collect();
            if user_ids.is_empty() {
                continue;
            }
            let notice = crate::push::Notice {
                title: format!("{} wrote", alert.from),
                body: alert.text,
                url: format!("/messenger/?open={}", alert.dialogue_id),
                tag: format!("dialogue-{}", alert.dialogue_id),
            };
            if let Err(e) = push.send(user_ids, &notice).await {
                tracing::warn!(error = %e, "A push notice was not sent.");
            }
        }
    })
}

/// A call ringing or missed becomes a Web Push notice for the members who have push and
/// no Team Messenger open (an open one rings by itself).
pub(crate) fn calls(
    calls: &crate::calls::Calls,
    chat: &Arc<Chat>,
    push: crate::push::Push,
) -> tokio::task::JoinHandle<()> {
    let mut events = calls.subscribe();
    let chat = chat.clone();
    tokio::spawn(async move {
        loop {
            let (title, record) = match events.recv().await {
                Ok(crate::calls::CallEvent::Ringing(r)) => ("is calling the desk", r),
                Ok(crate::calls::CallEvent::Missed(r)) => ("called: nobody answered", r),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let connected = chat.connected_staff();
            let user_ids: Vec<i64> = push
                .subscribed()
                .into_iter()
                .filter(|id| !connected.contains(id))
                .collect();
            if user_ids.is_empty() {
                continue;
            }
            let notice = crate::push::Notice {
                title: format!("{} {title}", record.from),
                body: if record.video {
                    "Video call"
                } else {
                    "Audio call"
                }
                .into(),
                url: "/messenger/#calls".into(),
                tag: format!("call-{}", record.id),
            };
            if let Err(e) = push.send(user_ids, &notice).await {
                tracing::warn!(error = %e, "A call's push notice was not sent.");
            }
        }
    })
}
