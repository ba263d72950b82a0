//! Datasets: the documented project is exactly the published one where the example shows it,
//! realistic elsewhere, and every dataset is deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashSet};

use cbr_emulator::dataset::{
    DISK_PROVIDER_ID, DOCUMENTED_COUNT, DOCUMENTED_SERVER_COUNT, SERVER_PROVIDER_ID,
    TURBO_PROVIDER_ID, documented_backups,
};
use cbr_emulator::{DOCUMENTED_BACKUP_ID, DOCUMENTED_JSON, DOCUMENTED_SERVER_BACKUP_ID, Dataset};
use cbr_model::{Backup, DOCUMENTED_PROJECT_ID, ResourceType, Status};
use serde_json::Value;

/// Every backup of the dataset, children included.
fn all_backups(dataset: &Dataset) -> Vec<&Backup> {
    fn walk<'a>(backups: &'a [Backup], out: &mut Vec<&'a Backup>) {
        for backup in backups {
            out.push(backup);
            walk(backup.children.as_deref().unwrap_or_default(), out);
        }
    }
    let mut out = Vec::new();
    walk(&dataset.backups, &mut out);
    out
}

fn is_uuid_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && id.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// Asserts every key and value of `expected` is in `actual` (objects recursively).
fn assert_contains(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            for (key, value) in expected {
                let found = actual.get(key);
                assert!(found.is_some(), "{path}.{key} is missing");
                assert_contains(found.unwrap_or(&Value::Null), value, &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

#[test]
fn the_documented_project_has_the_published_counts() {
    // given: the documented dataset
    let dataset = Dataset::documented();
    // done: its top-level backups are counted by type
    let servers = dataset
        .backups
        .iter()
        .filter(|b| b.resource_type == Some(ResourceType::NovaServer))
        .count();
    let turbos =
        dataset.backups.iter().filter(|b| b.resource_type == Some(ResourceType::SfsTurbo)).count();
    // must hold: 1663 in all, 150 servers, mostly disks, a few SFS Turbo
    assert_eq!(dataset.project_id, DOCUMENTED_PROJECT_ID);
    assert_eq!(dataset.len(), DOCUMENTED_COUNT);
    assert_eq!(dataset.len(), 1663);
    assert_eq!(servers, DOCUMENTED_SERVER_COUNT);
    assert_eq!(servers, 150);
    assert!((1..100).contains(&turbos), "{turbos} SFS Turbo backups");
    assert!(dataset.len() - servers - turbos > 1400);
}

#[test]
fn the_documented_project_is_the_same_every_time() {
    // given / done: two builds
    let (first, second) = (Dataset::documented(), Dataset::documented());
    // must hold: identical
    assert_eq!(first, second);
}

#[test]
fn the_published_backups_are_in_it_verbatim() {
    // given: the fixture as JSON and the documented dataset
    let fixture: Value = serde_json::from_str(DOCUMENTED_JSON).expect("fixture is JSON");
    let dataset = Dataset::documented();
    let fixture = fixture.as_array().expect("fixture is an array");
    assert_eq!(fixture.len(), 2);
    for expected in fixture {
        let id = expected["id"].as_str().expect("id");
        // done: the dataset's backup with that id is serialised
        let backup = dataset.backups.iter().find(|b| b.id() == id).expect("backup present");
        let actual = serde_json::to_value(backup).expect("serialises");
        // must hold: every key and value of the published backup, and nothing else
        assert_contains(&actual, expected, id);
        assert_eq!(&actual, expected, "{id} has no extra fields");
    }
    let ids: BTreeSet<&str> = fixture.iter().filter_map(|b| b["id"].as_str()).collect();
    assert_eq!(ids, BTreeSet::from([DOCUMENTED_BACKUP_ID, DOCUMENTED_SERVER_BACKUP_ID]));
    assert_eq!(documented_backups().len(), 2);
}

#[test]
fn the_documented_fixture_matches_the_published_fields() {
    // given: the decoded fixture
    let backups = documented_backups();
    let first = backups.iter().find(|b| b.id() == DOCUMENTED_BACKUP_ID).expect("first");
    let info = first.extend_info.as_ref().expect("extend_info");
    // done / must hold: a sample of values, including the undocumented ones
    assert_eq!(first.name.as_deref(), Some("autobk_cf91_0003"));
    assert_eq!(first.created_at.as_ref().map(|t| t.raw()), Some("2020-08-18T06:00:45.375070"));
    assert_eq!(first.description, None);
    assert_eq!(first.children.as_deref().map(<[Backup]>::len), Some(0));
    assert_eq!(first.replication_records.as_deref().map(<[_]>::len), Some(0));
    assert_eq!(info.extra.get("architecture"), Some(&Value::from("x86_64")));
    assert_eq!(info.extra.get("progress"), Some(&Value::Null));
    assert!(info.extra.get("app_consistency").is_some_and(Value::is_object));
}

#[test]
fn documented_backups_look_real() {
    // given: the documented dataset, children included
    let dataset = Dataset::documented();
    let all = all_backups(&dataset);
    // done: gather what varies
    let vaults: BTreeSet<&str> = all.iter().filter_map(|b| b.vault_id.as_deref()).collect();
    let zones: BTreeSet<&str> = all.iter().filter_map(|b| b.resource_az.as_deref()).collect();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for backup in &dataset.backups {
        *statuses
            .entry(backup.status.as_ref().map(ToString::to_string).unwrap_or_default())
            .or_default() += 1;
    }
    let mut per_resource: BTreeMap<&str, usize> = BTreeMap::new();
    for backup in &dataset.backups {
        *per_resource.entry(backup.resource_id.as_deref().unwrap_or_default()).or_default() += 1;
    }
    let ids: HashSet<&str> = all.iter().map(|b| b.id()).collect();
    // must hold: several vaults and zones, mostly available, resources backed up repeatedly
    assert!(vaults.len() >= 4, "{vaults:?}");
    assert!(zones.len() >= 3, "{zones:?}");
    assert!(statuses["available"] * 10 > dataset.len() * 8, "{statuses:?}");
    assert!(statuses.get("error").is_some_and(|n| *n > 0), "{statuses:?}");
    assert!(statuses.len() >= 3, "{statuses:?}");
    assert!(per_resource.values().filter(|n| **n > 1).count() > 50);
    assert_eq!(ids.len(), all.len(), "ids are unique");
    for backup in &all {
        let id = backup.id();
        assert!(
            is_uuid_v4(id) || id == DOCUMENTED_BACKUP_ID || id == DOCUMENTED_SERVER_BACKUP_ID,
            "{id}"
        );
        assert_eq!(backup.project_id.as_deref(), Some(DOCUMENTED_PROJECT_ID));
        let size = backup.resource_size.unwrap_or_default();
        assert!((10..=500).contains(&size), "{id} size {size}");
        let name = backup.name.as_deref().unwrap_or_default();
        assert!(name.starts_with("autobk_") || name.starts_with("manualbk_"), "{name}");
        let provider = match backup.resource_type.as_ref() {
            Some(ResourceType::NovaServer) => SERVER_PROVIDER_ID,
            Some(ResourceType::CinderVolume) => DISK_PROVIDER_ID,
            Some(ResourceType::SfsTurbo) => TURBO_PROVIDER_ID,
            other => panic!("unexpected type {other:?}"),
        };
        assert_eq!(backup.provider_id.as_deref(), Some(provider), "{id}");
        for time in [&backup.created_at, &backup.updated_at].into_iter().flatten() {
            assert_eq!(time.raw().len(), 26, "{time:?}");
            assert!(time.to_utc().is_some(), "{time:?}");
        }
    }
}

#[test]
fn backups_are_older_than_the_example_but_a_handful() {
    // given: the documented dataset and the moment of the first published backup's day
    let dataset = Dataset::documented();
    let cutoff = "2020-08-18T06:00:00".parse::<chrono::NaiveDateTime>().expect("time").and_utc();
    let day_end = "2020-08-19T00:00:00".parse::<chrono::NaiveDateTime>().expect("time").and_utc();
    // done: the creation times are compared with it
    let times: Vec<_> =
        dataset.backups.iter().map(|b| b.created_at.as_ref().and_then(|t| t.to_utc())).collect();
    let later: Vec<_> = times.iter().flatten().filter(|t| **t >= cutoff).collect();
    let earliest = times.iter().flatten().min().copied().expect("times");
    // must hold: every backup has a time; a handful later the same day; months of history
    assert!(times.iter().all(Option::is_some));
    assert!((2..=10).contains(&later.len()), "{} later backups", later.len());
    assert!(later.iter().all(|t| **t < day_end));
    assert!(cutoff - earliest > chrono::Duration::days(90), "{earliest}");
}

#[test]
fn some_server_backups_have_disk_children() {
    // given: the documented dataset
    let dataset = Dataset::documented();
    // done: server backups with children are collected
    let parents: Vec<&Backup> = dataset
        .backups
        .iter()
        .filter(|b| b.children.as_ref().is_some_and(|c| !c.is_empty()))
        .collect();
    // must hold: some exist; every child is a disk backup pointing at its parent
    assert!(!parents.is_empty());
    for parent in parents {
        assert_eq!(parent.resource_type, Some(ResourceType::NovaServer));
        for child in parent.children.as_deref().unwrap_or_default() {
            assert_eq!(child.parent_id.as_deref(), Some(parent.id()));
            assert_eq!(child.resource_type, Some(ResourceType::CinderVolume));
            assert_eq!(child.provider_id.as_deref(), Some(DISK_PROVIDER_ID));
            assert_eq!(child.checkpoint_id, parent.checkpoint_id);
            assert_eq!(child.vault_id, parent.vault_id);
        }
    }
}

#[test]
fn generated_datasets_have_n_backups_and_depend_only_on_the_seed() {
    // given / done: datasets of several sizes and seeds
    for n in [0, 1, 2, 17, 500] {
        let dataset = Dataset::generated(n, 42);
        // must hold: n backups, in the documented project
        assert_eq!(dataset.len(), n);
        assert_eq!(dataset.is_empty(), n == 0);
        assert_eq!(dataset.project_id, DOCUMENTED_PROJECT_ID);
    }
    assert_eq!(Dataset::generated(300, 7), Dataset::generated(300, 7));
    assert_ne!(Dataset::generated(300, 7), Dataset::generated(300, 8));
    let generated = Dataset::generated(3000, 1);
    assert!(
        generated
            .backups
            .iter()
            .all(|b| b.id() != DOCUMENTED_BACKUP_ID && b.id() != DOCUMENTED_SERVER_BACKUP_ID)
    );
    assert!(generated.backups.iter().any(|b| b.status == Some(Status::Error)));
}

#[test]
fn another_project_id_is_written_everywhere() {
    // given: the documented dataset moved to another project
    let dataset = Dataset::documented().with_project_id("another");
    // done: every backup is visited
    let all = all_backups(&dataset);
    // must hold: the dataset and every backup, children included, carry the new id
    assert_eq!(dataset.project_id, "another");
    assert!(all.len() > dataset.len());
    assert!(all.iter().all(|b| b.project_id.as_deref() == Some("another")));
}
