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
            // The assignee, or with none everyone (an unassigned conversation is everyone's).
            let notice = crate::push::Notice {
                title: format!("{} wrote", alert.from),
                body: alert.text,
                url: format!("/messenger/?open={}", alert.dialogue_id),
                tag: format!("dialogue-{}", alert.dialogue_id),
            };
            let assignee = alert.assignee;
            to_absent(&push, &chat, |id| assignee.is_none_or(|a| a == id), &notice).await;
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
            to_absent(&push, &chat, |_| true, &notice).await;
        }
    })
}

/// Sends `notice` to the members `wanted` who can be reached by push and are not in the
/// messenger to see it; a failure is logged.
async fn to_absent(
    push: &crate::push::Push,
    chat: &Chat,
    wanted: impl Fn(i64) -> bool,
    notice: &crate::push::Notice,
) {
    let connected = chat.connected_staff();
    let user_ids: Vec<i64> = push
        .subscribed()
        .into_iter()
        .filter(|id| wanted(*id) && !connected.contains(id))
        .collect();
    if user_ids.is_empty() {
        return;
    }
    if let Err(e) = push.send(user_ids, notice).await {
        tracing::warn!(error = %e, tag = %notice.tag, "A push notice was not sent.");
    }
}
