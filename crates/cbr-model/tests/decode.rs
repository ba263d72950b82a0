//! Decoding response bodies: the seed's responses and the documentation's example survive a
//! decode → encode round trip with every key and value.

use cbr_model::{Backup, ListBackupsResponse, ResourceType, RestoreMode, Status};
use proptest::prelude::*;
use serde_json::Value;

const SEED_1: &str = include_str!("fixtures/seed_list_1.json");
const SEED_2: &str = include_str!("fixtures/seed_list_2.json");
const DOCS: &str = include_str!("fixtures/docs_example.json");

fn decode(text: &str) -> ListBackupsResponse {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("decoding fixture: {e}"))
}

/// Every path of `original` must be in `written` with the same value, except where a
/// documented normalisation applies (a number given for a string field).
fn assert_contains(original: &Value, written: &Value, path: &str) {
    match (original, written) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{path}.{key}");
                let other = b.get(key).unwrap_or_else(|| panic!("{here} was dropped"));
                assert_contains(value, other, &here);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: length changed");
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                assert_contains(x, y, &format!("{path}[{index}]"));
            }
        }
        (Value::Number(n), Value::String(s)) if path.ends_with("enterprise_project_id") => {
            assert_eq!(n.to_string(), *s, "{path}");
        }
        _ => assert_eq!(original, written, "{path}"),
    }
}

#[test]
fn every_key_of_every_fixture_survives_a_round_trip() {
    for (name, text) in [("seed 1", SEED_1), ("seed 2", SEED_2), ("docs", DOCS)] {
        let original: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = serde_json::to_value(decode(text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_contains(&original, &written, name);
    }
}

#[test]
fn seed_backups_keep_undocumented_extend_info() {
    let page = decode(SEED_1);
    assert_eq!(page.count, Some(1663));
    let backup = &page.backups[0];
    assert_eq!(backup.id(), "62617971-839d-4d23-8dfd-4ca65c039bdf");
    let info = backup.extend_info.as_ref().unwrap_or_else(|| panic!("no extend_info"));
    assert_eq!(info.extra["architecture"], "x86_64");
    assert_eq!(info.extra["app_consistency"]["app_consistency_status"], "0");
    assert_eq!(info.supported_restore_mode, Some(RestoreMode::Backup));
    assert_eq!(backup.resource_type, Some(ResourceType::NovaServer));
    let created = backup.created_at.as_ref().and_then(|t| t.to_utc());
    assert_eq!(created.map(|t| t.timestamp()), Some(1_597_730_445));
}

#[test]
fn decoded_fixtures() {
    insta::assert_debug_snapshot!("seed_list_1", decode(SEED_1));
    insta::assert_debug_snapshot!("seed_list_2", decode(SEED_2));
    insta::assert_debug_snapshot!("docs_example", decode(DOCS));
}

#[test]
fn tolerates_what_the_service_is_known_to_send() {
    let body = r#"{"count":"3","backups":[
        {"id":"a","resource_size":"40","status":"frozen","children":null,
         "extend_info":{"os_images_data":null,"supported_restore_mode":null}},
        {"id":"b","enterprise_project_id":0,"resource_type":"OS::Sfs::Turbo","resource_size":40.0}
    ]}"#;
    let page = decode(body);
    assert_eq!(page.count, Some(3));
    assert_eq!(page.backups[0].resource_size, Some(40));
    assert_eq!(page.backups[0].status, Some(Status::Unknown("frozen".into())));
    assert_eq!(page.backups[0].children, None);
    assert_eq!(page.backups[1].enterprise_project_id.as_deref(), Some("0"));
    assert_eq!(page.backups[1].resource_type, Some(ResourceType::SfsTurbo));
    let empty = decode(r#"{"backups":null}"#);
    assert!(empty.backups.is_empty());
    assert_eq!(empty.count, None);
}

fn arb_backup() -> impl Strategy<Value = Backup> {
    let text = "[a-z0-9-]{0,10}";
    (
        prop::option::of(text),
        prop::option::of(text),
        prop::option::of(any::<u64>()),
        prop::option::of(prop::sample::select(vec!["available", "error", "frozen"])),
        prop::option::of("2020-0[1-9]-1[0-9]T0[0-9]:00:00(\\.[0-9]{6})?"),
        prop::option::of(any::<bool>()),
        prop::collection::vec(("x_[a-z]{1,6}", any::<i32>()), 0..3),
    )
        .prop_map(|(id, name, size, status, created, incremental, extra)| {
            let mut b = Backup::default();
            b.id = id;
            b.name = name;
            b.resource_size = size;
            b.status = status.map(Status::from);
            b.created_at = created.map(cbr_model::Timestamp::from_raw);
            b.incremental = incremental;
            b.extra = extra.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
            b
        })
}

proptest! {
    #[test]
    fn backup_to_json_and_back_is_identity(backup in arb_backup()) {
        let text = serde_json::to_string(&backup).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Backup = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, backup);
    }
}
