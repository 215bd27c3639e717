//! One MQTT-family device as a uniform link: commands become messages for the hub to
//! publish, and the messages the hub routes back confirm them.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Event, Family, Outgoing};
use crate::link::{self, DriverError, LinkHandle, Reply};
use crate::model::{Command, Kind};

/// Starts the link for `device`; the hub publishes what arrives on `out` and sends this
/// device's events to the returned sender.
pub fn spawn(
    family: Family,
    device: String,
    kind: Kind,
    properties: serde_json::Value,
    out: mpsc::Sender<Outgoing>,
    timeout: Duration,
) -> (LinkHandle, mpsc::Sender<Event>) {
    let (handle, mut task) = link::pair();
    let (tx, mut events) = mpsc::channel::<Event>(64);
    tokio::spawn(async move {
        let mut pending: Option<(Command, Reply, Instant)> = None;
        loop {
            let deadline = pending
                .as_ref()
                .map(|p| p.2)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else { return };
                    match event {
                        Event::State { state, .. } => task.online(&state),
                        Event::Availability { online: true, .. } | Event::Bridge { online: true } => task.online(&Default::default()),
                        Event::Availability { online: false, .. } => task.offline("the device said it is offline"),
                        Event::Bridge { online: false } => task.offline("the Zigbee2MQTT bridge is offline"),
                        Event::Announce { .. } => {}
                    }
                    if pending.as_ref().is_some_and(|p| task.state().confirms(&p.0)) {
                        if let Some((_, reply, _)) = pending.take() {
                            let _ = reply.send(Ok(task.state()));
                        }
                    }
                }
                next = task.commands.recv(), if pending.is_none() => {
                    let Some((command, reply)) = next else { return };
                    if !task.is_online() {
                        let reason = task.snapshot.borrow().reason.clone().unwrap_or_else(|| "no word from the device yet".into());
                        let _ = reply.send(Err(DriverError::Offline(reason)));
                        continue;
                    }
                    let messages = match family.encode(&device, kind, &properties, &command) {
                        Ok(m) => m,
                        Err(e) => { let _ = reply.send(Err(e)); continue; }
                    };
                    for m in messages {
                        if out.send(m).await.is_err() {
                            return;
                        }
                    }
                    pending = Some((command, reply, Instant::now() + timeout));
                }
                _ = tokio::time::sleep_until(deadline), if pending.is_some() => {
                    if let Some((_, reply, _)) = pending.take() {
                        let _ = reply.send(Err(DriverError::NotConfirmed(timeout)));
                    }
                }
            }
        }
    });
    (handle, tx)
}
