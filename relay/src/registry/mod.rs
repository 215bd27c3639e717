//! The hub registry: which hubs exist (id and public key; never a secret), and whether each
//! one's link is up or since when it is down. One SQLite file on a single node.

mod db;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use cloud_link::HubId;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the registry's database failed: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("the registry's worker thread failed: {0}")]
    Worker(String),
}

/// A hub as the registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRecord {
    pub id: HubId,
    pub public_key: Vec<u8>,
    pub name: String,
    /// Unix seconds; `None` while the link is down.
    pub online_since: Option<i64>,
    /// Unix seconds the link last went down; `None` if it never has.
    pub offline_since: Option<i64>,
    /// The hub's latest summary for the dashboard (JSON), once it has sent one.
    pub summary: Option<String>,
}

#[derive(Clone)]
pub struct Registry {
    db: Arc<Mutex<rusqlite::Connection>>,
    /// Link sessions per hub on this node: a hub reconnecting opens its new session
    /// before the old one is seen to close.
    sessions: Arc<Mutex<HashMap<HubId, usize>>>,
}

impl Registry {
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        let conn = db::open(path)?;
        Ok(Registry {
            db: Arc::new(Mutex::new(conn)),
            sessions: Arc::default(),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, RegistryError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(|e| RegistryError::Worker(e.to_string()))?
        .map_err(RegistryError::Db)
    }

    /// Records the hub owning `public_key` (32 bytes, checked by the caller) and returns its
    /// id. Registering again with the same key changes nothing but the name.
    pub async fn register(
        &self,
        public_key: Vec<u8>,
        name: String,
        now: i64,
    ) -> Result<HubId, RegistryError> {
        let id = HubId::of_public_key(&public_key);
        let key = id.clone();
        self.with(move |c| db::upsert(c, &key, &public_key, &name, now))
            .await?;
        Ok(id)
    }

    pub async fn get(&self, id: &HubId) -> Result<Option<HubRecord>, RegistryError> {
        let id = id.clone();
        self.with(move |c| db::get(c, &id)).await
    }

    /// Keeps a hub's summary (JSON, at most 4 KiB) with its sequence; `false` when a newer
    /// one is kept already (a late duplicate changes nothing).
    pub async fn set_summary(
        &self,
        id: &HubId,
        seq: i64,
        summary: String,
    ) -> Result<bool, RegistryError> {
        let id = id.clone();
        self.with(move |c| db::set_summary(c, &id, seq, &summary))
            .await
    }

    /// A link session of `id` began on this node.
    pub async fn link_up(&self, id: &HubId, now: i64) -> Result<(), RegistryError> {
        let first = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            let n = sessions.entry(id.clone()).or_default();
            *n += 1;
            *n == 1
        };
        if first {
            let id = id.clone();
            self.with(move |c| db::set_online(c, &id, now)).await?;
        }
        Ok(())
    }

    /// A link session of `id` ended on this node; `true` when it was the last one (the hub
    /// is gone from this node).
    pub async fn link_down(&self, id: &HubId, now: i64) -> Result<bool, RegistryError> {
        let last = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            match sessions.get_mut(id) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    sessions.remove(id);
                    true
                }
                None => false,
            }
        };
        if last {
            let id = id.clone();
            self.with(move |c| db::set_offline(c, &id, now)).await?;
        }
        Ok(last)
    }

    /// How many hubs have their link up on this node.
    pub fn linked_count(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Whether `id`'s link is up on this node.
    pub fn linked_here(&self, id: &HubId) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hub_is_registered_once_and_its_link_is_tracked() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(&dir.path().join("relay.db")).unwrap();
        let key = cloud_link::HubKey::generate().unwrap();
        let id = registry
            .register(key.public_key().to_vec(), "Sea View".into(), 100)
            .await
            .unwrap();
        assert_eq!(id, key.id());
        let again = registry
            .register(key.public_key().to_vec(), "Sea View Inn".into(), 200)
            .await
            .unwrap();
        assert_eq!(again, id);
        registry.link_up(&id, 300).await.unwrap();
        registry.link_up(&id, 301).await.unwrap();
        assert!(!registry.link_down(&id, 302).await.unwrap());
        let record = registry.get(&id).await.unwrap().unwrap();
        assert_eq!(record.name, "Sea View Inn");
        assert!(registry
            .set_summary(&id, 5, "{\"unanswered\":2}".into())
            .await
            .unwrap());
        assert!(!registry
            .set_summary(&id, 4, "{\"unanswered\":9}".into())
            .await
            .unwrap());
        let kept = registry.get(&id).await.unwrap().unwrap().summary;
        assert_eq!(kept.as_deref(), Some("{\"unanswered\":2}"));
        assert_eq!(record.online_since, Some(300));
        assert!(registry.linked_here(&id));
        assert!(registry.link_down(&id, 303).await.unwrap());
        let record = registry.get(&id).await.unwrap().unwrap();
        assert_eq!(
            (record.online_since, record.offline_since),
            (None, Some(303))
        );
        assert!(!registry.linked_here(&id));
        let unknown = HubId::parse("0000000000aaaaaaaaaa").unwrap();
        assert_eq!(registry.get(&unknown).await.unwrap(), None);
    }
}
