//! The cluster's kind: PostgreSQL through the synchronous `postgres` client (on the
//! store's worker threads), a few connections kept open and made again when one breaks.
//! The relays reach PostgreSQL on the cluster's own network, so without TLS.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls};

use super::{Dialect, Row, Sql, StoreError, Value};

pub(super) struct Pool {
    config: postgres::Config,
    slots: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
}

impl Pool {
    /// Connects the first connection now, so a wrong address is said at start.
    pub(super) fn connect(config: &str, connections: usize) -> Result<Pool, StoreError> {
        let config: postgres::Config = config.parse()?;
        let first = config.connect(NoTls)?;
        let mut slots = vec![Mutex::new(Some(first))];
        slots.extend((1..connections.max(1)).map(|_| Mutex::new(None)));
        Ok(Pool {
            config,
            slots,
            next: AtomicUsize::new(0),
        })
    }

    pub(super) fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(self.config.connect(NoTls).map_err(StoreError::from)?);
        }
        let Some(client) = slot.as_mut() else {
            return Err(StoreError::Worker("no connection".into()).into());
        };
        let out = (|| {
            let mut tx = Tx(client.transaction().map_err(StoreError::from)?);
            let out = f(&mut tx)?;
            tx.0.commit().map_err(StoreError::from)?;
            Ok(out)
        })();
        if client.is_closed() {
            *slot = None;
        }
        out
    }
}

struct Tx<'c>(postgres::Transaction<'c>);

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bytes(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn params(args: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

fn value(row: &postgres::Row, i: usize) -> Result<Value, StoreError> {
    let ty = row.columns()[i].type_().clone();
    let v = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map(|v| Value::Int(v.into())),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes),
        _ => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
    };
    Ok(v.unwrap_or(Value::Null))
}

impl Sql for Tx<'_> {
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, StoreError> {
        Ok(self.0.execute(sql, &params(args))?)
    }

    fn rows(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError> {
        let rows = self.0.query(sql, &params(args))?;
        rows.iter()
            .map(|r| {
                let values: Result<Vec<Value>, StoreError> =
                    (0..r.len()).map(|i| value(r, i)).collect();
                values.map(Row)
            })
            .collect()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.0.batch_execute(sql)?)
    }
}
