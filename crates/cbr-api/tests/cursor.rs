//! The page cursor against an in-memory service: every backup exactly once, in order, in the
//! expected number of requests, whatever the totals, page sizes, caps, service-side caps,
//! concurrency and churn.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashSet, VecDeque};

use cbr_api::{PageCursor, PaginationError, Recorded, Strategy as Paging};
use cbr_model::{Backup, ListBackupsQuery};
use proptest::prelude::*;

fn backup(id: usize) -> Backup {
    let mut b = Backup::default();
    b.id = Some(format!("b{id:06}"));
    b
}

fn id(i: usize) -> String {
    format!("b{i:06}")
}

/// A service holding backups ordered by id, capping every page at `service_cap`.
struct Memory {
    items: BTreeSet<String>,
    service_cap: usize,
    send_count: bool,
}

impl Memory {
    fn new(total: usize, service_cap: usize, send_count: bool) -> Self {
        Self { items: (0..total).map(id).collect(), service_cap, send_count }
    }

    /// The page for `query`, or `Err(())` for a marker whose backup does not exist.
    fn answer(&self, query: &ListBackupsQuery) -> Result<(Vec<Backup>, Option<u64>), ()> {
        let limit = (query.limit.unwrap_or(1000) as usize).min(self.service_cap);
        let ids: Box<dyn Iterator<Item = &String>> = match &query.marker {
            Some(marker) if !self.items.contains(marker) => return Err(()),
            Some(marker) => Box::new(self.items.range(marker.clone()..).skip(1)),
            None => Box::new(self.items.iter().skip(query.offset.unwrap_or(0) as usize)),
        };
        let page = ids
            .take(limit)
            .map(|i| {
                let mut b = Backup::default();
                b.id = Some(i.clone());
                b
            })
            .collect();
        Ok((page, self.send_count.then_some(self.items.len() as u64)))
    }
}

/// Walks to the end, `in_flight` requests planned ahead and answered oldest first, calling
/// `between` before each answer; returns the ids yielded and the number of requests.
fn walk_with(
    memory: &mut Memory,
    strategy: Paging,
    page_size: u32,
    cap: Option<u64>,
    between: impl FnMut(&mut Memory),
) -> (Vec<String>, usize) {
    let (ids, requests, error) = try_walk(memory, strategy, page_size, cap, between);
    if let Some(error) = error {
        panic!("{error}");
    }
    (ids, requests)
}

/// Like [`walk_with`], but a pagination error ends the walk and is returned.
fn try_walk(
    memory: &mut Memory,
    strategy: Paging,
    page_size: u32,
    cap: Option<u64>,
    mut between: impl FnMut(&mut Memory),
) -> (Vec<String>, usize, Option<PaginationError>) {
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), strategy, page_size, cap);
    let mut queue: VecDeque<ListBackupsQuery> = VecDeque::new();
    let mut ids = Vec::new();
    let mut requests = 0;
    loop {
        while let Some(query) = cursor.plan() {
            requests += 1;
            queue.push_back(query);
        }
        let Some(query) = queue.pop_front() else { break };
        assert!(requests <= 100_000, "the walk does not end");
        between(memory);
        match memory.answer(&query) {
            Ok((mut page, count)) => match cursor.record(&mut page, count) {
                Ok(decision) => {
                    if decision == Recorded::Replan {
                        queue.clear();
                    }
                    ids.extend(page.iter().map(|b| b.id().to_owned()));
                }
                Err(error) => return (ids, requests, Some(error)),
            },
            Err(()) => {
                queue.clear();
                assert!(cursor.marker_refused(), "no backup to step back to");
            }
        }
    }
    (ids, requests, None)
}

fn walk(
    memory: &Memory,
    strategy: Paging,
    page_size: u32,
    cap: Option<u64>,
) -> (Vec<String>, usize) {
    let mut copy = Memory { items: memory.items.clone(), ..*memory };
    walk_with(&mut copy, strategy, page_size, cap, |_| {})
}

fn strategies() -> impl Strategy<Value = Paging> {
    prop_oneof![
        Just(Paging::Offset),
        Just(Paging::Marker),
        (1usize..6).prop_map(|in_flight| Paging::Concurrent { in_flight }),
    ]
}

proptest! {
    #[test]
    fn yields_exactly_min_cap_total_in_order(
        total in 0usize..300,
        page_size in 1u32..60,
        cap in prop::option::of(0u64..400),
        service_cap in 1usize..80,
        send_count in any::<bool>(),
        strategy in strategies(),
    ) {
        let memory = Memory::new(total, service_cap, send_count);
        let (ids, requests) = walk(&memory, strategy, page_size, cap);

        let expected = cap.map_or(total, |c| total.min(c as usize));
        let want: Vec<String> = (0..expected).map(id).collect();
        // A service that silently caps pages without reporting `count` makes every page look
        // short; the walk then stops early, the only safe reading. With `count` it must not.
        if send_count || service_cap >= page_size as usize {
            prop_assert_eq!(&ids, &want);
            let per_page = (page_size as usize).min(service_cap);
            let pages = expected.div_ceil(per_page);
            // Offset and marker: at most one extra request (an empty page when the total is a
            // multiple of the page size and `count` is unknown). Concurrent may also re-plan
            // once, when the first page reveals the service's cap.
            let slack = if matches!(strategy, Paging::Concurrent { .. }) { 2 } else { 1 };
            prop_assert!(requests <= pages + slack, "{} requests for {} pages", requests, pages);
            prop_assert!(requests >= pages.max(usize::from(cap != Some(0))));
        } else {
            prop_assert!(ids.len() <= want.len());
            prop_assert_eq!(&ids[..], &want[..ids.len()]);
        }
    }

    #[test]
    fn concurrent_yields_the_same_sequence_as_offset(
        total in 0usize..400,
        page_size in 1u32..50,
        in_flight in 1usize..8,
        cap in prop::option::of(0u64..500),
    ) {
        let memory = Memory::new(total, 1000, true);
        let offset = walk(&memory, Paging::Offset, page_size, cap).0;
        let concurrent = walk(&memory, Paging::Concurrent { in_flight }, page_size, cap).0;
        prop_assert_eq!(concurrent, offset);
    }

    #[test]
    fn marker_walks_survive_churn(
        total in 1usize..300,
        page_size in 1u32..40,
        seed in any::<u64>(),
        churn in 0usize..6,
    ) {
        // Between requests, `churn` backups are created and `churn` deleted at random.
        let mut memory = Memory::new(total, 1000, true);
        let mut rng = seed;
        let mut next = || { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; rng };
        let mut created = total;
        let mut ever_deleted = HashSet::new();
        let original: Vec<String> = memory.items.iter().cloned().collect();
        let (ids, _) = walk_with(&mut memory, Paging::Marker, page_size, None, |m| {
            for _ in 0..churn {
                let victim = m.items.iter().nth(next() as usize % m.items.len().max(1)).cloned();
                if let Some(victim) = victim {
                    m.items.remove(&victim);
                    ever_deleted.insert(victim);
                }
                // New backups land anywhere in the order.
                created += 1;
                m.items.insert(format!("b{:06}{created}", next() % total as u64));
            }
        });
        let unique: HashSet<&String> = ids.iter().collect();
        prop_assert_eq!(unique.len(), ids.len(), "a backup was yielded twice");
        for survivor in original.iter().filter(|i| !ever_deleted.contains(*i)) {
            prop_assert!(unique.contains(survivor), "{} was lost", survivor);
        }
    }
}

#[test]
fn offsets_count_from_zero_and_advance_by_items_received() {
    // B01: 5 backups, page size 2, the service serves items[offset..offset+limit].
    let memory = Memory::new(5, 1000, true);
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), Paging::Offset, 2, None);
    let mut sent = Vec::new();
    while let Some(query) = cursor.plan() {
        sent.push(query.to_query_string());
        let (mut page, count) = memory.answer(&query).unwrap_or_default();
        cursor.record(&mut page, count).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(sent, ["limit=2&offset=0", "limit=2&offset=2", "limit=2&offset=4"]);

    // B01, defensive: the service silently caps pages at 1000 of 2500.
    let capped = Memory::new(2500, 1000, true);
    let (ids, requests) = walk(&capped, Paging::Offset, 1000, None);
    assert_eq!((ids.len(), requests), (2500, 3));
}

#[test]
fn max_items_is_an_exact_cap_and_page_size_is_not() {
    // B05: 12 backups.
    let memory = Memory::new(12, 1000, true);
    assert_eq!(walk(&memory, Paging::Offset, 1000, Some(5)).0.len(), 5);
    let (ids, requests) = walk(&memory, Paging::Offset, 5, Some(5));
    assert_eq!((ids.len(), requests), (5, 1));
    assert_eq!(walk(&memory, Paging::Offset, 5, None).1, 3);
    let (ids, requests) = walk(&memory, Paging::Offset, 5, Some(7));
    assert_eq!((ids.len(), requests), (7, 2));
}

#[test]
fn a_service_ignoring_the_marker_is_stopped_after_two_requests() {
    let items: Vec<Backup> = (0..3).map(backup).collect();
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), Paging::Marker, 3, None);
    let mut requests = 0;
    let mut error = None;
    while let Some(_query) = cursor.plan() {
        requests += 1;
        let mut page = items.clone();
        if let Err(e) = cursor.record(&mut page, Some(100)) {
            error = Some(e);
        }
    }
    assert_eq!(requests, 2);
    assert_eq!(error, Some(PaginationError::NoProgress { page: 2 }));
}

#[test]
fn a_service_ignoring_the_offset_is_stopped_after_three_requests() {
    let items: Vec<Backup> = (0..3).map(backup).collect();
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), Paging::Offset, 3, None);
    let (mut requests, mut error) = (0, None);
    while let Some(_query) = cursor.plan() {
        requests += 1;
        let mut page = items.clone();
        if let Err(e) = cursor.record(&mut page, None) {
            error = Some(e);
        }
    }
    // One repeat may be the listing shifting under churn; the second in a row is not.
    assert_eq!(requests, 3);
    assert_eq!(error, Some(PaginationError::NoProgress { page: 3 }));
}

#[test]
fn a_deleted_marker_backup_steps_back_without_repeating() {
    // Given 10 backups walked 3 at a time, when the last backup of the second page is deleted
    // before the third request, then the walk continues after the one before it: nothing is
    // lost, nothing repeated (backup 5 was listed while it still existed).
    let mut memory = Memory::new(10, 1000, true);
    let mut request = 0;
    let (ids, requests) = walk_with(&mut memory, Paging::Marker, 3, None, |m| {
        request += 1;
        if request == 3 {
            m.items.remove(&id(5));
        }
    });
    let want: Vec<String> = (0..10).map(id).collect();
    assert_eq!(ids, want);
    assert_eq!(requests, 5, "one refused marker costs one request");
}

/// Figures of 1000 seeded churn walks: requests, backups present throughout, yielded, lost,
/// repeated, and walks stopped by a pagination error.
fn churn_walks(strategy: Paging) -> [usize; 6] {
    let (mut expected, mut yielded, mut duplicates, mut lost, mut requests) = (0, 0, 0, 0, 0);
    let mut stopped = 0;
    for seed in 0..1000u64 {
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let total = 50 + (next() % 500) as usize;
        let page_size = 1 + (next() % 120) as u32;
        let churn = (next() % 9) as usize;
        let mut memory = Memory::new(total, 1000, true);
        let original: Vec<String> = memory.items.iter().cloned().collect();
        let mut deleted = HashSet::new();
        let mut created = 0usize;
        let (ids, sent, error) = try_walk(&mut memory, strategy, page_size, None, |m| {
            for _ in 0..churn {
                let victim = m.items.iter().nth(next() as usize % m.items.len().max(1)).cloned();
                if let Some(victim) = victim {
                    m.items.remove(&victim);
                    deleted.insert(victim);
                }
                created += 1;
                m.items.insert(format!("b{:06}n{created}", next() % total as u64));
            }
        });
        let unique: HashSet<&String> = ids.iter().collect();
        let survivors = original.iter().filter(|i| !deleted.contains(*i));
        expected += survivors.clone().count();
        lost += survivors.filter(|i| !unique.contains(i)).count();
        duplicates += ids.len() - unique.len();
        yielded += ids.len();
        requests += sent;
        stopped += usize::from(error.is_some());
    }
    [requests, expected, yielded, lost, duplicates, stopped]
}

#[test]
fn a_thousand_seeded_churn_walks_lose_and_repeat_nothing() {
    // Given 1000 seeded walks over 50..550 backups with up to 8 created and 8 deleted between
    // requests, when each is walked with the default strategy, then every backup present
    // throughout comes out exactly once and none twice; offset paging, by contrast, loses some.
    for (name, strategy) in [("marker (default)", Paging::default()), ("offset", Paging::Offset)] {
        let [requests, expected, yielded, lost, duplicates, stopped] = churn_walks(strategy);
        println!(
            "churn, {name}: 1000 walks, {requests} requests, {expected} backups present \
             throughout, {yielded} yielded, {lost} lost, {duplicates} duplicates, {stopped} \
             stopped by a pagination error"
        );
        if strategy == Paging::default() {
            assert_eq!((lost, duplicates, stopped), (0, 0, 0));
        } else {
            assert!(lost > 0, "offset paging under churn was expected to skip backups");
            assert_eq!(duplicates, 0, "shifted backups are recognised, never yielded twice");
        }
    }
}

#[test]
fn every_strategy_honours_where_the_walk_starts() {
    // Given 20 backups, when a walk starts at offset 15 or after backup 14, then whatever the
    // strategy, exactly the last 5 come out.
    let memory = Memory::new(20, 1000, true);
    let last_five: Vec<String> = (15..20).map(id).collect();
    for strategy in [Paging::Marker, Paging::Offset, Paging::Concurrent { in_flight: 3 }] {
        let mut cursor = PageCursor::new(ListBackupsQuery::new().offset(15u64), strategy, 2, None);
        let mut ids = Vec::new();
        while let Some(query) = cursor.plan() {
            let (mut page, count) = memory.answer(&query).unwrap();
            cursor.record(&mut page, count).unwrap();
            ids.extend(page.iter().map(|b| b.id().to_owned()));
        }
        assert_eq!(ids, last_five, "{strategy:?} from offset 15");
    }
    let mut cursor =
        PageCursor::new(ListBackupsQuery::new().marker(id(14)), Paging::Marker, 2, None);
    let mut ids = Vec::new();
    while let Some(query) = cursor.plan() {
        let (mut page, count) = memory.answer(&query).unwrap();
        cursor.record(&mut page, count).unwrap();
        ids.extend(page.iter().map(|b| b.id().to_owned()));
    }
    assert_eq!(ids, last_five, "marker walk after backup 14");
}
