//! Device credentials for the embedded broker: made in the admin app (the secret is shown
//! once), kept as hashes, loaded into the broker's sign-in check whenever they change.

use std::sync::{Arc, OnceLock};

use rusqlite::{params, Connection};
use serde::Serialize;
use utoipa::ToSchema;

use super::{secret_hash, valid_username, BrokerHandle};
use crate::clock::Clock;
use crate::secret::new_password;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("this username exists")]
    Taken,
    #[error("no such credential")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CredentialError {
    fn from(e: rusqlite::Error) -> Self {
        CredentialError::Store(StoreError::from(e))
    }
}

/// The front door: every change reloads the broker's sign-in check at once. Cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    clock: Clock,
    broker: BrokerHandle,
    /// Set once the broker has bound its port (a configured port 0 picks one then).
    endpoint: Arc<OnceLock<BrokerEndpoint>>,
}

/// Where devices reach the broker, as configured (`[broker]`), for the setup page.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct BrokerEndpoint {
    /// The broker runs at all.
    pub enabled: bool,
    /// The TCP port devices connect to (MQTT 3.1.1/5 without TLS).
    pub port: u16,
    /// It listens beyond loopback, so devices on the network can reach it.
    pub reachable_on_lan: bool,
}

impl BrokerEndpoint {
    /// From the broker's `listen` address; `None` when the broker is turned off.
    pub fn of(listen: Option<std::net::SocketAddr>) -> BrokerEndpoint {
        BrokerEndpoint {
            enabled: listen.is_some(),
            port: listen.map_or(0, |a| a.port()),
            reachable_on_lan: listen.is_some_and(|a| !a.ip().is_loopback()),
        }
    }
}

impl Credentials {
    pub fn new(store: Store, clock: Clock, broker: BrokerHandle) -> Credentials {
        Credentials {
            store,
            clock,
            broker,
            endpoint: Arc::default(),
        }
    }

    /// Records where the broker listens once it has started (`None`: it is turned off).
    pub fn listening(&self, addr: Option<std::net::SocketAddr>) {
        let _ = self.endpoint.set(BrokerEndpoint::of(addr));
    }

    /// Where devices reach the broker; off until [`Self::listening`].
    pub fn endpoint(&self) -> BrokerEndpoint {
        self.endpoint
            .get()
            .copied()
            .unwrap_or(BrokerEndpoint::of(None))
    }

    /// Loads the stored hashes into the broker's check (at start).
    pub async fn load(&self) -> Result<(), CredentialError> {
        let hashes = self
            .store
            .read(|c| Ok::<_, CredentialError>(all_hashes(c)?))
            .await?;
        self.broker.set_credentials(hashes);
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<DeviceCredential>, CredentialError> {
        self.store
            .read(|c| Ok::<_, CredentialError>(list(c)?))
            .await
    }

    /// A new credential and its password, shown this once.
    pub async fn create(
        &self,
        username: &str,
        label: &str,
    ) -> Result<(DeviceCredential, String), CredentialError> {
        let username = username.trim().to_owned();
        if !valid_username(&username) {
            return Err(CredentialError::Invalid(
                "username: 3 to 32 letters, digits, '-' or '_' (not \"hub\")",
            ));
        }
        let label = label.trim().to_owned();
        if label.chars().count() > 80 || label.chars().any(char::is_control) {
            return Err(CredentialError::Invalid("label: at most 80 characters"));
        }
        let now = self.clock.now_text();
        let (created, hashes) = self
            .store
            .write(move |c| {
                let created = create(c, &username, &label, &now)?;
                Ok::<_, CredentialError>((created, all_hashes(c)?))
            })
            .await?;
        let created = created.ok_or(CredentialError::Taken)?;
        self.broker.set_credentials(hashes);
        Ok(created)
    }

    /// Makes `username` afresh with a new password (returned), replacing any credential of
    /// that name: the demo's MQTT devices sign in with one made at each start.
    pub async fn renew(
        &self,
        username: &'static str,
        label: &'static str,
    ) -> Result<String, CredentialError> {
        let now = self.clock.now_text();
        let (created, hashes) = self
            .store
            .write(move |c| {
                c.execute(
                    "DELETE FROM device_credentials WHERE username = ?1",
                    [username],
                )?;
                let created = create(c, username, label, &now)?;
                Ok::<_, CredentialError>((created, all_hashes(c)?))
            })
            .await?;
        self.broker.set_credentials(hashes);
        Ok(created.ok_or(CredentialError::Taken)?.1)
    }

    /// Deletes a credential; the device can no longer sign in.
    pub async fn delete(&self, id: i64) -> Result<(), CredentialError> {
        let (deleted, hashes) = self
            .store
            .write(move |c| {
                let n = c.execute("DELETE FROM device_credentials WHERE id = ?1", [id])?;
                Ok::<_, CredentialError>((n, all_hashes(c)?))
            })
            .await?;
        self.broker.set_credentials(hashes);
        if deleted == 0 {
            return Err(CredentialError::NotFound);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceCredential {
    pub id: i64,
    pub username: String,
    pub label: String,
    pub created_at: String,
}

fn list(conn: &Connection) -> rusqlite::Result<Vec<DeviceCredential>> {
    let mut stmt = conn.prepare(
        "SELECT id, username, label, created_at FROM device_credentials ORDER BY username",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(DeviceCredential {
            id: r.get(0)?,
            username: r.get(1)?,
            label: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// username → secret hash, for the broker's sign-in check.
fn all_hashes(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT username, secret_hash FROM device_credentials")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Creates a credential and returns it with its secret; `None` if the name is taken.
fn create(
    conn: &Connection,
    username: &str,
    label: &str,
    now: &str,
) -> rusqlite::Result<Option<(DeviceCredential, String)>> {
    let secret = new_password();
    let n = conn.execute(
        "INSERT OR IGNORE INTO device_credentials (username, secret_hash, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![username, secret_hash(&secret), label, now],
    )?;
    Ok((n == 1).then(|| {
        let credential = DeviceCredential {
            id: conn.last_insert_rowid(),
            username: username.to_owned(),
            label: label.to_owned(),
            created_at: now.to_owned(),
        };
        (credential, secret)
    }))
}
