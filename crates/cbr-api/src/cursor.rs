//! The page cursor: every "what is the next request, are we done" decision of a walk, in one
//! small synchronous type with no I/O. The streams only drive it.

use std::collections::HashSet;

use cbr_model::{Backup, ListBackupsQuery, MAX_LIMIT};

/// How a walk moves from one page to the next.
///
/// - [`Strategy::Offset`] asks for `offset = previous offset + backups received`. Simple and
///   what the official SDK does, but if backups are created or deleted during the walk the
///   pages shift: a backup can be skipped or (without de-duplication) seen twice.
/// - [`Strategy::Marker`] asks for the backups after the last one received (`marker` = its
///   id), in the service's total order. Creations and deletions elsewhere in the listing do
///   not shift it, so every backup that exists throughout the walk is seen exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// `limit` + `offset` paging.
    Offset,
    /// `limit` + `marker` paging; the consistent choice, and the default.
    #[default]
    Marker,
}

/// Why a walk was stopped because the service's paging made no progress.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// A page brought no backup that the previous page had not already brought.
    #[error("page {page} repeats the previous page (no new backup); the service ignores paging")]
    NoProgress {
        /// 1-based number of the page.
        page: u64,
    },
    /// The cursor would send a marker it has sent before.
    #[error("page {page} would reuse marker {marker:?}; the service ignores the marker")]
    RepeatedMarker {
        /// 1-based number of the page that would be requested.
        page: u64,
        /// The marker.
        marker: String,
    },
}

/// The state of one walk over the pages of a listing.
#[derive(Debug, Clone)]
pub struct PageCursor {
    base: ListBackupsQuery,
    strategy: Strategy,
    page_size: u32,
    max_items: Option<u64>,
    offset: u64,
    marker: Option<String>,
    from_start: bool,
    yielded: u64,
    pages: u64,
    count: Option<u64>,
    previous_ids: HashSet<String>,
    used_markers: HashSet<String>,
    done: bool,
}

impl PageCursor {
    /// A walk over the backups `base` selects (its filters and sort are sent on every page; its
    /// `offset` or `marker`, if any, is where the walk starts), `page_size` per request (sent as
    /// `limit`, clamped to 1..=1000), at most `max_items` backups in all.
    #[must_use]
    pub fn new(
        base: ListBackupsQuery,
        strategy: Strategy,
        page_size: u32,
        max_items: Option<u64>,
    ) -> Self {
        let offset = base.offset.unwrap_or(0);
        let marker = base.marker.clone();
        let used_markers = marker.iter().cloned().collect();
        let from_start = offset == 0 && marker.is_none();
        Self {
            base,
            strategy,
            page_size: page_size.clamp(1, MAX_LIMIT),
            max_items,
            offset,
            marker,
            from_start,
            yielded: 0,
            pages: 0,
            count: None,
            previous_ids: HashSet::new(),
            used_markers,
            done: max_items == Some(0),
        }
    }

    /// The query of the next request, or `None` when the walk is over.
    #[must_use]
    pub fn next_query(&self) -> Option<ListBackupsQuery> {
        if self.done {
            return None;
        }
        let mut query = self.base.clone();
        query.limit = Some(self.current_limit());
        match self.strategy {
            Strategy::Offset => {
                query.offset = Some(self.offset);
                query.marker = None;
            }
            Strategy::Marker => {
                query.offset = None;
                query.marker = self.marker.clone();
            }
        }
        Some(query)
    }

    /// The page size of the next request: the page size, or fewer if the cap is closer.
    fn current_limit(&self) -> u32 {
        match self.max_items.map(|cap| cap.saturating_sub(self.yielded)) {
            Some(left) => u32::try_from(left).unwrap_or(u32::MAX).min(self.page_size),
            None => self.page_size,
        }
    }

    /// Takes in the page answered to [`PageCursor::next_query`]: drops backups the previous
    /// page already brought, truncates to the cap, and decides whether the walk goes on.
    /// `backups` is left holding exactly the backups to yield.
    pub fn record(
        &mut self,
        backups: &mut Vec<Backup>,
        count: Option<u64>,
    ) -> Result<(), PaginationError> {
        self.pages += 1;
        if count.is_some() {
            self.count = count;
        }
        let received = backups.len();
        let requested = self.current_limit();
        let last_id = backups.last().map(|b| b.id().to_owned());

        let fresh = backups.iter().filter(|b| !self.previous_ids.contains(b.id())).count();
        if received > 0 && fresh == 0 {
            self.done = true;
            return Err(PaginationError::NoProgress { page: self.pages });
        }
        if fresh < received {
            let previous = std::mem::take(&mut self.previous_ids);
            backups.retain(|b| !previous.contains(b.id()));
            self.previous_ids = previous;
        }
        if let Some(cap) = self.max_items {
            let left = usize::try_from(cap.saturating_sub(self.yielded)).unwrap_or(usize::MAX);
            backups.truncate(left);
        }
        self.yielded += backups.len() as u64;
        self.previous_ids = backups.iter().map(|b| b.id().to_owned()).collect();

        self.offset += received as u64;
        if let Some(id) = last_id {
            self.marker = Some(id);
        }
        self.done = received == 0
            || self.max_items.is_some_and(|cap| self.yielded >= cap)
            || self.past_the_end(received, requested);
        if !self.done && self.strategy == Strategy::Marker {
            if let Some(marker) = &self.marker {
                if !self.used_markers.insert(marker.clone()) {
                    self.done = true;
                    return Err(PaginationError::RepeatedMarker {
                        page: self.pages + 1,
                        marker: marker.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether the listing is exhausted: by `count` when the service sent it (a service may
    /// silently cap `limit`, so a short page alone proves nothing), else by a short page.
    fn past_the_end(&self, received: usize, requested: u32) -> bool {
        match (self.count, self.strategy) {
            (Some(count), Strategy::Offset) => self.offset >= count,
            (Some(count), Strategy::Marker) if self.from_start => self.offset >= count,
            _ => received < requested as usize,
        }
    }

    /// Whether the walk is over.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Pages recorded so far.
    #[must_use]
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Backups yielded so far.
    #[must_use]
    pub fn yielded(&self) -> u64 {
        self.yielded
    }

    /// The total the service last reported (`count`).
    #[must_use]
    pub fn count(&self) -> Option<u64> {
        self.count
    }
}
