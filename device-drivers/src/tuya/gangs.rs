//! The links one Tuya connection serves: one per gang of a multi-gang switch (or one for a
//! whole device), each with its own data points, state and commands, and the register that
//! makes every link to one device join that device's one connection.

use std::collections::HashMap;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex};
use std::task::Poll;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::TuyaConfig;
use crate::link::{self, DriverError, LinkHandle, LinkTask, Reply};
use crate::model::{Command, State};

/// One link served by a connection: its settings (its data points in `config.map`) and its
/// side of the link.
pub(super) struct Gang {
    pub(super) config: TuyaConfig,
    pub(super) task: LinkTask,
}

/// A device's connections by device id and address: a Tuya device takes one client at a
/// time and drops the older for a newer, so every link to it shares one connection rather
/// than robbing the others of it.
type Register = HashMap<(String, SocketAddr), mpsc::UnboundedSender<Gang>>;

static CONNECTIONS: LazyLock<Mutex<Register>> = LazyLock::new(Mutex::default);

/// The link for `config`: a gang joining the connection another link to the same device
/// already has, or `None` with the gang when this is the device's first (start its task
/// with [`Device::new`]).
pub(super) fn join_or_start(config: TuyaConfig) -> (LinkHandle, Option<Device>) {
    let (handle, task) = link::pair();
    let key = (config.id.clone(), config.addr);
    let mut gang = Gang { config, task };
    let mut register = CONNECTIONS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(joining) = register.get(&key) {
        match joining.send(gang) {
            Ok(()) => return (handle, None),
            // Its task ended with the runtime it ran on: start afresh.
            Err(mpsc::error::SendError(back)) => gang = back,
        }
    }
    let (me, joining) = mpsc::unbounded_channel();
    register.insert(key.clone(), me.clone());
    let device = Device {
        key,
        config: gang.config.clone(),
        gangs: vec![(0, gang)],
        next_id: 1,
        me,
        joining,
        dps: Map::new(),
        connected: false,
        reason: None,
    };
    (handle, Some(device))
}

/// What a connection's task is asked next.
pub(super) enum Request {
    /// A gang's command, with the gang's id.
    Command(u64, Command, Reply),
    /// A link joined; `reconnect` when it speaks to the device with another key or version.
    Joined { reconnect: bool },
    /// Every handle of every gang is gone: the task ends.
    Abandoned,
}

/// The gangs of one device and what they share: how to reach it, its last data points.
pub(super) struct Device {
    key: (String, SocketAddr),
    /// How to reach and speak to the device: the settings of the link that joined last.
    pub(super) config: TuyaConfig,
    gangs: Vec<(u64, Gang)>,
    next_id: u64,
    /// Kept so the register's sender can be told apart, and so `joining` never closes.
    me: mpsc::UnboundedSender<Gang>,
    joining: mpsc::UnboundedReceiver<Gang>,
    /// Every data point the device reported on this connection, for a gang that joins.
    dps: Map<String, Value>,
    connected: bool,
    reason: Option<String>,
}

impl Device {
    /// The next request: a link joining, or (when `commands`) a gang's command.
    pub(super) async fn next_request(&mut self, commands: bool) -> Request {
        enum Polled {
            Join(Box<Gang>),
            Command(u64, Option<(Command, Reply)>),
        }
        loop {
            let polled = poll_fn(|cx| {
                if let Poll::Ready(Some(gang)) = self.joining.poll_recv(cx) {
                    return Poll::Ready(Polled::Join(Box::new(gang)));
                }
                if commands {
                    for (id, gang) in &mut self.gangs {
                        if let Poll::Ready(next) = gang.task.commands.poll_recv(cx) {
                            return Poll::Ready(Polled::Command(*id, next));
                        }
                    }
                }
                Poll::Pending
            })
            .await;
            match polled {
                Polled::Join(gang) => {
                    return Request::Joined {
                        reconnect: self.join(*gang),
                    }
                }
                Polled::Command(id, Some((command, reply))) => {
                    return Request::Command(id, command, reply)
                }
                Polled::Command(id, None) => {
                    self.gangs.retain(|(i, _)| *i != id);
                    if self.gangs.is_empty() && self.leave() {
                        return Request::Abandoned;
                    }
                }
            }
        }
    }

    /// Adds a link; true when it speaks to the device with another key or version.
    fn join(&mut self, gang: Gang) -> bool {
        let reconnect = gang.config.local_key != self.config.local_key
            || gang.config.version != self.config.version;
        if reconnect {
            self.config = gang.config.clone();
        }
        if self.connected {
            gang.task.online(&gang.config.map.to_state(&self.dps));
        } else if let Some(reason) = &self.reason {
            gang.task.offline(reason);
        }
        self.gangs.push((self.next_id, gang));
        self.next_id += 1;
        reconnect
    }

    /// With no gang left: ends the device's place in the register, unless a link joined
    /// meanwhile (then false, and the task goes on serving it).
    fn leave(&mut self) -> bool {
        let mut register = CONNECTIONS.lock().unwrap_or_else(|p| p.into_inner());
        while let Ok(gang) = self.joining.try_recv() {
            self.join(gang);
        }
        if !self.gangs.is_empty() {
            return false;
        }
        if register
            .get(&self.key)
            .is_some_and(|tx| tx.same_channel(&self.me))
        {
            register.remove(&self.key);
        }
        true
    }

    /// The device reported `update` (all its points, or the changed ones): each gang
    /// reads its own.
    pub(super) fn report(&mut self, update: &Map<String, Value>) {
        self.dps.extend(update.clone());
        self.connected = true;
        self.reason = None;
        for (_, gang) in &self.gangs {
            gang.task.online(&gang.config.map.to_state(update));
        }
    }

    pub(super) fn offline(&mut self, reason: &str) {
        self.connected = false;
        self.dps.clear();
        self.reason = Some(reason.to_owned());
        for (_, gang) in &self.gangs {
            gang.task.offline(reason);
        }
    }

    pub(super) fn is_online(&self) -> bool {
        self.gangs.iter().any(|(_, g)| g.task.is_online())
    }

    /// Every data point the gangs read (for device22-style explicit queries).
    pub(super) fn dp_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .gangs
            .iter()
            .flat_map(|(_, g)| g.config.map.dp_ids())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Gang `id`'s state as last reported (empty once it has left).
    pub(super) fn state(&self, id: u64) -> State {
        self.gang(id).map(|g| g.task.state()).unwrap_or_default()
    }

    /// The data points to set for gang `id`'s `command`.
    pub(super) fn to_dps(
        &self,
        id: u64,
        command: &Command,
    ) -> Result<Map<String, Value>, DriverError> {
        self.gang(id)
            .ok_or(DriverError::Closed)?
            .config
            .map
            .to_dps(command)
    }

    fn gang(&self, id: u64) -> Option<&Gang> {
        self.gangs.iter().find(|(i, _)| *i == id).map(|(_, g)| g)
    }
}
