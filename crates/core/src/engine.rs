//! The engine: one SQLite connection per database, operations serialized on it.

use std::path::Path;

use crate::error::{Error, Result};
use crate::types::*;

pub struct Engine {
    _private: (),
}

fn not_yet() -> Error {
    Error::internal("not implemented yet")
}

impl Engine {
    pub fn open(_path: &str, _options: OpenOptions) -> Result<Engine> {
        Err(not_yet())
    }
    pub fn create_collection(&self, _config: &CollectionConfig) -> Result<()> {
        Err(not_yet())
    }
    pub fn collection_exists(&self, _name: &str) -> Result<bool> {
        Err(not_yet())
    }
    pub fn list_collections(&self) -> Result<Vec<CollectionInfo>> {
        Err(not_yet())
    }
    pub fn collection_info(&self, _name: &str) -> Result<CollectionInfo> {
        Err(not_yet())
    }
    pub fn insert(&self, _collection: &str, _point: &NewPoint) -> Result<()> {
        Err(not_yet())
    }
    pub fn insert_batch(&self, _collection: &str, _points: &[NewPoint]) -> Result<()> {
        Err(not_yet())
    }
    pub fn search(&self, _query: &SearchQuery) -> Result<Vec<SearchHit>> {
        Err(not_yet())
    }
    pub fn get(&self, _collection: &str, _id: i64) -> Result<Option<StoredPoint>> {
        Err(not_yet())
    }
    pub fn delete(&self, _collection: &str, _id: i64) -> Result<bool> {
        Err(not_yet())
    }
    pub fn delete_collection(&self, _name: &str) -> Result<()> {
        Err(not_yet())
    }
    pub fn export_snapshot(&self, _dest: &Path) -> Result<SnapshotMetadata> {
        Err(not_yet())
    }
    pub fn import_snapshot(&self, _src: &Path) -> Result<ImportSummary> {
        Err(not_yet())
    }
    pub fn digest(&self) -> Result<String> {
        Err(not_yet())
    }
    pub fn close(&self) -> Result<()> {
        Err(not_yet())
    }
}
