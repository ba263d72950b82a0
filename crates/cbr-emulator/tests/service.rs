//! The service core without HTTP: filters, sort, paging, `count`, and refused queries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::OnceLock;

use cbr_emulator::service::ServiceError;
use cbr_emulator::{DOCUMENTED_BACKUP_ID, DOCUMENTED_SERVER_BACKUP_ID, Dataset, Service};
use cbr_model::{
    Backup, DOCUMENTED_PROJECT_ID, ListBackupsQuery, ListBackupsResponse, ResourceType, Status,
};
use serde_json::json;

/// The documented service, built once for the whole file.
fn documented() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| Service::new(Dataset::documented()))
}

fn query(text: &str) -> ListBackupsQuery {
    ListBackupsQuery::parse(text).expect("query parses").query
}

fn list(service: &Service, text: &str) -> ListBackupsResponse {
    service.list(DOCUMENTED_PROJECT_ID, &query(text)).expect("listing succeeds")
}

fn ids(page: &ListBackupsResponse) -> Vec<String> {
    page.backups.iter().map(|b| b.id().to_owned()).collect()
}

/// Every id of a listing, in order, read 1000 at a time with offsets.
fn all_ids(service: &Service, extra: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let page = list(service, &format!("limit=1000&offset={}{extra}", out.len()));
        let count = page.backups.len();
        out.extend(ids(&page));
        if count < 1000 {
            return out;
        }
    }
}

fn refused(service: &Service, text: &str) -> ServiceError {
    match service.list(DOCUMENTED_PROJECT_ID, &query(text)) {
        Ok(page) => panic!("{text} was accepted: count {:?}", page.count),
        Err(error) => error,
    }
}

/// A small hand-made backup.
fn backup(id: &str, created: &str, name: &str, status: &str) -> Backup {
    serde_json::from_value(json!({
        "id": id,
        "created_at": created,
        "updated_at": created,
        "protected_at": null,
        "name": name,
        "status": status,
        "resource_type": "OS::Cinder::Volume",
        "project_id": DOCUMENTED_PROJECT_ID,
        "children": [],
    }))
    .expect("backup decodes")
}

#[test]
fn the_first_published_request_counts_every_backup() {
    // given: the documented project
    let service = documented();
    // done: `limit=100&offset=0`, as in the example
    let page = list(service, "limit=100&offset=0");
    // must hold: count is the total, the page is 100 long and holds the published backup
    assert_eq!(page.count, Some(1663));
    assert_eq!(page.backups.len(), 100);
    assert!(ids(&page).iter().any(|id| id == DOCUMENTED_BACKUP_ID));
}

#[test]
fn the_second_published_request_counts_servers() {
    // given: the documented project
    let service = documented();
    // done: the server filter with `limit=5&offset=0`, as in the example
    let page = list(service, "resource_type=OS%3A%3ANova%3A%3AServer&limit=5&offset=0");
    // must hold: 150 servers in all, 5 on the page, the published one among them
    assert_eq!(page.count, Some(150));
    assert_eq!(page.backups.len(), 5);
    assert!(page.backups.iter().all(|b| b.resource_type == Some(ResourceType::NovaServer)));
    assert!(ids(&page).iter().any(|id| id == DOCUMENTED_SERVER_BACKUP_ID));
}

#[test]
fn without_a_limit_a_page_holds_1000() {
    // given / done: no paging parameters
    let page = list(documented(), "");
    // must hold: the default limit
    assert_eq!(page.backups.len(), 1000);
    assert_eq!(page.count, Some(1663));
}

/// Reads one field of a backup as text.
type Getter = fn(&Backup) -> Option<String>;

#[test]
fn each_equality_filter_keeps_exactly_the_matching_backups() {
    // given: the documented dataset and one of its backups to take values from
    let dataset = Dataset::documented();
    let service = documented();
    let sample = dataset.backups.iter().find(|b| b.id() == DOCUMENTED_BACKUP_ID).expect("sample");
    let fields: [(&str, Getter); 9] = [
        ("checkpoint_id", |b| b.checkpoint_id.clone()),
        ("image_type", |b| b.image_type.as_ref().map(ToString::to_string)),
        ("name", |b| b.name.clone()),
        ("resource_az", |b| b.resource_az.clone()),
        ("resource_id", |b| b.resource_id.clone()),
        ("resource_name", |b| b.resource_name.clone()),
        ("resource_type", |b| b.resource_type.as_ref().map(ToString::to_string)),
        ("vault_id", |b| b.vault_id.clone()),
        ("enterprise_project_id", |b| Some(b.enterprise_project_id.clone().unwrap_or("0".into()))),
    ];
    for (key, field) in fields {
        let value = field(sample).expect("sample has the field");
        // done: the filter is applied
        let mut q = ListBackupsQuery::new();
        q = match key {
            "checkpoint_id" => q.checkpoint_id(value.clone()),
            "image_type" => q.image_type(value.as_str()),
            "name" => q.name(value.clone()),
            "resource_az" => q.resource_az(value.clone()),
            "resource_id" => q.resource_id(value.clone()),
            "resource_name" => q.resource_name(value.clone()),
            "resource_type" => q.resource_type(value.as_str()),
            "vault_id" => q.vault_id(value.clone()),
            _ => q.enterprise_project_id(value.clone()),
        };
        let page = service.list(DOCUMENTED_PROJECT_ID, &q).expect("lists");
        let expected = dataset.backups.iter().filter(|b| field(b).as_ref() == Some(&value)).count();
        // must hold: every result matches, and count is the number of matches
        assert!(page.backups.iter().all(|b| field(b).as_ref() == Some(&value)), "{key}");
        assert_eq!(page.count, Some(expected as u64), "{key}");
        assert!(expected >= 1, "{key}");
    }
}

#[test]
fn name_matches_exactly() {
    // given: the published name and a prefix of it
    let service = documented();
    // done / must hold: the exact name matches once, a prefix or other case not at all
    assert_eq!(list(service, "name=autobk_cf91_0003").count, Some(1));
    assert_eq!(list(service, "name=autobk_cf91").count, Some(0));
    assert_eq!(list(service, "name=AUTOBK_CF91_0003").count, Some(0));
    assert_eq!(list(service, "resource_name=xzl_ecs-0003").count, Some(0));
}

#[test]
fn status_accepts_any_of_several() {
    // given: the documented dataset's statuses
    let dataset = Dataset::documented();
    let count = |status: Status| {
        dataset.backups.iter().filter(|b| b.status == Some(status.clone())).count()
    };
    let (available, error) = (count(Status::Available), count(Status::Error));
    // done: one status, then two
    let one = list(documented(), "status=error&limit=1000");
    let two = list(documented(), "status=available&status=error&limit=1000");
    // must hold: any-of semantics
    assert_eq!(one.count, Some(error as u64));
    assert!(one.backups.iter().all(|b| b.status == Some(Status::Error)));
    assert_eq!(two.count, Some((available + error) as u64));
    assert!(
        two.backups.iter().all(|b| matches!(b.status, Some(Status::Available | Status::Error)))
    );
}

#[test]
fn the_time_window_is_inclusive_on_created_at() {
    // given: backups created on whole seconds
    let backups = vec![
        backup("a", "2020-01-01T00:00:00.000000", "n", "available"),
        backup("b", "2020-01-02T00:00:00.000000", "n", "available"),
        backup("c", "2020-01-03T00:00:00.000000", "n", "available"),
        backup("d", "2020-01-03T00:00:00.000001", "n", "available"),
    ];
    let service = Service::new(Dataset::new(DOCUMENTED_PROJECT_ID, backups));
    // done: windows with bounds on the backups' times
    let window = |text: &str| {
        let mut got = ids(&list(&service, text));
        got.sort();
        got
    };
    // must hold: both bounds included, down to the microsecond
    assert_eq!(window("start_time=2020-01-02T00:00:00Z&end_time=2020-01-03T00:00:00Z"), ["b", "c"]);
    assert_eq!(window("start_time=2020-01-03T00:00:00Z"), ["c", "d"]);
    assert_eq!(window("end_time=2020-01-01T00:00:00Z"), ["a"]);
    assert_eq!(window("start_time=2020-01-01T08:00:00%2B08:00&end_time=2020-01-01"), ["a"]);
    assert!(matches!(
        refused(&service, "start_time=2020-01-03T00:00:00Z&end_time=2020-01-01T00:00:00Z"),
        ServiceError::InvalidQuery(_)
    ));
}

#[test]
fn the_window_works_on_the_documented_data() {
    // given: the day of the published backups
    let dataset = Dataset::documented();
    let start = chrono::DateTime::parse_from_rfc3339("2020-08-18T00:00:00Z").expect("time");
    let expected = dataset
        .backups
        .iter()
        .filter(|b| b.created_at.as_ref().and_then(|t| t.to_utc()).is_some_and(|t| t >= start))
        .count();
    // done: the window from that midnight
    let page = list(documented(), "start_time=2020-08-18T00:00:00Z");
    // must hold: the same backups, the published ones among them
    assert_eq!(page.count, Some(expected as u64));
    assert!(ids(&page).iter().any(|id| id == DOCUMENTED_SERVER_BACKUP_ID));
}

#[test]
fn sort_orders_by_several_keys_and_directions_with_ties_broken_by_id() {
    // given: backups sharing names and times
    let backups = vec![
        backup("3", "2020-01-01T00:00:00.000000", "beta", "error"),
        backup("1", "2020-01-01T00:00:00.000000", "alpha", "available"),
        backup("2", "2020-01-02T00:00:00.000000", "alpha", "error"),
        backup("5", "2020-01-02T00:00:00.000000", "beta", "available"),
        backup("4", "2020-01-01T00:00:00.000000", "alpha", "available"),
    ];
    let service = Service::new(Dataset::new(DOCUMENTED_PROJECT_ID, backups));
    let order = |text: &str| ids(&list(&service, text)).concat();
    // done / must hold: each order, ties completed by id in the last key's direction
    assert_eq!(order(""), "52431");
    assert_eq!(order("sort=created_at"), "52431");
    assert_eq!(order("sort=created_at:asc"), "13425");
    assert_eq!(order("sort=name:asc"), "12435");
    assert_eq!(order("sort=name:desc"), "53421");
    assert_eq!(order("sort=name:asc,created_at:desc"), "24153");
    assert_eq!(order("sort=status:asc,name:desc"), "54132");
    assert_eq!(order("sort=id:asc"), "12345");
    assert_eq!(order("sort=id"), "54321");
    assert_eq!(order("sort=name:asc,id:asc"), "12435");
    assert_eq!(order("sort=updated_at:asc,name:asc"), "14325");
}

#[test]
fn sort_by_protected_at_puts_missing_times_first_ascending() {
    // given: the documented data, where backups still being made have no protected_at
    let service = documented();
    // done: ascending and descending by protected_at
    let asc = list(service, "sort=protected_at:asc&limit=1000");
    let desc = list(service, "sort=protected_at:desc&limit=1000");
    // must hold: nulls first ascending, last descending; the rest ordered
    let first_asc = asc.backups.first().expect("backups");
    assert!(first_asc.protected_at.is_none());
    assert!(desc.backups.first().is_some_and(|b| b.protected_at.is_some()));
    let times: Vec<_> =
        desc.backups.iter().map(|b| b.protected_at.as_ref().and_then(|t| t.to_utc())).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn offset_paging_walks_every_backup_once() {
    // given: the documented project and a page size that does not divide 1663
    let service = documented();
    let mut seen = Vec::new();
    // done: pages are read until one is empty
    for page_number in 0.. {
        let page = list(service, &format!("limit=97&offset={}", page_number * 97));
        assert_eq!(page.count, Some(1663));
        if page.backups.is_empty() {
            break;
        }
        seen.extend(ids(&page));
    }
    // must hold: every backup exactly once, in the order of one big page
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 1663);
    assert_eq!(unique.len(), 1663);
    let whole: Vec<String> = [0, 1000]
        .iter()
        .flat_map(|offset| ids(&list(service, &format!("offset={offset}"))))
        .collect();
    assert_eq!(seen, whole);
}

#[test]
fn marker_paging_walks_every_backup_once_in_any_order() {
    // given: the documented project, several sorts and filters
    let service = documented();
    for extra in ["", "&sort=name:asc", "&sort=status,updated_at:asc", "&status=available"] {
        let expected = list(service, &format!("limit=1000{extra}")).count;
        let mut seen: Vec<String> = Vec::new();
        // done: each page continues after the last id of the previous one
        loop {
            let marker = seen.last().map(|id| format!("&marker={id}")).unwrap_or_default();
            let page = list(service, &format!("limit=250{extra}{marker}"));
            assert_eq!(page.count, expected, "count ignores the marker");
            seen.extend(ids(&page));
            if page.backups.len() < 250 {
                break;
            }
        }
        // must hold: every match exactly once, in the same order as offset paging
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(Some(seen.len() as u64), expected, "{extra}");
        assert_eq!(unique.len(), seen.len(), "{extra}");
        let by_offset: Vec<String> = (0..7)
            .flat_map(|n| ids(&list(service, &format!("limit=250&offset={}{extra}", n * 250))))
            .collect();
        assert_eq!(seen, by_offset, "{extra}");
    }
}

#[test]
fn a_marker_outside_the_filter_still_places_the_page() {
    // given: a server backup used as marker for a disk-only listing
    let service = documented();
    let everything = all_ids(service, "");
    let disks = all_ids(service, "&resource_type=OS::Cinder::Volume");
    let at = everything.iter().position(|id| id == DOCUMENTED_SERVER_BACKUP_ID).expect("present");
    // done: the marker is the published server backup
    let marker = format!("&marker={DOCUMENTED_SERVER_BACKUP_ID}");
    let page = all_ids(service, &format!("&resource_type=OS::Cinder::Volume{marker}"));
    // must hold: the disks that come after it in the overall order
    let after: HashSet<&String> = everything[at + 1..].iter().collect();
    let expected: Vec<String> = disks.into_iter().filter(|id| after.contains(id)).collect();
    assert!(page == expected, "{} ids, expected {}", page.len(), expected.len());
    assert!(!page.is_empty());
}

#[test]
fn marker_and_offset_combine() {
    // given: the first page of the default order
    let service = documented();
    let first = ids(&list(service, "limit=20"));
    // done: marker = 5th, offset 3
    let page = list(service, &format!("limit=5&offset=3&marker={}", first[4]));
    // must hold: the page starts 3 after the marker
    assert_eq!(ids(&page), first[8..13]);
}

#[test]
fn an_unknown_marker_is_refused() {
    // given / done: a marker no backup has
    let error = refused(documented(), "marker=00000000-0000-4000-8000-000000000000");
    // must hold: 400 BackupService.9900 naming the marker
    assert!(matches!(error, ServiceError::MarkerNotFound { .. }));
    assert_eq!(error.error_code(), "BackupService.9900");
    assert_eq!(error.http_status(), 400);
    assert!(error.to_string().contains("marker"));
    assert!(error.to_string().contains("not found"));
}

#[test]
fn count_is_the_number_of_matches_not_the_page_length() {
    // given: the documented project
    let service = documented();
    // done / must hold: count is the same whatever the page
    for text in ["limit=1", "limit=1&offset=1662", "limit=1000&offset=1000", "offset=5000"] {
        assert_eq!(list(service, text).count, Some(1663), "{text}");
    }
}

#[test]
fn an_offset_past_the_end_gives_an_empty_page() {
    // given / done: offsets at and past the end
    for text in ["offset=1663", "offset=99999999999&limit=1000", "offset=18446744073709551615"] {
        let page = list(documented(), text);
        // must hold: 200-style answer, empty, count still the total
        assert!(page.backups.is_empty(), "{text}");
        assert_eq!(page.count, Some(1663), "{text}");
    }
    assert_eq!(list(documented(), "offset=1662").backups.len(), 1);
}

#[test]
fn limit_must_be_between_1_and_1000() {
    // given: the documented project
    let service = documented();
    // done / must hold: the bounds are accepted, outside refused
    assert_eq!(list(service, "limit=1").backups.len(), 1);
    assert_eq!(list(service, "limit=1000").backups.len(), 1000);
    for text in ["limit=0", "limit=1001"] {
        let error = refused(service, text);
        assert!(matches!(error, ServiceError::InvalidQuery(_)), "{text}");
        assert!(error.to_string().contains("limit"), "{error}");
    }
}

#[test]
fn undocumented_enumeration_values_are_refused() {
    // given: values outside each documented set
    for text in [
        "status=frozen",
        "status=available&status=frozen",
        "resource_type=OS::Nova::Nothing",
        "image_type=copy",
        "own_type=mine",
        "member_status=maybe",
    ] {
        // done: the query is listed
        let error = refused(documented(), text);
        // must hold: refused, naming the parameter
        let parameter = text.rsplit('&').next().and_then(|p| p.split('=').next()).unwrap_or("");
        assert!(error.to_string().contains(parameter), "{text}: {error}");
        assert_eq!(error.error_code(), "BackupService.9900");
    }
}

#[test]
fn another_project_sees_nothing() {
    // given: the documented service
    let service = documented();
    // done: a listing for another project
    let page = service.list("another-project", &ListBackupsQuery::new()).expect("lists");
    // must hold: nothing, count 0; bad queries are still refused
    assert_eq!(page.count, Some(0));
    assert!(page.backups.is_empty());
    assert!(service.list("another-project", &query("limit=0")).is_err());
    let moved = Service::new(Dataset::generated(10, 1).with_project_id("another-project"));
    assert_eq!(
        moved.list("another-project", &ListBackupsQuery::new()).map(|p| p.count),
        Ok(Some(10))
    );
    assert_eq!(
        moved.list(DOCUMENTED_PROJECT_ID, &ListBackupsQuery::new()).map(|p| p.count),
        Ok(Some(0))
    );
}

#[test]
fn own_type_private_and_all_granted_list_everything_shared_nothing() {
    // given: a dataset of private backups
    let service = documented();
    // done / must hold
    assert_eq!(list(service, "own_type=private").count, Some(1663));
    assert_eq!(list(service, "own_type=all_granted").count, Some(1663));
    assert_eq!(list(service, "own_type=shared").count, Some(0));
}

#[test]
fn replication_records_are_shown_only_on_request() {
    // given: the documented project
    let service = documented();
    // done: the same page with and without show_replication
    let hidden = list(service, "limit=1000");
    let explicit = list(service, "limit=1000&show_replication=false");
    let shown = list(service, "limit=1000&show_replication=true");
    // must hold: an empty list unless asked for (children too), as in the published example;
    // present, some non-empty, when asked
    let empty = |b: &cbr_model::Backup| b.replication_records.as_ref().is_some_and(Vec::is_empty);
    for page in [&hidden, &explicit] {
        for backup in &page.backups {
            assert!(empty(backup));
            let children = backup.children.as_deref().unwrap_or_default();
            assert!(children.iter().all(empty));
        }
    }
    assert!(shown.backups.iter().all(|b| b.replication_records.is_some()));
    assert!(
        shown.backups.iter().any(|b| b.replication_records.as_ref().is_some_and(|r| !r.is_empty()))
    );
}

#[test]
fn parent_id_lists_the_children_of_a_server_backup() {
    // given: a server backup with disk children
    let dataset = Dataset::documented();
    let parent = dataset
        .backups
        .iter()
        .find(|b| b.children.as_ref().is_some_and(|c| c.len() >= 2))
        .expect("a parent with two children");
    let children: HashSet<&str> = parent.children.iter().flatten().map(Backup::id).collect();
    // done: its id is the parent_id filter
    let page = list(documented(), &format!("parent_id={}", parent.id()));
    // must hold: exactly its children; an unknown parent has none
    assert_eq!(page.count, Some(children.len() as u64));
    assert_eq!(page.backups.iter().map(Backup::id).collect::<HashSet<_>>(), children);
    assert_eq!(list(documented(), "parent_id=nobody").count, Some(0));
    let status = parent.status.as_ref().map(ToString::to_string).unwrap_or_default();
    let combined = list(documented(), &format!("parent_id={}&status={status}", parent.id()));
    assert_eq!(combined.count, Some(children.len() as u64));
}

#[test]
fn incremental_and_enterprise_project_filter() {
    // given: the documented dataset
    let dataset = Dataset::documented();
    let incremental = dataset.backups.iter().filter(|b| b.incremental == Some(true)).count();
    let default_ep = dataset
        .backups
        .iter()
        .filter(|b| b.enterprise_project_id.as_deref().unwrap_or("0") == "0")
        .count();
    // done / must hold: incremental splits the set; backups without the field are full
    assert_eq!(list(documented(), "incremental=true").count, Some(incremental as u64));
    assert_eq!(list(documented(), "incremental=false").count, Some((1663 - incremental) as u64));
    assert!(incremental > 0 && incremental < 1663);
    assert_eq!(list(documented(), "enterprise_project_id=0").count, Some(default_ep as u64));
    assert!(default_ep < 1663);
    assert_eq!(list(documented(), "enterprise_project_id=all_granted_eps").count, Some(1663));
}

#[test]
fn parameters_without_an_effect_here_are_accepted() {
    // given / done: parameters the dataset has nothing to filter by
    let page = list(documented(), "dec=false&member_status=accepted");
    // must hold: accepted and ignored
    assert_eq!(page.count, Some(1663));
}

#[test]
fn used_percent_keeps_the_backups_of_vaults_at_least_that_full() {
    // given: the documented dataset and its vaults' usage
    let dataset = Dataset::documented();
    let in_vaults_over = |percent: u8| {
        let full: HashSet<&str> = dataset
            .vaults
            .iter()
            .filter(|v| v.is_used_at_least(percent))
            .map(|v| v.id.as_str())
            .collect();
        dataset
            .backups
            .iter()
            .filter(move |b| b.vault_id.as_deref().is_some_and(|v| full.contains(v)))
    };
    for percent in [1, 27, 28, 50, 71, 80, 86, 87, 95, 96, 100] {
        // done
        let page = list(documented(), &format!("used_percent={percent}&limit=1000"));
        // must hold: exactly the backups of those vaults
        let expected: HashSet<&str> = in_vaults_over(percent).map(Backup::id).collect();
        assert_eq!(page.count, Some(expected.len() as u64), "used_percent={percent}");
        assert!(page.backups.iter().all(|b| expected.contains(b.id())), "{percent}");
    }
    // must hold: the thresholds split the data (27 % is the emptiest vault, 95.3 % the fullest)
    assert_eq!(list(documented(), "used_percent=27").count, Some(1663));
    assert_eq!(list(documented(), "used_percent=96").count, Some(0));
    let eighty = list(documented(), "used_percent=80").count.unwrap_or_default();
    assert!(eighty > 0 && eighty < 1663, "{eighty}");
}

#[test]
fn a_vault_usage_is_compared_exactly() {
    // given: a vault at 79.99 % and one at exactly 80 %
    let almost = cbr_emulator::Vault { id: "a".into(), capacity_gb: 10_000, used_gb: 7999 };
    let exactly = cbr_emulator::Vault { id: "b".into(), capacity_gb: 10, used_gb: 8 };
    // done / must hold: no rounding
    assert!(!almost.is_used_at_least(80));
    assert!(exactly.is_used_at_least(80));
    assert!(!exactly.is_used_at_least(81));
}

#[test]
fn a_backup_in_an_unlisted_vault_matches_no_used_percent() {
    // given: backups whose vault has no recorded usage
    let service = Service::new(Dataset::new(
        DOCUMENTED_PROJECT_ID,
        vec![backup("a", "2020-01-01T00:00:00.000000", "x", "available")],
    ));
    // done / must hold
    assert_eq!(list(&service, "used_percent=1").count, Some(0));
    assert_eq!(list(&service, "").count, Some(1));
}

#[test]
fn the_service_streams_the_same_generated_dataset() {
    // given: a generated dataset held whole, and the same one built without holding it
    let whole = Service::new(Dataset::generated(3000, 11));
    let streamed = Service::generated(DOCUMENTED_PROJECT_ID, 3000, 11);
    for text in ["limit=1000", "sort=name:asc,status&limit=1000&offset=500", "used_percent=60"] {
        // done
        let (a, b) = (list(&whole, text), list(&streamed, text));
        // must hold: the same answer, backup for backup
        assert_eq!(a, b, "{text}");
    }
}

#[test]
fn the_body_is_the_typed_answer_written_as_json() {
    // given: a few queries, with and without replication records
    for text in ["limit=20", "show_replication=true&limit=1000", "parent_id=x", "offset=5000"] {
        // done
        let typed = list(documented(), text);
        let body = documented().list_json(DOCUMENTED_PROJECT_ID, &query(text)).expect("lists");
        // must hold: the body is exactly the typed answer's serde form
        assert_eq!(String::from_utf8(body).unwrap(), serde_json::to_string(&typed).unwrap());
    }
}

#[test]
fn churn_creates_and_deletes_and_is_repeatable() {
    // given: two services of one dataset
    let (a, b) =
        (Service::new(Dataset::generated(500, 3)), Service::new(Dataset::generated(500, 3)));
    let before: HashSet<String> = all_ids(&a, "").into_iter().collect();
    // done: three churn steps of 10 on each, with one seed
    for _ in 0..3 {
        a.churn(10, 99);
        b.churn(10, 99);
    }
    // must hold: the same result on both; the count unchanged, up to 30 replaced (a backup
    // created by one step may be deleted by the next)
    let after_a = all_ids(&a, "");
    assert_eq!(after_a, all_ids(&b, ""));
    let after: HashSet<String> = after_a.iter().cloned().collect();
    assert_eq!(a.generation(), 3);
    assert_eq!(after.len(), 500);
    let (gone, new) = (before.difference(&after).count(), after.difference(&before).count());
    assert_eq!(gone, new);
    assert!((25..=30).contains(&gone), "{gone}");
    // must hold: the present-throughout set is what survived
    let kept = a.present_throughout(DOCUMENTED_PROJECT_ID, &query(""), 0, 3).expect("query");
    assert_eq!(kept.iter().cloned().collect::<HashSet<_>>(), &before & &after);
    assert_eq!(a.present_throughout(DOCUMENTED_PROJECT_ID, &query(""), 3, 3).unwrap().len(), 500);
}

#[test]
fn a_deleted_backup_still_places_a_marker() {
    // given: the tenth backup of the default order, deleted by churn
    let service = Service::new(Dataset::generated(300, 5));
    let tenth = list(&service, "limit=10").backups.pop().expect("a full page");
    let place = (tenth.created_at.clone().expect("a time").raw().to_owned(), tenth.id().to_owned());
    let mut seed = 0;
    while all_ids(&service, "").contains(&place.1) {
        service.churn(30, seed);
        seed += 1;
        assert!(seed < 200, "the backup is never deleted");
    }
    // done: the next page is asked for with the deleted backup as marker
    let next = list(&service, &format!("limit=10&marker={}", place.1));
    // must hold: it continues after the deleted backup's place: the next ten existing
    // backups older than it (created_at, then id, descending)
    let mut older: Vec<(String, String)> = list(&service, "limit=1000")
        .backups
        .iter()
        .map(|b| (b.created_at.clone().expect("a time").raw().to_owned(), b.id().to_owned()))
        .filter(|key| *key < place)
        .collect();
    older.sort_unstable_by(|a, b| b.cmp(a));
    let expected: Vec<String> = older.into_iter().take(10).map(|(_, id)| id).collect();
    assert_eq!(ids(&next), expected);
    assert_eq!(expected.len(), 10);
}
