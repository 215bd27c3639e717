//! The hub registry: which hubs exist (id and public key; never a secret), and whether each
//! one's link is up, on which relay node, or since when it is down. In the relay's store:
//! SQLite on a single node, PostgreSQL shared by a cluster's nodes.

mod db;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cloud_link::HubId;

use crate::store::{Sql, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the registry's database failed: {0}")]
    Db(#[from] StoreError),
}

/// A node not heard from for this long (seconds) has lost its links: its hubs show as
/// offline since its last heartbeat.
pub const NODE_TIMEOUT_SECS: i64 = 15;
/// How often a node says it is alive (seconds).
pub const HEARTBEAT_SECS: u64 = 5;

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
    /// The relay node holding the link while it is up.
    pub linked_node: Option<String>,
}

#[derive(Clone)]
pub struct Registry {
    db: Store,
    /// This relay node's name (unique in a cluster).
    node: Arc<str>,
    /// Link sessions per hub on this node: a hub reconnecting opens its new session
    /// before the old one is seen to close.
    sessions: Arc<Mutex<HashMap<HubId, usize>>>,
}

impl Registry {
    /// The registry in `store` as node `node` sees it; the links this node held before it
    /// stopped are recorded as ended.
    pub async fn open(store: Store, node: &str, now: i64) -> Result<Registry, RegistryError> {
        store.ensure(&db::SCHEMA).await?;
        let name = node.to_owned();
        store.run(move |c| db::open(c, &name, now)).await?;
        Ok(Registry {
            db: store,
            node: node.into(),
            sessions: Arc::default(),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        self.db.run(|c| f(c).map_err(RegistryError::Db)).await
    }

    /// Says this node is alive at `now` and takes down the links of nodes that are not;
    /// the number of hubs that took down.
    pub async fn heartbeat(&self, now: i64) -> Result<u64, RegistryError> {
        let node = self.node.clone();
        self.with(move |c| db::heartbeat(c, &node, now, now - NODE_TIMEOUT_SECS))
            .await
    }

    /// The relay nodes alive at `now`, by name.
    pub async fn live_nodes(&self, now: i64) -> Result<Vec<String>, RegistryError> {
        self.with(move |c| db::live_nodes(c, now - NODE_TIMEOUT_SECS))
            .await
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
            let (id, node) = (id.clone(), self.node.clone());
            self.with(move |c| db::set_online(c, &id, &node, now))
                .await?;
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
            let (id, node) = (id.clone(), self.node.clone());
            self.with(move |c| db::set_offline(c, &id, &node, now))
                .await?;
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
        let store = Store::sqlite(&dir.path().join("relay.db")).unwrap();
        let registry = Registry::open(store, "r1", 50).await.unwrap();
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

    #[tokio::test]
    async fn a_link_moves_between_nodes_and_a_silent_nodes_links_go_down() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::sqlite(&dir.path().join("relay.db")).unwrap();
        let r1 = Registry::open(store.clone(), "r1", 100).await.unwrap();
        let r2 = Registry::open(store, "r2", 100).await.unwrap();
        let key = cloud_link::HubKey::generate().unwrap();
        let id = r1
            .register(key.public_key().to_vec(), "Sea View".into(), 100)
            .await
            .unwrap();
        r1.heartbeat(100).await.unwrap();
        r2.heartbeat(100).await.unwrap();
        r1.link_up(&id, 101).await.unwrap();
        // The hub moves to r2 before r1 sees its old link end: it stays online.
        r2.link_up(&id, 110).await.unwrap();
        assert!(r1.link_down(&id, 111).await.unwrap());
        let record = r2.get(&id).await.unwrap().unwrap();
        assert_eq!(record.online_since, Some(110));
        assert_eq!(record.linked_node.as_deref(), Some("r2"));
        // r2 falls silent; r1's heartbeat takes r2's links down as of r2's last one.
        r2.heartbeat(120).await.unwrap();
        assert_eq!(r1.heartbeat(130).await.unwrap(), 0);
        assert_eq!(r1.heartbeat(136).await.unwrap(), 1);
        let record = r1.get(&id).await.unwrap().unwrap();
        assert_eq!(
            (record.online_since, record.offline_since),
            (None, Some(120))
        );
        assert_eq!(r1.live_nodes(136).await.unwrap(), vec!["r1".to_owned()]);
    }
}
