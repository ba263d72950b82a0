//! Decoding response bodies: the seed's responses, the documentation's example, an Open Telekom
//! Cloud style page and a page of odd values all decode, keep every key through a decode →
//! encode round trip, and never fail a page because of one odd field.

use cbr_model::{
    Backup, BackupExtendInfo, ImageData, ListBackupsResponse, PageDecodeError,
    ReplicationExtraInfo, ReplicationRecord, ReplicationStatus, ResourceType, RestoreMode, Status,
    Timestamp, decode_page,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const SEED_1: &str = include_str!("fixtures/seed_list_1.json");
const SEED_2: &str = include_str!("fixtures/seed_list_2.json");
const DOCS: &str = include_str!("fixtures/docs_example.json");
/// Written after the Open Telekom Cloud reference (its 2023 examples): zone-less microsecond
/// timestamps, `enterprise_project_id` as the number `0`, `incremental` inside `extend_info`,
/// a server backup with a per-disk child (no `resource_az`), an SFS Turbo backup, no
/// `parent_id`/`protected_at` on top-level backups and no `replication_records`.
const OTC: &str = include_str!("fixtures/otc_style.json");
/// Every tolerated spelling at least once, plus seven odd values (listed in
/// `odd_fields_are_reported_with_their_paths`).
const ODD: &str = include_str!("fixtures/odd_fields.json");

const FIXTURES: [(&str, &str); 5] =
    [("seed 1", SEED_1), ("seed 2", SEED_2), ("docs", DOCS), ("otc", OTC), ("odd", ODD)];

fn decode(text: &str) -> ListBackupsResponse {
    decode_page(text.as_bytes()).unwrap_or_else(|e| panic!("decoding fixture: {e}")).response
}

/// Every path of `original` must be in `written` with the same value, except where a
/// documented normalisation applies: a number read as a string field's text, a decimal string
/// or whole float read as an integer field's number.
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
        (Value::Number(n), Value::String(s)) => assert_eq!(n.to_string(), *s, "{path}"),
        (Value::String(s), Value::Number(n)) => {
            assert_eq!(s.trim().parse::<u64>().ok(), n.as_u64(), "{path}");
        }
        (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "{path}"),
        _ => assert_eq!(original, written, "{path}"),
    }
}

#[test]
fn every_key_of_every_fixture_survives_a_round_trip() {
    for (name, text) in FIXTURES {
        // Given a fixture, when it is decoded and encoded again,
        let original: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = serde_json::to_value(decode(text)).unwrap_or_else(|e| panic!("{name}: {e}"));

        // then every key it had is still there with its value.
        assert_contains(&original, &written, name);
    }
}

#[test]
fn an_encoded_page_decodes_to_the_same_page() {
    for (name, text) in FIXTURES {
        let page = decode(text);
        let again = decode(&serde_json::to_string(&page).unwrap_or_else(|e| panic!("{name}: {e}")));
        assert_eq!(again, page, "{name}");
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
    let created = backup.created_at.as_ref().and_then(Timestamp::to_utc);
    assert_eq!(created.map(|t| t.timestamp()), Some(1_597_730_445));
}

#[test]
fn otc_style_pages_decode_with_children_and_images() {
    let page = decode(OTC);
    let server = &page.backups[0];
    assert_eq!(server.enterprise_project_id.as_deref(), Some("0"));
    let info = server.extend_info.as_ref().unwrap_or_else(|| panic!("no extend_info"));
    assert_eq!(info.incremental, Some(true));
    assert_eq!(info.supported_restore_mode, Some(RestoreMode::Snapshot));
    let images = info.os_images_data.as_deref().unwrap_or_default();
    assert_eq!(images[0].image_id.as_deref(), Some("e2ae3ad0-2fa2-4da4-a1c8-4ed0f8f5a01e"));
    let children = server.children.as_deref().unwrap_or_default();
    assert_eq!(children[0].parent_id.as_deref(), Some(server.id()));
    assert_eq!(children[0].resource_az, None);
    assert_eq!(page.backups[1].resource_type, Some(ResourceType::SfsTurbo));
    assert_eq!(page.backups[1].status, Some(Status::Error));
    assert!(page.backups.iter().all(|b| b.replication_records.is_none()));
}

#[test]
fn decoded_fixtures() {
    insta::assert_debug_snapshot!("seed_list_1", decode(SEED_1));
    insta::assert_debug_snapshot!("seed_list_2", decode(SEED_2));
    insta::assert_debug_snapshot!("docs_example", decode(DOCS));
    insta::assert_debug_snapshot!("otc_style", decode(OTC));
    insta::assert_debug_snapshot!("odd_fields", decode_page(ODD.as_bytes()));
}

#[test]
fn odd_fields_are_reported_with_their_paths() {
    // Given a page with seven values that fit no spelling of their field,
    // when it is decoded,
    let page = decode_page(ODD.as_bytes()).unwrap_or_else(|e| panic!("{e}"));

    // then the page decodes, and each odd value is reported with its path, in body order,
    let paths: Vec<&str> = page.odd_fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "backups[0].extend_info.bootable",
            "backups[1].resource_size",
            "backups[1].extend_info",
            "backups[1].children",
            "backups[1].created_at",
            "backups[1].incremental",
            "backups[2].replication_records[0].extra_info.destinatio_vault_id",
        ]
    );
    assert!(page.odd_fields.iter().all(|f| !f.reason.is_empty()));
    assert_eq!(page.odd_fields[1].raw, json!(-5));

    // kept raw in its object's `extra`, out of the typed field,
    let second = &page.response.backups[1];
    assert_eq!(second.resource_size, None);
    assert_eq!(second.extra["resource_size"], json!(-5));
    assert_eq!(second.extra["extend_info"], json!("not an object"));
    assert_eq!(second.extra["children"], json!([1, 2]));

    // and the rest of the page, tolerated spellings included, is typed.
    let response = &page.response;
    assert_eq!(response.count, Some(3));
    let first = &response.backups[0];
    assert_eq!(first.name.as_deref(), Some("12345"));
    assert_eq!(first.resource_size, Some(40));
    assert_eq!(first.status, Some(Status::Unknown("frozen".into())));
    assert_eq!(first.children, None);
    let info = first.extend_info.as_ref().unwrap_or_else(|| panic!("no extend_info"));
    assert_eq!(info.supported_restore_mode, Some(RestoreMode::Unknown(" backup".into())));
    assert_eq!(info.bootable, None);
    assert_eq!(info.extra["architecture"], "arm64");
    assert_eq!(second.enterprise_project_id.as_deref(), Some("0"));
    assert_eq!(response.backups[2].resource_size, Some(40));
    assert_eq!(response.backups[2].extra["count_of_things"], 7);
}

#[test]
fn timestamps_keep_their_text_and_read_every_spelling() {
    let page = decode(ODD);
    let first = &page.backups[0];
    let utc =
        |t: &Option<Timestamp>| t.as_ref().and_then(Timestamp::to_utc).map(|t| t.to_rfc3339());
    assert_eq!(first.created_at.as_ref().map(Timestamp::raw), Some("2024-03-01T12:00:00Z"));
    assert_eq!(utc(&first.created_at).as_deref(), Some("2024-03-01T12:00:00+00:00"));
    assert_eq!(
        first.updated_at.as_ref().map(Timestamp::raw),
        Some("2024-03-01T12:00:00.123+08:00")
    );
    assert_eq!(utc(&first.updated_at).as_deref(), Some("2024-03-01T04:00:00.123+00:00"));
    assert_eq!(utc(&first.protected_at).as_deref(), Some("2024-03-01T12:00:01+00:00"));
    assert_eq!(first.expired_at, None);
    let record = &first.replication_records.as_deref().unwrap_or_default()[0];
    assert_eq!(utc(&record.created_at).as_deref(), Some("2024-03-01T12:00:00+00:00"));
    let seed = decode(SEED_1);
    let micros = seed.backups[0].created_at.as_ref().map(Timestamp::raw);
    assert_eq!(micros, Some("2020-08-18T06:00:45.375070"));
    let docs = decode(DOCS);
    let millis = docs.backups[0].created_at.as_ref().and_then(Timestamp::to_utc);
    assert_eq!(millis.map(|t| t.timestamp_millis()), Some(1_582_268_454_065));
}

#[test]
fn both_spellings_of_the_replication_vault_key_are_read_and_written_back_as_read() {
    // Given extra info under the misspelled key, and under the documented one,
    let misspelled: ReplicationExtraInfo =
        serde_json::from_value(json!({"destinatio_vault_id": "v-1", "progress": 5}))
            .unwrap_or_else(|e| panic!("{e}"));
    let documented: ReplicationExtraInfo =
        serde_json::from_value(json!({"destination_vault_id": "v-1", "progress": 5}))
            .unwrap_or_else(|e| panic!("{e}"));

    // then both give the same value, and each is written back under the key it came with.
    assert_eq!(misspelled.destination_vault_id.as_deref(), Some("v-1"));
    assert_eq!(documented.destination_vault_id, misspelled.destination_vault_id);
    assert_eq!(misspelled.destination_vault_id_key(), "destinatio_vault_id");
    assert_eq!(documented.destination_vault_id_key(), "destination_vault_id");
    let written = serde_json::to_value(&misspelled).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written["destinatio_vault_id"], "v-1");
    assert!(written.get("destination_vault_id").is_none());

    // and a record carrying both keeps the second raw instead of losing either.
    let page = decode_page(ODD.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let records = page.response.backups[2].replication_records.clone().unwrap_or_default();
    let info = records[0].extra_info.clone().unwrap_or_default();
    assert_eq!(info.destination_vault_id.as_deref(), Some("v-1"));
    assert_eq!(info.extra["destinatio_vault_id"], "v-2");
    let written = serde_json::to_value(&info).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written["destination_vault_id"], "v-1");
    assert_eq!(written["destinatio_vault_id"], "v-2");
}

#[test]
fn tolerates_what_the_service_is_known_to_send() {
    let body = r#"{"count":"3","backups":[
        {"id":"a","resource_size":"40","status":"frozen","children":null,
         "extend_info":{"os_images_data":null,"supported_restore_mode":null}},
        {"id":"b","enterprise_project_id":0,"resource_type":"OS::Sfs::Turbo","resource_size":40.0}
    ]}"#;
    let page = decode_page(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(page.odd_fields.is_empty(), "{:?}", page.odd_fields);
    let page = page.response;
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

#[test]
fn only_a_body_that_is_no_page_at_all_fails() {
    let cases: [(&[u8], Option<&str>, &str); 7] = [
        (b"", None, "not JSON"),
        (b"<html>502 Bad Gateway</html>", None, "not JSON"),
        (b"{\"backups\": [", None, "not JSON"),
        (b"[]", Some(""), "the response body is a list; expected a JSON object"),
        (b"\"ok\"", Some(""), "the response body is a string; expected a JSON object"),
        (b"{\"backups\": {\"id\": \"a\"}}", Some("backups"), "`backups` is an object"),
        (b"{\"backups\": [{\"id\": \"a\"}, 7]}", Some("backups[1]"), "`backups[1]` is a number"),
    ];
    for (body, path, message) in cases {
        let text = String::from_utf8_lossy(body);
        let error = decode_page(body).err().unwrap_or_else(|| panic!("{text} was accepted"));
        assert_eq!(error.path(), path, "{text}: {error}");
        assert!(error.to_string().contains(message), "{text}: {error}");
    }
    assert!(matches!(decode_page(b""), Err(PageDecodeError::Syntax { line: 1, column: 0, .. })));
}

/// Every field of the spec: its object, its key, its type, and whether it is `null_as_empty`.
fn spec_fields() -> Vec<(String, String, String, bool)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/cbr/list_backups.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let spec: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut fields = Vec::new();
    for object in spec["objects"].as_array().into_iter().flatten() {
        for field in object["fields"].as_array().into_iter().flatten() {
            let text = |key: &str| field[key].as_str().map(str::to_owned);
            fields.push((
                object["name"].as_str().unwrap_or_default().to_owned(),
                text("name").unwrap_or_default(),
                text("type").unwrap_or_default(),
                field["null_as_empty"] == json!(true),
            ));
        }
    }
    fields
}

/// A page with `value` set as field `field` of an object of type `object`, and the path of
/// that field.
fn page_with(object: &str, field: &str, value: Value) -> (Value, String) {
    let mut page = json!({"count": 1, "backups": [{"id": "b", "extend_info": {
        "os_images_data": [{"image_id": "i"}]}, "replication_records": [{"id": "r",
        "extra_info": {"progress": 1}}]}]});
    let (slot, prefix) = match object {
        "ListBackupsResponse" => (&mut page, ""),
        "Backup" => (&mut page["backups"][0], "backups[0]."),
        "BackupExtendInfo" => (&mut page["backups"][0]["extend_info"], "backups[0].extend_info."),
        "ImageData" => (
            &mut page["backups"][0]["extend_info"]["os_images_data"][0],
            "backups[0].extend_info.os_images_data[0].",
        ),
        "ReplicationRecord" => (
            &mut page["backups"][0]["replication_records"][0],
            "backups[0].replication_records[0].",
        ),
        "ReplicationExtraInfo" => (
            &mut page["backups"][0]["replication_records"][0]["extra_info"],
            "backups[0].replication_records[0].extra_info.",
        ),
        other => panic!("the spec has an object {other} this test does not place"),
    };
    slot[field] = value;
    (page, format!("{prefix}{field}"))
}

#[test]
fn every_spec_field_is_typed_and_round_trips() {
    let fields = spec_fields();
    assert!(fields.len() >= 60, "only {} fields in the spec", fields.len());
    for (object, field, kind, _) in fields {
        // Given a page with a well-formed value for one documented field,
        let value = match kind.as_str() {
            "string" => json!("text"),
            "integer" => json!(7),
            "boolean" => json!(true),
            "timestamp" => json!("2020-01-02T03:04:05.678901"),
            "enum" => json!("some_value"),
            "object" => json!({}),
            "list" => json!([]),
            other => panic!("{object}.{field}: unknown type {other}"),
        };
        let (page, path) = page_with(&object, &field, value.clone());
        let body = page.to_string();

        // when it is decoded (on the fast path) and encoded again,
        let decoded = decode_page(body.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let typed: ListBackupsResponse =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: fast path: {e}"));
        let written = serde_json::to_value(&decoded.response).unwrap_or_else(|e| panic!("{e}"));

        // then nothing is odd, nothing lands in `extra`, and the value comes back unchanged.
        assert!(decoded.odd_fields.is_empty(), "{path}: {:?}", decoded.odd_fields);
        assert_eq!(typed, decoded.response, "{path}");
        assert!(!has_extra(&decoded.response), "{path} went to extra");
        assert_contains(&page, &written, &path);
    }
}

/// Whether any object of the decoded page kept something in `extra`.
fn has_extra(page: &ListBackupsResponse) -> bool {
    let Some(backup) = page.backups.first() else {
        return !page.extra.is_empty();
    };
    let info = backup.extend_info.clone().unwrap_or_default();
    let image = info.os_images_data.clone().unwrap_or_default().first().cloned();
    let record = backup.replication_records.clone().unwrap_or_default().first().cloned();
    let extra_info = record.as_ref().and_then(|r| r.extra_info.clone());
    !page.extra.is_empty()
        || !backup.extra.is_empty()
        || !info.extra.is_empty()
        || image.is_some_and(|i| !i.extra.is_empty())
        || record.is_some_and(|r| !r.extra.is_empty())
        || extra_info.is_some_and(|e| !e.extra.is_empty())
}

#[test]
fn one_odd_value_in_any_spec_field_never_fails_the_page() {
    for (object, field, kind, strict) in spec_fields() {
        if strict {
            // `backups` itself: not a list is not a page (see only_a_body_that_is_no_page…).
            continue;
        }
        // Given a page with a value of the wrong type for one documented field,
        let value = match kind.as_str() {
            "string" | "timestamp" | "enum" => json!({"unexpected": true}),
            "integer" => json!("forty"),
            "boolean" => json!("yes"),
            "object" | "list" => json!(17),
            other => panic!("{object}.{field}: unknown type {other}"),
        };
        let (page, path) = page_with(&object, &field, value.clone());

        // when it is decoded,
        let body = page.to_string();
        let decoded = decode_page(body.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));

        // then exactly that value is reported, with its path, and written back unchanged.
        assert_eq!(decoded.odd_fields.len(), 1, "{path}: {:?}", decoded.odd_fields);
        assert_eq!(decoded.odd_fields[0].path, path);
        assert_eq!(decoded.odd_fields[0].raw, value, "{path}");
        let written = serde_json::to_value(&decoded.response).unwrap_or_else(|e| panic!("{e}"));
        assert_contains(&page, &written, &path);
    }
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{0,10}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
        Just("available".to_owned()),
        Just("OS::Nova::Server".to_owned()),
    ]
}

fn arb_extra() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        arb_text().prop_map(Value::from),
        prop::collection::vec(arb_text(), 0..3).prop_map(|v| json!(v)),
        ("[a-z]{1,4}", arb_text()).prop_map(|(k, v)| json!({ k: v })),
    ];
    prop::collection::vec(("x_[a-z]{1,6}", value), 0..3)
        .prop_map(|entries| entries.into_iter().collect())
}

fn arb_extend_info() -> impl Strategy<Value = BackupExtendInfo> {
    (
        prop::collection::vec(prop::option::of(any::<bool>()), 8),
        prop::option::of(prop::collection::vec((prop::option::of(arb_text()), arb_extra()), 0..3)),
        prop::option::of(arb_text()),
        prop::option::of(arb_text()),
        arb_extra(),
    )
        .prop_map(|(flags, images, snapshot, mode, extra)| {
            let mut info = BackupExtendInfo::default();
            info.auto_trigger = flags[0];
            info.bootable = flags[1];
            info.contain_system_disk = flags[2];
            info.encrypted = flags[3];
            info.incremental = flags[4];
            info.is_multi_az = flags[5];
            info.support_lld = flags[6];
            info.system_disk = flags[7];
            info.os_images_data = images.map(|images| {
                images
                    .into_iter()
                    .map(|(id, extra)| {
                        let mut image = ImageData::default();
                        image.image_id = id;
                        image.extra = extra;
                        image
                    })
                    .collect()
            });
            info.snapshot_id = snapshot;
            info.supported_restore_mode = mode.map(RestoreMode::from);
            info.extra = extra;
            info
        })
}

fn arb_record() -> impl Strategy<Value = ReplicationRecord> {
    (
        prop::collection::vec(prop::option::of(arb_text()), 12),
        prop::option::of(arb_text()),
        prop::option::of((
            prop::option::of(any::<bool>()),
            prop::collection::vec(prop::option::of(arb_text()), 3),
            prop::option::of(any::<u64>()),
            arb_extra(),
        )),
        arb_extra(),
    )
        .prop_map(|(texts, created, extra_info, extra)| {
            let mut record = ReplicationRecord::default();
            record.destination_backup_id = texts[0].clone();
            record.destination_checkpoint_id = texts[1].clone();
            record.destination_project_id = texts[2].clone();
            record.destination_region = texts[3].clone();
            record.destination_vault_id = texts[4].clone();
            record.id = texts[5].clone();
            record.source_backup_id = texts[6].clone();
            record.source_checkpoint_id = texts[7].clone();
            record.source_project_id = texts[8].clone();
            record.source_region = texts[9].clone();
            record.vault_id = texts[10].clone();
            record.status = texts[11].clone().map(ReplicationStatus::from);
            record.created_at = created.map(Timestamp::from_raw);
            record.extra_info = extra_info.map(|(auto, texts, progress, extra)| {
                let mut info = ReplicationExtraInfo::default();
                info.auto_trigger = auto;
                info.destination_vault_id = texts[0].clone();
                info.fail_code = texts[1].clone();
                info.fail_reason = texts[2].clone();
                info.progress = progress;
                info.extra = extra;
                info
            });
            record.extra = extra;
            record
        })
}

/// A backup with every field drawn (text fields from any string, timestamps from any text);
/// `children` recurse one level.
fn arb_backup() -> impl Strategy<Value = Backup> {
    let leaf = arb_backup_fields(Just(None).boxed());
    leaf.prop_recursive(1, 4, 2, |inner| {
        arb_backup_fields(prop::option::of(prop::collection::vec(inner, 0..2)).boxed())
    })
}

fn arb_backup_fields(
    children: BoxedStrategy<Option<Vec<Backup>>>,
) -> impl Strategy<Value = Backup> {
    (
        prop::collection::vec(prop::option::of(arb_text()), 13),
        prop::collection::vec(prop::option::of(arb_text()), 4),
        (prop::option::of(any::<u64>()), prop::option::of(any::<u64>())),
        prop::collection::vec(prop::option::of(arb_text()), 3),
        prop::option::of(any::<bool>()),
        prop::option::of(arb_extend_info()),
        prop::option::of(prop::collection::vec(arb_record(), 0..2)),
        children,
        arb_extra(),
    )
        .prop_map(
            |(texts, times, numbers, enums, incremental, info, records, children, extra)| {
                let mut b = Backup::default();
                b.checkpoint_id = texts[0].clone();
                b.description = texts[1].clone();
                b.enterprise_project_id = texts[2].clone();
                b.id = texts[3].clone();
                b.name = texts[4].clone();
                b.parent_id = texts[5].clone();
                b.project_id = texts[6].clone();
                b.provider_id = texts[7].clone();
                b.resource_az = texts[8].clone();
                b.resource_id = texts[9].clone();
                b.resource_name = texts[10].clone();
                b.scheduled_operation_id = texts[11].clone();
                b.vault_id = texts[12].clone();
                b.created_at = times[0].clone().map(Timestamp::from_raw);
                b.expired_at = times[1].clone().map(Timestamp::from_raw);
                b.protected_at = times[2].clone().map(Timestamp::from_raw);
                b.updated_at = times[3].clone().map(Timestamp::from_raw);
                b.resource_size = numbers.0;
                b.version = numbers.1;
                b.image_type = enums[0].clone().map(Into::into);
                b.resource_type = enums[1].clone().map(Into::into);
                b.status = enums[2].clone().map(Into::into);
                b.incremental = incremental;
                b.extend_info = info;
                b.replication_records = records;
                b.children = children;
                b.extra = extra;
                b
            },
        )
}

proptest! {
    #[test]
    fn backup_to_json_and_back_is_identity(backup in arb_backup()) {
        let text = serde_json::to_string(&backup).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Backup =
            serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, backup);
    }

    #[test]
    fn the_slow_path_decodes_what_the_fast_path_decodes(backup in arb_backup()) {
        // Given a page whose second backup has an odd value, forcing the field-by-field path,
        let written =
            serde_json::to_value(&backup).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let body = json!({"count": 2, "backups": [written, {"id": "odd", "resource_size": true}]});

        // when it is decoded,
        let page = decode_page(body.to_string().as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;

        // then the well-formed backup is decoded exactly as the typed path decodes it.
        prop_assert_eq!(page.odd_fields.len(), 1);
        prop_assert_eq!(&page.response.backups[0], &backup);
    }
}

#[test]
fn odd_field_reasons_stay_short_and_name_the_path() {
    // Given a page whose odd value is a very long string,
    let body = json!({"backups": [{"id": "a", "resource_size": "x".repeat(100_000)}]});

    // when it is decoded,
    let page = decode_page(body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));

    // then the whole value is kept raw, but the reason and the display stay short.
    let odd = &page.odd_fields[0];
    assert_eq!(odd.raw.as_str().map(str::len), Some(100_000));
    assert!(odd.reason.chars().count() <= 201, "{}", odd.reason.len());
    let shown = odd.to_string();
    assert!(shown.starts_with("`backups[0].resource_size` kept raw: the string"), "{shown}");
    assert!(shown.len() < 300);
}
