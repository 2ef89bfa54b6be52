use super::common::*;
use vectorxlite_core::*;

fn filled(name: &str, distance: Distance, n: i64, dim: usize, seed: u64) -> (Engine, Vec<(i64, Vec<f32>)>) {
    let db = memory();
    db.create_collection(&config(name, dim as u32, distance)).unwrap();
    let mut rng = Rng::new(seed);
    let points: Vec<(i64, Vec<f32>)> = (0..n).map(|i| (i * 3 + 1, rng.vector(dim))).collect();
    let batch: Vec<NewPoint> = points.iter().map(|(id, v)| point(*id, v.clone(), None)).collect();
    db.insert_batch(name, &batch).unwrap();
    (db, points)
}

#[test]
fn every_distance_matches_brute_force() {
    for distance in [Distance::Cosine, Distance::L2, Distance::Ip] {
        let (db, points) = filled("d", distance, 300, 8, 1);
        let mut rng = Rng::new(77);
        for _ in 0..20 {
            let q = rng.vector(8);
            let hits = db.search(&SearchQuery { ef: Some(400), ..query("d", q.clone(), 10) }).unwrap();
            let truth = brute_top_k(distance, &points, &q, 10);
            assert_eq!(hits.len(), 10);
            for (hit, (id, d)) in hits.iter().zip(&truth) {
                assert_eq!(hit.id, *id, "{distance:?}");
                assert!((hit.distance as f64 - d).abs() < 1e-4, "{distance:?}: {} vs {d}", hit.distance);
                assert!(hit.payload.is_empty());
            }
        }
    }
}

/// The default ef must reach recall@10 >= 0.95 on 10,000 random 64-dimensional vectors.
#[test]
fn default_ef_recall_at_10() {
    let (db, points) = filled("r", Distance::Cosine, 10_000, 64, 2);
    let mut rng = Rng::new(99);
    let queries = 100;
    let mut found = 0;
    for _ in 0..queries {
        let q = rng.vector(64);
        let truth: Vec<i64> = brute_top_k(Distance::Cosine, &points, &q, 10).into_iter().map(|t| t.0).collect();
        let hits = db.search(&query("r", q, 10)).unwrap();
        found += hits.iter().filter(|h| truth.contains(&h.id)).count();
    }
    let recall = found as f64 / (queries * 10) as f64;
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

#[test]
fn search_ef_overrides_default() {
    let (db, points) = filled("e", Distance::L2, 2000, 16, 3);
    let mut rng = Rng::new(5);
    let q = rng.vector(16);
    let truth: Vec<i64> = brute_top_k(Distance::L2, &points, &q, 10).into_iter().map(|t| t.0).collect();
    let wide = db.search(&SearchQuery { ef: Some(2000), ..query("e", q.clone(), 10) }).unwrap();
    assert_eq!(wide.iter().map(|h| h.id).collect::<Vec<_>>(), truth);
    assert_eq!(db.search(&SearchQuery { ef: Some(1), ..query("e", q, 10) }).unwrap().len(), 10);
}

fn shop() -> (Engine, Vec<(i64, Vec<f32>)>) {
    let db = memory();
    db.create_collection(&with_schema("t", 4, "CREATE TABLE t (rowid INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, tag TEXT)")).unwrap();
    db.create_collection(&with_schema("u", 4, "CREATE TABLE u (rowid INTEGER PRIMARY KEY, tag TEXT, label TEXT)")).unwrap();
    let mut rng = Rng::new(11);
    let mut points = Vec::new();
    let batch: Vec<NewPoint> = (0..500i64)
        .map(|i| {
            let v = rng.vector(4);
            points.push((i, v.clone()));
            let sql = format!("INSERT INTO t(name, price, tag) VALUES ('item {i}', {}, 'tag{}')", i, i % 5);
            point(i, v, Some(&sql))
        })
        .collect();
    db.insert_batch("t", &batch).unwrap();
    for k in 0..5 {
        let sql = format!("INSERT INTO u(tag, label) VALUES ('tag{k}', 'label {k}')");
        db.insert("u", &point(k, vec![1.0, 0.0, 0.0, 0.0], Some(&sql))).unwrap();
    }
    (db, points)
}

fn filtered(sql: &str, top_k: u32) -> SearchQuery {
    SearchQuery { payload_search_query: Some(sql.to_string()), ..query("t", vec![0.3, -0.2, 0.9, 0.1], top_k) }
}

#[test]
fn filter_select_star_returns_nearest_matching_rows() {
    let (db, points) = shop();
    let hits = db.search(&filtered("SELECT * FROM t WHERE price < 150", 10)).unwrap();
    let matching: Vec<(i64, Vec<f32>)> = points.iter().filter(|(id, _)| *id < 150).cloned().collect();
    let truth = brute_top_k(Distance::Cosine, &matching, &[0.3, -0.2, 0.9, 0.1], 10);
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), truth.iter().map(|t| t.0).collect::<Vec<_>>());
    let h = &hits[0];
    assert_eq!(h.payload.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["rowid", "name", "price", "tag"]);
    assert_eq!(h.payload[0].1, Value::Integer(h.id));
    assert_eq!(h.payload[1].1, Value::Text(format!("item {}", h.id)));
    assert_eq!(h.payload[2].1, Value::Real(h.id as f64));
}

#[test]
fn filter_without_id_column_and_with_join() {
    let (db, _) = shop();
    let hits = db.search(&filtered("SELECT name FROM t WHERE tag = 'tag3'", 5)).unwrap();
    assert_eq!(hits.len(), 5);
    for h in &hits {
        assert_eq!(h.id % 5, 3);
        assert_eq!(h.payload, vec![("name".to_string(), Value::Text(format!("item {}", h.id)))]);
    }
    let join = "SELECT t.name, u.label FROM t JOIN u ON u.tag = t.tag WHERE u.label = 'label 2'";
    let hits = db.search(&filtered(join, 7)).unwrap();
    assert_eq!(hits.len(), 7);
    for h in &hits {
        assert_eq!(h.id % 5, 2);
        assert_eq!(h.payload[1], ("label".to_string(), Value::Text("label 2".into())));
    }
    let aliased = "SELECT x.name FROM u JOIN t AS x ON x.tag = u.tag WHERE u.label = 'label 1'";
    assert!(db.search(&filtered(aliased, 3)).unwrap().iter().all(|h| h.id % 5 == 1));
}

#[test]
fn filter_matching_fewer_than_top_k_and_almost_everything() {
    let (db, points) = shop();
    let few = db.search(&filtered("SELECT name FROM t WHERE price IN (3, 17, 499)", 10)).unwrap();
    let mut ids: Vec<i64> = few.iter().map(|h| h.id).collect();
    ids.sort();
    assert_eq!(ids, [3, 17, 499]);
    assert!(db.search(&filtered("SELECT * FROM t WHERE price > 10000", 10)).unwrap().is_empty());
    let almost = db.search(&filtered("SELECT * FROM t WHERE price <> 250", 20)).unwrap();
    let matching: Vec<(i64, Vec<f32>)> = points.iter().filter(|(id, _)| *id != 250).cloned().collect();
    let truth = brute_top_k(Distance::Cosine, &matching, &[0.3, -0.2, 0.9, 0.1], 20);
    assert_eq!(almost.iter().map(|h| h.id).collect::<Vec<_>>(), truth.iter().map(|t| t.0).collect::<Vec<_>>());
    for (h, (_, d)) in almost.iter().zip(&truth) {
        assert!((h.distance as f64 - d).abs() < 1e-4);
    }
}

/// Past the exact-search budget the filter is pushed down into HNSW; results must still
/// be min(topK, matches), all matching.
#[test]
fn large_filter_uses_index_pushdown_and_never_returns_fewer() {
    let db = memory();
    // 4000 matches x 256 dimensions is past the 2^20 exact-search budget.
    db.create_collection(&with_schema("big", 256, "CREATE TABLE big (rowid INTEGER PRIMARY KEY, k INTEGER)")).unwrap();
    let mut rng = Rng::new(4);
    let batch: Vec<NewPoint> = (0..8000i64)
        .map(|i| point(i, rng.vector(256), Some(&format!("INSERT INTO big(k) VALUES ({})", i % 2))))
        .collect();
    db.insert_batch("big", &batch).unwrap();
    let q = SearchQuery {
        payload_search_query: Some("SELECT k FROM big WHERE k = 1".into()),
        ..query("big", rng.vector(256), 50)
    };
    let hits = db.search(&q).unwrap();
    assert_eq!(hits.len(), 50);
    assert!(hits.iter().all(|h| h.id % 2 == 1 && h.payload == vec![("k".to_string(), Value::Integer(1))]));
    assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
}

#[test]
fn typed_payload_values() {
    let db = memory();
    db.create_collection(&with_schema("p", 2, "CREATE TABLE p (rowid INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, n TEXT, b BLOB)")).unwrap();
    db.insert("p", &point(1, vec![1.0, 0.0], Some("INSERT INTO p(i, r, s, n, b) VALUES (-7, 2.5, 'it''s', NULL, x'00ff10')"))).unwrap();
    let expected = vec![
        ("rowid".to_string(), Value::Integer(1)),
        ("i".to_string(), Value::Integer(-7)),
        ("r".to_string(), Value::Real(2.5)),
        ("s".to_string(), Value::Text("it's".into())),
        ("n".to_string(), Value::Null),
        ("b".to_string(), Value::Blob(vec![0, 255, 16])),
    ];
    assert_eq!(db.get("p", 1).unwrap().unwrap().payload, expected);
    let q = SearchQuery { payload_search_query: Some("SELECT * FROM p".into()), ..query("p", vec![1.0, 0.0], 1) };
    assert_eq!(db.search(&q).unwrap()[0].payload, expected);
}
