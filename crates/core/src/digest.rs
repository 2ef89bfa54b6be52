//! A deterministic SHA-256 over everything a collection holds, so replicas that applied
//! the same commands can prove they hold the same data. Every field is length-prefixed
//! or fixed-width so distinct contents can never hash the same byte stream.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::catalog::Collection;
use crate::error::Result;
use crate::names::{quote, vectors_table};

fn put_bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_le_bytes());
    h.update(b);
}

pub fn compute(conn: &Connection, collections: &[Collection]) -> Result<String> {
    let mut h = Sha256::new();
    h.update(b"vectorxlite-digest-v1");
    h.update((collections.len() as u64).to_le_bytes());
    for c in collections {
        put_bytes(&mut h, c.name.as_bytes());
        h.update(c.dimension.to_le_bytes());
        put_bytes(&mut h, c.distance.as_str().as_bytes());
        h.update(c.m.to_le_bytes());
        h.update(c.ef_construction.to_le_bytes());
        h.update(c.max_elements.to_le_bytes());
        match &c.payload_schema {
            Some(s) => put_bytes(&mut h, s.as_bytes()),
            None => h.update([0xff]),
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT v.id, v.vector, p.* FROM {} v LEFT JOIN main.{} p ON p.rowid = v.id ORDER BY v.id",
            quote(&vectors_table(&c.name)),
            quote(&c.name)
        ))?;
        let names: Vec<String> = stmt.column_names().iter().skip(2).map(|s| s.to_string()).collect();
        h.update((names.len() as u64).to_le_bytes());
        for n in &names {
            put_bytes(&mut h, n.as_bytes());
        }
        let mut rows = stmt.query([])?;
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            count += 1;
            h.update(row.get::<_, i64>(0)?.to_le_bytes());
            put_bytes(&mut h, row.get_ref(1)?.as_blob()?);
            for i in 0..names.len() {
                match row.get_ref(i + 2)? {
                    ValueRef::Null => h.update([0]),
                    ValueRef::Integer(v) => {
                        h.update([1]);
                        h.update(v.to_le_bytes());
                    }
                    ValueRef::Real(v) => {
                        h.update([2]);
                        h.update(v.to_bits().to_le_bytes());
                    }
                    ValueRef::Text(t) => {
                        h.update([3]);
                        put_bytes(&mut h, t);
                    }
                    ValueRef::Blob(b) => {
                        h.update([4]);
                        put_bytes(&mut h, b);
                    }
                }
            }
        }
        h.update(count.to_le_bytes());
    }
    Ok(hex::encode(h.finalize()))
}
