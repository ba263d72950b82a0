//! Rendering matches the official SDK: each AK/SK signing vector of the shared reference whose
//! query keys are all ListBackups parameters gives, through the typed query, exactly the
//! canonical query string and request URI the SDK produced.

use cbr_model::{ListBackupsQuery, QueryTime, Sort};
use serde_json::Value;

/// The shared reference beside the workspace (CI lays it there too).
const VECTORS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/sign-vectors.json");

/// The text of a scalar vector value as the SDK renders it (`True`/`False` only inside lists,
/// which ListBackups never sends).
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Sets one `(key, value)` pair of a vector through the typed builder.
fn set(query: ListBackupsQuery, key: &str, value: &Value) -> ListBackupsQuery {
    let one = text(value);
    let number = || one.parse::<u64>().unwrap_or_else(|e| panic!("{key}={one}: {e}"));
    let flag = || value.as_bool().unwrap_or_else(|| panic!("{key}={value} is not a boolean"));
    match key {
        "checkpoint_id" => query.checkpoint_id(one),
        "dec" => query.dec(flag()),
        "end_time" => query.end_time(time(key, &one)),
        "enterprise_project_id" => query.enterprise_project_id(one),
        "image_type" => query.image_type(one.as_str()),
        "incremental" => query.incremental(flag()),
        "limit" => query.limit(u32::try_from(number()).unwrap_or(u32::MAX)),
        "marker" => query.marker(one),
        "member_status" => query.member_status(one.as_str()),
        "name" => query.name(one),
        "offset" => query.offset(number()),
        "own_type" => query.own_type(one.as_str()),
        "parent_id" => query.parent_id(one),
        "resource_az" => query.resource_az(one),
        "resource_id" => query.resource_id(one),
        "resource_name" => query.resource_name(one),
        "resource_type" => query.resource_type(one.as_str()),
        "show_replication" => query.show_replication(flag()),
        "sort" => query.sort(one.parse::<Sort>().unwrap_or_else(|e| panic!("{one}: {e}"))),
        "start_time" => query.start_time(time(key, &one)),
        "status" => match value {
            // A list is sent as repeated keys; a single string (even `available,error`) is
            // one value.
            Value::Array(items) => items.iter().fold(query, |q, item| q.status(text(item))),
            _ => query.status(one),
        },
        "used_percent" => query.used_percent(u8::try_from(number()).unwrap_or(u8::MAX)),
        "vault_id" => query.vault_id(one),
        other => panic!("{other} is not a ListBackups parameter"),
    }
}

/// A time as the typed query holds it. The typed query normalises times to UTC whole seconds
/// (`YYYY-MM-DDTHH:MM:SSZ`), while the SDK sends whatever text it is given; every time in the
/// vectors is already in that form, which this checks so that the comparison stays exact.
fn time(key: &str, text: &str) -> QueryTime {
    let time: QueryTime = text.parse().unwrap_or_else(|e| panic!("{key}={text}: {e}"));
    assert_eq!(time.to_string(), text, "{key}: the vector's time is not in the wire form");
    time
}

#[test]
fn rendering_matches_the_official_sdk_request_uris() {
    // Given the SDK's signing vectors,
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| {
        panic!(
            "cannot read the SDK's signing vectors at {VECTORS}: {e}; \
             the shared reference folder must sit beside the workspace"
        )
    });
    let file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{VECTORS}: {e}"));
    let vectors = file["vectors"].as_array().unwrap_or_else(|| panic!("{VECTORS}: no vectors"));

    let mut checked = Vec::new();
    for vector in vectors {
        let name = vector["name"].as_str().unwrap_or("?");
        let pairs = vector["query"].as_array().unwrap_or_else(|| panic!("{name}: no query"));
        let keys: Vec<&str> = pairs.iter().filter_map(|pair| pair[0].as_str()).collect();
        if keys.len() != pairs.len()
            || !keys.iter().all(|key| ListBackupsQuery::PARAMETERS.contains(key))
        {
            continue;
        }

        // when its pairs are set through the typed query and rendered,
        let query = pairs.iter().fold(ListBackupsQuery::new(), |query, pair| {
            set(query, pair[0].as_str().unwrap_or_default(), &pair[1])
        });
        let rendered = query.to_query_string();

        // then the query string and the request URI are byte for byte the SDK's,
        assert_eq!(rendered, vector["canonical_query"].as_str().unwrap_or("-"), "{name}");
        let path = vector["path"].as_str().unwrap_or_default();
        let uri = if rendered.is_empty() { path.to_owned() } else { format!("{path}?{rendered}") };
        assert_eq!(uri, vector["request_uri"].as_str().unwrap_or("-"), "{name}");

        // and parsing the SDK's string gives the same query back.
        let parsed = ListBackupsQuery::parse(&rendered).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.query.to_query_string(), rendered, "{name}");
        checked.push(name);
    }
    assert!(checked.len() >= 10, "only {} vectors checked: {checked:?}", checked.len());
    let with_query =
        checked.len() - vectors.iter().filter(|v| v["query"] == Value::Array(vec![])).count();
    assert!(with_query >= 10, "only {with_query} vectors with a query: {checked:?}");
}
