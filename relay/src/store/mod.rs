//! The relay's SQL database, one front door for both kinds: a SQLite file on a single node
//! (WAL, `synchronous=FULL`), PostgreSQL when nodes share their state (`[cluster]`). The
//! registry and the accounts write their statements once, in the dialect both accept
//! (`$1` placeholders, `ON CONFLICT`, `RETURNING`), each with its own schema per kind.

mod postgres;
mod sqlite;

use std::path::Path;
use std::sync::{Arc, Mutex};

/// One value in or out of a statement. Integers are 64-bit on both kinds (PostgreSQL
/// columns are `BIGINT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

/// The arguments of a statement: `args![a, b]`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { &[$($crate::store::Value::from($v)),*][..] };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", postgres_message(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("column {column} is {found}, not {wanted}")]
    Type {
        column: usize,
        found: &'static str,
        wanted: &'static str,
    },
    #[error("the database's worker thread failed: {0}")]
    Worker(String),
}

/// What the server said, where it said something ("db error" alone says nothing).
fn postgres_message(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

/// A row as read: its columns in the statement's order.
pub struct Row(Vec<Value>);

impl Row {
    fn at(&self, column: usize) -> &Value {
        self.0.get(column).unwrap_or(&Value::Null)
    }

    fn wrong(&self, column: usize, wanted: &'static str) -> StoreError {
        let found = match self.at(column) {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
        };
        StoreError::Type {
            column,
            found,
            wanted,
        }
    }

    pub fn int(&self, column: usize) -> Result<i64, StoreError> {
        match self.at(column) {
            Value::Int(v) => Ok(*v),
            _ => Err(self.wrong(column, "an integer")),
        }
    }

    pub fn opt_int(&self, column: usize) -> Result<Option<i64>, StoreError> {
        match self.at(column) {
            Value::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    pub fn text(&self, column: usize) -> Result<String, StoreError> {
        match self.at(column) {
            Value::Text(v) => Ok(v.clone()),
            _ => Err(self.wrong(column, "text")),
        }
    }

    pub fn opt_text(&self, column: usize) -> Result<Option<String>, StoreError> {
        match self.at(column) {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    pub fn bytes(&self, column: usize) -> Result<Vec<u8>, StoreError> {
        match self.at(column) {
            Value::Bytes(v) => Ok(v.clone()),
            _ => Err(self.wrong(column, "bytes")),
        }
    }
}

/// Statements inside one transaction.
pub trait Sql {
    /// Runs a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; its rows.
    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// Which kind of database this is, for what only one of them says (schemas).
    fn dialect(&self) -> Dialect;
    /// Runs several statements without arguments.
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// The first row, if any.
    fn row(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, args)?.into_iter().next())
    }
}

/// Each kind's schema: what the tables look like there.
pub struct Schema {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The database, shared by the relay's capabilities (cheap to clone).
#[derive(Clone)]
pub struct Store {
    kind: Arc<Kind>,
}

enum Kind {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(postgres::Pool),
}

impl Store {
    /// The single node's SQLite file.
    pub fn sqlite(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            kind: Arc::new(Kind::Sqlite(Mutex::new(sqlite::open(path)?))),
        })
    }

    /// A PostgreSQL database by its libpq connection string
    /// (`host=… port=… user=… dbname=…`), with `connections` kept open.
    pub fn postgres(config: &str, connections: usize) -> Result<Store, StoreError> {
        Ok(Store {
            kind: Arc::new(Kind::Postgres(postgres::Pool::connect(
                config,
                connections,
            )?)),
        })
    }

    /// Makes the tables of `schema` where they are missing (nodes starting together take
    /// turns on PostgreSQL).
    pub async fn ensure(&self, schema: &'static Schema) -> Result<(), StoreError> {
        self.run(move |sql| match sql.dialect() {
            Dialect::Sqlite => sql.batch(schema.sqlite),
            Dialect::Postgres => {
                sql.exec("SELECT pg_advisory_xact_lock(72616)", &[])?;
                sql.batch(schema.postgres)
            }
        })
        .await
    }

    /// Runs `f` in one transaction on a worker thread: committed when it returns `Ok`,
    /// rolled back otherwise.
    pub async fn run<T, E>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let kind = self.kind.clone();
        tokio::task::spawn_blocking(move || match &*kind {
            Kind::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                sqlite::transaction(&mut conn, f)
            }
            Kind::Postgres(pool) => pool.transaction(f),
        })
        .await
        .map_err(|e| E::from(StoreError::Worker(e.to_string())))?
    }
}

/// Which SQL a statement may use beyond the common part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[cfg(test)]
mod tests {
    use super::*;

    static SCHEMA: Schema = Schema {
        sqlite:
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT, key BLOB) STRICT;",
        postgres: "",
    };

    #[tokio::test]
    async fn values_go_in_and_come_back_and_a_failed_transaction_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::sqlite(&dir.path().join("s.db")).unwrap();
        store.ensure(&SCHEMA).await.unwrap();
        let id = store
            .run(|sql| {
                let row = sql.row(
                    "INSERT INTO t (name, key) VALUES ($1, $2) RETURNING id",
                    args!["Sea View", &b"\x00\x01"[..]],
                )?;
                row.map(|r| r.int(0)).transpose()
            })
            .await
            .unwrap()
            .unwrap();
        let failed: Result<(), StoreError> = store
            .run(move |sql| {
                sql.exec("DELETE FROM t WHERE id = $1", args![id])?;
                sql.exec("INSERT INTO nowhere VALUES (1)", &[])?;
                Ok(())
            })
            .await;
        assert!(failed.is_err());
        let (name, key, none) = store
            .run(move |sql| {
                let r = sql
                    .row("SELECT name, key, NULL FROM t WHERE id = $1", args![id])?
                    .expect("the row stayed");
                Ok::<_, StoreError>((r.text(0)?, r.bytes(1)?, r.opt_int(2)?))
            })
            .await
            .unwrap();
        assert_eq!((name.as_str(), key, none), ("Sea View", vec![0, 1], None));
    }
}
