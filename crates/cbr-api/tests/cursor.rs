//! The page cursor against an in-memory service: every backup exactly once, in order, in the
//! expected number of requests, whatever the totals, page sizes, caps and service-side caps.

use cbr_api::{PageCursor, PaginationError, Strategy};
use cbr_model::{Backup, ListBackupsQuery};
use proptest::prelude::*;

fn backup(id: usize) -> Backup {
    let mut b = Backup::default();
    b.id = Some(format!("b{id:06}"));
    b
}

/// A service holding `total` backups in order, capping every page at `service_cap`.
struct Memory {
    items: Vec<Backup>,
    service_cap: usize,
    send_count: bool,
}

impl Memory {
    fn answer(&self, query: &ListBackupsQuery) -> (Vec<Backup>, Option<u64>) {
        let limit = (query.limit.unwrap_or(1000) as usize).min(self.service_cap);
        let start = match &query.marker {
            Some(marker) => self.items.iter().position(|b| b.id() == marker).map_or(0, |i| i + 1),
            None => usize::try_from(query.offset.unwrap_or(0)).unwrap_or(usize::MAX),
        };
        let page = self.items.iter().skip(start).take(limit).cloned().collect();
        (page, self.send_count.then_some(self.items.len() as u64))
    }
}

/// Walks to the end; returns the ids yielded and the number of requests.
fn walk(
    memory: &Memory,
    strategy: Strategy,
    page_size: u32,
    cap: Option<u64>,
) -> (Vec<String>, usize) {
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), strategy, page_size, cap);
    let mut ids = Vec::new();
    let mut requests = 0;
    while let Some(query) = cursor.next_query() {
        requests += 1;
        assert!(requests <= 10_000, "the walk does not end");
        let (mut page, count) = memory.answer(&query);
        cursor.record(&mut page, count).unwrap_or_else(|e| panic!("{e}"));
        ids.extend(page.iter().map(|b| b.id().to_owned()));
    }
    (ids, requests)
}

proptest! {
    #[test]
    fn yields_exactly_min_cap_total_in_order(
        total in 0usize..300,
        page_size in 1u32..60,
        cap in prop::option::of(0u64..400),
        service_cap in 1usize..80,
        send_count in any::<bool>(),
        marker in any::<bool>(),
    ) {
        let memory = Memory { items: (0..total).map(backup).collect(), service_cap, send_count };
        let strategy = if marker { Strategy::Marker } else { Strategy::Offset };
        let (ids, requests) = walk(&memory, strategy, page_size, cap);

        let expected = cap.map_or(total, |c| total.min(c as usize));
        let want: Vec<String> = (0..expected).map(|i| format!("b{i:06}")).collect();
        // A service that silently caps pages without reporting `count` makes every page look
        // short; the walk then stops early, which is the only safe reading. With `count` it
        // must not.
        if send_count || service_cap >= page_size as usize {
            prop_assert_eq!(&ids, &want);
            let per_page = (page_size as usize).min(service_cap);
            let full_pages = expected.div_ceil(per_page.max(1));
            // One extra request at most: an empty page (marker mode without count, or an
            // exact multiple) or the cap landing on a page boundary.
            prop_assert!(requests <= full_pages + 1, "{} requests for {} pages", requests, full_pages);
            prop_assert!(requests >= full_pages.max(usize::from(cap != Some(0))));
        } else {
            prop_assert!(ids.len() <= want.len());
            prop_assert_eq!(&ids[..], &want[..ids.len()]);
        }
    }
}

#[test]
fn offsets_count_from_zero_and_advance_by_items_received() {
    // B01: 5 backups, page size 2, the service serves items[offset..offset+limit].
    let memory =
        Memory { items: (1..=5).map(backup).collect(), service_cap: 1000, send_count: true };
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), Strategy::Offset, 2, None);
    let mut sent = Vec::new();
    while let Some(query) = cursor.next_query() {
        sent.push(query.to_query_string());
        let (mut page, count) = memory.answer(&query);
        cursor.record(&mut page, count).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(sent, ["limit=2&offset=0", "limit=2&offset=2", "limit=2&offset=4"]);

    // B01, defensive: the service silently caps pages at 1000 of 2500.
    let capped =
        Memory { items: (0..2500).map(backup).collect(), service_cap: 1000, send_count: true };
    let (ids, requests) = walk(&capped, Strategy::Offset, 1000, None);
    assert_eq!((ids.len(), requests), (2500, 3));
}

#[test]
fn max_items_is_an_exact_cap_and_page_size_is_not() {
    // B05: 12 backups.
    let memory =
        Memory { items: (0..12).map(backup).collect(), service_cap: 1000, send_count: true };
    assert_eq!(walk(&memory, Strategy::Offset, 1000, Some(5)).0.len(), 5);
    let (ids, requests) = walk(&memory, Strategy::Offset, 5, Some(5));
    assert_eq!((ids.len(), requests), (5, 1));
    assert_eq!(walk(&memory, Strategy::Offset, 5, None).1, 3);
    let (ids, requests) = walk(&memory, Strategy::Offset, 5, Some(7));
    assert_eq!((ids.len(), requests), (7, 2));
}

#[test]
fn a_service_ignoring_the_marker_is_stopped_after_two_requests() {
    let items: Vec<Backup> = (0..3).map(backup).collect();
    let mut cursor = PageCursor::new(ListBackupsQuery::new(), Strategy::Marker, 3, None);
    let mut requests = 0;
    let mut error = None;
    while let Some(_query) = cursor.next_query() {
        requests += 1;
        let mut page = items.clone();
        if let Err(e) = cursor.record(&mut page, Some(100)) {
            error = Some(e);
        }
    }
    assert_eq!(requests, 2);
    assert_eq!(error, Some(PaginationError::NoProgress { page: 2 }));
}
