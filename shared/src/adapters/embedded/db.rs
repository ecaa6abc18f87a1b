//! The embedded database: one redb file holding every table of the embedded stores.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, TableDefinition};

use crate::ports::StoreError;

/// The file name under the data folder.
pub const DB_FILE: &str = "relay.redb";

pub(crate) const CONNECTIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("connections");
/// owner claim key -> connection id.
pub(crate) const CONNECTION_OWNERS: TableDefinition<&str, &str> =
    TableDefinition::new("connection_owners");
/// (end user, created ms, connection id).
pub(crate) const CONNECTIONS_BY_END_USER: TableDefinition<(&str, i64, &str), ()> =
    TableDefinition::new("connections_by_end_user");
/// (workspace id, connection id): routes Notion webhook events to a workspace's connections.
pub(crate) const CONNECTIONS_BY_WORKSPACE: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("connections_by_workspace");
/// (shard, next sync ms, connection id): active connections with a next sync time.
pub(crate) const CONNECTIONS_DUE: TableDefinition<(u16, i64, &str), ()> =
    TableDefinition::new("connections_due");

/// (connection, model, record id) -> record JSON.
pub(crate) const RECORDS: TableDefinition<(&str, &str, &str), &[u8]> =
    TableDefinition::new("records");
/// (connection, model, cursor) -> record id: the change stream.
pub(crate) const RECORD_CHANGES: TableDefinition<(&str, &str, u64), &str> =
    TableDefinition::new("record_changes");
/// (connection, model) -> last cursor handed out.
pub(crate) const RECORD_CURSORS: TableDefinition<(&str, &str), u64> =
    TableDefinition::new("record_cursors");

pub(crate) const CHECKPOINTS: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoints");
/// (connection, scope) -> lease JSON.
pub(crate) const LEASES: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("leases");
/// (connection, started ms, run id) -> run JSON.
pub(crate) const RUNS: TableDefinition<(&str, i64, &str), &[u8]> = TableDefinition::new("runs");

/// storage key -> item JSON.
pub(crate) const EPHEMERAL: TableDefinition<&str, &[u8]> = TableDefinition::new("ephemeral");
/// (expires ms, storage key): lets writes purge expired items cheaply.
pub(crate) const EPHEMERAL_EXPIRY: TableDefinition<(i64, &str), ()> =
    TableDefinition::new("ephemeral_expiry");

/// dead letter id -> dead letter JSON (undelivered app webhooks).
pub(crate) const DEAD_LETTERS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("app_webhook_dead_letters");

/// A shared handle on the database file. Cloning is cheap; all stores of one process share one.
#[derive(Clone)]
pub struct EmbeddedDb {
    db: Arc<Database>,
    path: PathBuf,
}

impl std::fmt::Debug for EmbeddedDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedDb")
            .field("path", &self.path)
            .finish()
    }
}

impl EmbeddedDb {
    /// Opens (or creates) `data_dir/relay.redb`, creating the folder and every table.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(data_dir).map_err(StoreError::backend)?;
        let path = data_dir.join(DB_FILE);
        let db = Database::create(&path)?;
        let txn = db.begin_write()?;
        {
            txn.open_table(CONNECTIONS)?;
            txn.open_table(CONNECTION_OWNERS)?;
            txn.open_table(CONNECTIONS_BY_END_USER)?;
            txn.open_table(CONNECTIONS_DUE)?;
            backfill_workspace_index(&txn)?;
            txn.open_table(RECORDS)?;
            txn.open_table(RECORD_CHANGES)?;
            txn.open_table(RECORD_CURSORS)?;
            txn.open_table(CHECKPOINTS)?;
            txn.open_table(LEASES)?;
            txn.open_table(RUNS)?;
            txn.open_table(EPHEMERAL)?;
            txn.open_table(EPHEMERAL_EXPIRY)?;
            txn.open_table(DEAD_LETTERS)?;
        }
        txn.commit()?;
        Ok(Self {
            db: Arc::new(db),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs blocking database work off the async runtime.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|err| StoreError::Backend(format!("database task failed: {err}")))?
    }
}

/// Fills the workspace index from the connections when it is empty (a file created before the
/// index existed); a no-op otherwise.
fn backfill_workspace_index(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    use redb::ReadableTableMetadata;
    let mut index = txn.open_table(CONNECTIONS_BY_WORKSPACE)?;
    if !index.is_empty()? {
        return Ok(());
    }
    let connections = txn.open_table(CONNECTIONS)?;
    for entry in redb::ReadableTable::iter(&connections)? {
        let (id, value) = entry?;
        let connection: crate::domain::Connection = decode(value.value())?;
        index.insert((connection.workspace.id.as_str(), id.value()), ())?;
    }
    Ok(())
}

/// Creates `dir` (and parents) if missing; a folder this creates is owner-only (0700), since it
/// holds customers' synced content.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|err| StoreError::Invalid(err.to_string()))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(StoreError::corrupt)
}

/// Up to `limit` decoded values of a table keyed by id, in key order, after the key `after`
/// (from the start when `None`): one page of a listing.
pub(crate) fn page_after<T: serde::de::DeserializeOwned>(
    db: &Database,
    table: TableDefinition<&str, &[u8]>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    let txn = db.begin_read()?;
    let table = txn.open_table(table)?;
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut found = Vec::new();
    for entry in table.range::<&str>((start, Bound::Unbounded))?.take(limit) {
        let (_, value) = entry?;
        found.push(decode(value.value())?);
    }
    Ok(found)
}

macro_rules! backend_error_from {
    ($($error:ty),*) => {
        $(impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                StoreError::Backend(error.to_string())
            }
        })*
    };
}

backend_error_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
