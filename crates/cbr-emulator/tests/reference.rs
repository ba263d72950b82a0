//! Random queries over generated datasets, answered by the service and by a brute-force
//! reference written here independently (filter with an iterator, sort with a comparator),
//! must list the same ids in the same order with the same count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;
use std::sync::OnceLock;

use cbr_emulator::{Dataset, Service};
use cbr_model::{
    Backup, DOCUMENTED_PROJECT_ID, ListBackupsQuery, QueryTime, Sort, SortDirection, SortField,
    SortKey, Status,
};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::sample::Index;

const SEEDS: u64 = 3;
const STATUSES: [&str; 8] = [
    "available",
    "protecting",
    "deleting",
    "restoring",
    "error",
    "waiting_protect",
    "waiting_delete",
    "waiting_restore",
];

/// The datasets and their services, built once.
fn fixtures() -> &'static Vec<(Dataset, Service)> {
    static FIXTURES: OnceLock<Vec<(Dataset, Service)>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        (0..SEEDS)
            .map(|seed| {
                let dataset = Dataset::generated(2000, seed);
                (dataset.clone(), Service::new(dataset))
            })
            .collect()
    })
}

/// The random choices of one query; values are drawn from the dataset so filters match.
#[derive(Debug, Clone)]
struct Choices {
    seed: u64,
    checkpoint_id: Option<Index>,
    name: Option<Index>,
    resource_az: Option<Index>,
    resource_id: Option<Index>,
    resource_name: Option<Index>,
    resource_type: Option<Index>,
    vault_id: Option<Index>,
    image_type: Option<Index>,
    enterprise_project: Option<Option<Index>>,
    parent: Option<Index>,
    statuses: Vec<usize>,
    window: (Option<Index>, Option<Index>),
    incremental: Option<bool>,
    used_percent: Option<u8>,
    own_type: Option<usize>,
    sort: Vec<(usize, Option<bool>)>,
    limit: Option<u32>,
    offset: Option<u64>,
    marker: Option<Index>,
}

fn choices() -> impl Strategy<Value = Choices> {
    let rare = || prop::option::weighted(0.06, any::<Index>());
    let common = || prop::option::weighted(0.18, any::<Index>());
    (
        (0..SEEDS, rare(), rare(), common(), rare(), rare(), common(), common(), common()),
        (
            prop::option::weighted(0.2, prop::option::weighted(0.7, any::<Index>())),
            prop::option::weighted(0.08, any::<Index>()),
            prop::option::weighted(0.3, prop::collection::vec(0..STATUSES.len(), 1..4))
                .prop_map(Option::unwrap_or_default),
            (common(), common()),
            prop::option::weighted(0.2, any::<bool>()),
            prop::option::weighted(0.2, 1u8..=100),
            prop::option::weighted(0.15, 0..OWN_TYPES.len()),
        ),
        (
            prop::collection::vec((0..6usize, prop::option::of(any::<bool>())), 0..4),
            prop::option::of(1u32..80),
            prop::option::weighted(0.4, 0u64..120),
            prop::option::weighted(0.3, any::<Index>()),
        ),
    )
        .prop_map(|(a, b, c)| Choices {
            seed: a.0,
            checkpoint_id: a.1,
            name: a.2,
            resource_az: a.3,
            resource_id: a.4,
            resource_name: a.5,
            resource_type: a.6,
            vault_id: a.7,
            image_type: a.8,
            enterprise_project: b.0,
            parent: b.1,
            statuses: b.2,
            window: b.3,
            incremental: b.4,
            used_percent: b.5,
            own_type: b.6,
            sort: c.0,
            limit: c.1,
            offset: c.2,
            marker: c.3,
        })
}

const OWN_TYPES: [&str; 3] = ["private", "all_granted", "shared"];

const FIELDS: [SortField; 6] = [
    SortField::CreatedAt,
    SortField::UpdatedAt,
    SortField::Name,
    SortField::Status,
    SortField::ProtectedAt,
    SortField::Id,
];

/// Every child backup of the dataset (what `parent_id` searches).
fn children(dataset: &Dataset) -> Vec<&Backup> {
    fn walk<'a>(backups: &'a [Backup], out: &mut Vec<&'a Backup>) {
        for backup in backups {
            let kids = backup.children.as_deref().unwrap_or_default();
            out.extend(kids.iter());
            walk(kids, out);
        }
    }
    let mut out = Vec::new();
    walk(&dataset.backups, &mut out);
    out
}

fn created(backup: &Backup) -> Option<DateTime<Utc>> {
    backup.created_at.as_ref().and_then(|t| t.to_utc())
}

/// The query and the reference answer (count, ids of the page) for the choices.
fn build(choices: &Choices, dataset: &Dataset) -> (ListBackupsQuery, u64, Vec<String>) {
    let top: Vec<&Backup> = dataset.backups.iter().collect();
    let parents: Vec<&Backup> = top
        .iter()
        .copied()
        .filter(|b| b.children.as_ref().is_some_and(|c| !c.is_empty()))
        .collect();
    let pick = |index: &Option<Index>| index.as_ref().map(|i| *i.get(&top));
    let text = |b: Option<&Backup>, f: fn(&Backup) -> Option<String>| b.and_then(f);

    let mut q = ListBackupsQuery::new();
    let parent_id = choices
        .parent
        .as_ref()
        .filter(|_| !parents.is_empty())
        .map(|i| i.get(&parents).id().to_owned());
    let pool: Vec<&Backup> = if parent_id.is_some() { children(dataset) } else { top.clone() };

    let checkpoint_id = text(pick(&choices.checkpoint_id), |b| b.checkpoint_id.clone());
    let name = text(pick(&choices.name), |b| b.name.clone());
    let resource_az = text(pick(&choices.resource_az), |b| b.resource_az.clone());
    let resource_id = text(pick(&choices.resource_id), |b| b.resource_id.clone());
    let resource_name = text(pick(&choices.resource_name), |b| b.resource_name.clone());
    let resource_type =
        text(pick(&choices.resource_type), |b| b.resource_type.as_ref().map(|t| t.to_string()));
    let vault_id = text(pick(&choices.vault_id), |b| b.vault_id.clone());
    let image_type =
        text(pick(&choices.image_type), |b| b.image_type.as_ref().map(|t| t.to_string()));
    let enterprise = choices.enterprise_project.as_ref().map(|inner| match pick(inner) {
        Some(b) => b.enterprise_project_id.clone().unwrap_or_else(|| "0".to_owned()),
        None => "all_granted_eps".to_owned(),
    });
    let statuses: Vec<&str> = choices.statuses.iter().map(|&i| STATUSES[i]).collect();
    let bound = |index: &Option<Index>| pick(index).and_then(created).map(QueryTime::new);
    let (mut start, mut end) = (bound(&choices.window.0), bound(&choices.window.1));
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            (start, end) = (Some(e), Some(s));
        }
    }

    if let Some(v) = &checkpoint_id {
        q = q.checkpoint_id(v.clone());
    }
    if let Some(v) = &name {
        q = q.name(v.clone());
    }
    if let Some(v) = &resource_az {
        q = q.resource_az(v.clone());
    }
    if let Some(v) = &resource_id {
        q = q.resource_id(v.clone());
    }
    if let Some(v) = &resource_name {
        q = q.resource_name(v.clone());
    }
    if let Some(v) = &resource_type {
        q = q.resource_type(v.as_str());
    }
    if let Some(v) = &vault_id {
        q = q.vault_id(v.clone());
    }
    if let Some(v) = &image_type {
        q = q.image_type(v.as_str());
    }
    if let Some(v) = &enterprise {
        q = q.enterprise_project_id(v.clone());
    }
    if let Some(v) = &parent_id {
        q = q.parent_id(v.clone());
    }
    for status in &statuses {
        q = q.status(*status);
    }
    if let Some(v) = start {
        q = q.start_time(v);
    }
    if let Some(v) = end {
        q = q.end_time(v);
    }
    if let Some(v) = choices.incremental {
        q = q.incremental(v);
    }
    if let Some(v) = choices.used_percent {
        q = q.used_percent(v);
    }
    // `shared` lists nothing, so a marker could not be found: not combined with one.
    let own_type = choices
        .own_type
        .map(|i| OWN_TYPES[i])
        .filter(|own| *own != "shared" || choices.marker.is_none());
    if let Some(v) = own_type {
        q = q.own_type(v);
    }
    // Vaults at least `used_percent` full: used / capacity >= percent / 100, in integers.
    let full_vaults: Option<Vec<&str>> = choices.used_percent.map(|percent| {
        dataset
            .vaults
            .iter()
            .filter(|v| v.used_gb * 100 >= u64::from(percent) * v.capacity_gb)
            .map(|v| v.id.as_str())
            .collect()
    });
    if let Some(v) = choices.limit {
        q = q.limit(v);
    }
    if let Some(v) = choices.offset {
        q = q.offset(v);
    }

    // The reference: filter with an iterator.
    let same = |wanted: &Option<String>, value: &Option<String>| {
        wanted.as_ref().is_none_or(|w| value.as_ref() == Some(w))
    };
    let matches = |b: &&Backup| {
        same(&checkpoint_id, &b.checkpoint_id)
            && same(&name, &b.name)
            && same(&resource_az, &b.resource_az)
            && same(&resource_id, &b.resource_id)
            && same(&resource_name, &b.resource_name)
            && same(&resource_type, &b.resource_type.as_ref().map(|t| t.to_string()))
            && same(&vault_id, &b.vault_id)
            && same(&image_type, &b.image_type.as_ref().map(|t| t.to_string()))
            && same(&parent_id, &b.parent_id)
            && enterprise.as_ref().is_none_or(|w| {
                w == "all_granted_eps" || b.enterprise_project_id.as_deref().unwrap_or("0") == w
            })
            && (statuses.is_empty()
                || statuses.iter().any(|s| b.status.as_ref().map(Status::as_str) == Some(*s)))
            && start.is_none_or(|s| created(b).is_some_and(|c| c >= s.utc()))
            && end.is_none_or(|e| created(b).is_some_and(|c| c <= e.utc()))
            && choices.incremental.is_none_or(|w| b.incremental.unwrap_or(false) == w)
            && full_vaults
                .as_ref()
                .is_none_or(|full| b.vault_id.as_deref().is_some_and(|v| full.contains(&v)))
            && own_type != Some("shared")
    };

    // The reference: sort with a comparator, completed by id.
    let mut keys: Vec<(SortField, bool)> =
        choices.sort.iter().map(|&(field, asc)| (FIELDS[field], asc.unwrap_or(false))).collect();
    if !choices.sort.is_empty() {
        let sort_keys: Vec<SortKey> = choices
            .sort
            .iter()
            .map(|&(field, asc)| SortKey {
                field: FIELDS[field],
                direction: asc.map(|a| if a { SortDirection::Asc } else { SortDirection::Desc }),
            })
            .collect();
        q = q.sort(Sort::new(sort_keys).expect("short sort"));
    }
    if keys.is_empty() {
        keys.push((SortField::CreatedAt, false));
    }
    if !keys.iter().any(|(f, _)| *f == SortField::Id) {
        let last = keys.last().map(|(_, asc)| *asc).unwrap_or(false);
        keys.push((SortField::Id, last));
    }
    // Each backup with its times read by the model, once.
    let time = |t: &Option<cbr_model::Timestamp>| t.as_ref().and_then(|t| t.to_utc());
    type Times = [Option<DateTime<Utc>>; 3];
    let mut decorated: Vec<(&Backup, Times)> = pool
        .iter()
        .map(|b| (*b, [time(&b.created_at), time(&b.updated_at), time(&b.protected_at)]))
        .collect();
    let compare = |(a, ta): &(&Backup, Times), (b, tb): &(&Backup, Times)| {
        for (field, asc) in &keys {
            let ordering = match field {
                SortField::CreatedAt => ta[0].cmp(&tb[0]),
                SortField::UpdatedAt => ta[1].cmp(&tb[1]),
                SortField::ProtectedAt => ta[2].cmp(&tb[2]),
                SortField::Name => a.name.cmp(&b.name),
                SortField::Status => a
                    .status
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .cmp(&b.status.as_ref().map(|s| s.as_str().to_owned())),
                SortField::Id => a.id.cmp(&b.id),
            };
            let ordering = if *asc { ordering } else { ordering.reverse() };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    };
    decorated.sort_by(compare);
    let all_sorted: Vec<&Backup> = decorated.into_iter().map(|(b, _)| b).collect();
    let mut selected: Vec<&Backup> = all_sorted.iter().copied().filter(matches).collect();
    let count = selected.len() as u64;

    if let Some(marker) = choices.marker.as_ref().filter(|_| !pool.is_empty()) {
        let marker = *marker.get(&pool);
        q = q.marker(marker.id().to_owned());
        let at = all_sorted.iter().position(|b| b.id() == marker.id()).unwrap_or(0);
        let after: std::collections::HashSet<&str> =
            all_sorted[at + 1..].iter().map(|b| b.id()).collect();
        selected.retain(|b| after.contains(b.id()));
    }
    let offset = choices.offset.unwrap_or(0) as usize;
    let limit = choices.limit.unwrap_or(1000) as usize;
    let page = selected.iter().skip(offset).take(limit).map(|b| b.id().to_owned()).collect();
    (q, count, page)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_service_agrees_with_the_reference(choices in choices()) {
        // given: a generated dataset and a random query with its reference answer
        let (dataset, service) = &fixtures()[choices.seed as usize];
        let (query, count, expected) = build(&choices, dataset);
        // done: the query goes over its wire form and is listed by the service
        let wire = query.to_query_string();
        let parsed = ListBackupsQuery::parse(&wire).expect("wire form parses").query;
        prop_assert_eq!(parsed.to_query_string(), wire.clone());
        let page = service.list(DOCUMENTED_PROJECT_ID, &parsed);
        prop_assert!(page.is_ok(), "{wire}: {page:?}");
        let page = page.unwrap_or_default();
        // must hold: the same count and the same ids in the same order
        let ids: Vec<String> = page.backups.iter().map(|b| b.id().to_owned()).collect();
        prop_assert_eq!(page.count, Some(count), "{}", wire);
        prop_assert_eq!(ids, expected, "{}", wire);
    }
}

#[test]
fn the_reference_sees_some_non_trivial_answers() {
    // given: a few fixed choices over the first dataset
    let (dataset, service) = &fixtures()[0];
    let mut base = Choices {
        seed: 0,
        checkpoint_id: None,
        name: None,
        resource_az: None,
        resource_id: None,
        resource_name: None,
        resource_type: None,
        vault_id: None,
        image_type: None,
        enterprise_project: None,
        parent: None,
        statuses: vec![0, 4],
        window: (None, None),
        incremental: None,
        used_percent: None,
        own_type: None,
        sort: vec![(2, Some(true)), (0, None)],
        limit: Some(50),
        offset: Some(10),
        marker: None,
    };
    // done: listed by both
    for _ in 0..2 {
        let (query, count, expected) = build(&base, dataset);
        let page = service.list(DOCUMENTED_PROJECT_ID, &query).expect("lists");
        // must hold: a full page that both agree on
        assert_eq!(page.count, Some(count));
        assert_eq!(expected.len(), 50);
        let ids: Vec<String> = page.backups.iter().map(|b| b.id().to_owned()).collect();
        assert_eq!(ids, expected);
        base.sort = vec![(3, None), (1, Some(true))];
    }
}

#[test]
fn orders_kept_through_churn_agree_with_a_fresh_sort() {
    // given: a service whose sorted orders are built, then five churn steps
    let service = Service::new(Dataset::generated(2000, 9));
    let sorts =
        ["", "sort=name:asc", "sort=status,updated_at:asc", "sort=protected_at:desc,id:asc"];
    let parse = |text: &str| ListBackupsQuery::parse(text).expect("parses").query;
    for sort in sorts {
        service.list(DOCUMENTED_PROJECT_ID, &parse(sort)).expect("lists");
    }
    for step in 0..5 {
        service.churn(40, step);
    }
    let now = service.generation();
    for sort in sorts {
        for filter in ["", "&status=available&status=error"] {
            // done: every page by marker, walking the kept orders
            let text = format!("{sort}{filter}");
            let mut walked: Vec<String> = Vec::new();
            loop {
                let marker = walked.last().map(|m| format!("&marker={m}")).unwrap_or_default();
                let page = service
                    .list(DOCUMENTED_PROJECT_ID, &parse(&format!("{text}&limit=333{marker}")))
                    .expect("lists");
                walked.extend(page.backups.iter().map(|b| b.id().to_owned()));
                if page.backups.len() < 333 {
                    break;
                }
            }
            // must hold: the same sequence as a fresh sort of what exists now
            let fresh = service
                .present_throughout(DOCUMENTED_PROJECT_ID, &parse(&text), now, now)
                .expect("lists");
            assert_eq!(walked, fresh, "{text}");
            assert!(walked.len() > 1000, "{text}");
        }
    }
}
