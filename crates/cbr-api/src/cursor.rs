//! The page cursor: every "what is the next request, are we done" decision of a walk, in one
//! small synchronous type with no I/O. The streams only drive it: they ask [`PageCursor::plan`]
//! for requests and hand each answer, in order, to [`PageCursor::record`].

use std::collections::{HashSet, VecDeque};

use cbr_model::{Backup, ListBackupsQuery, MAX_LIMIT};

/// Something a page holds that has an id: a decoded [`Backup`] or a raw one.
pub trait Identified {
    /// The backup id (`""` if the service sent none).
    fn id(&self) -> &str;
}

impl Identified for Backup {
    fn id(&self) -> &str {
        Backup::id(self)
    }
}

/// The default number of requests [`Strategy::Concurrent`] keeps in flight.
pub const DEFAULT_IN_FLIGHT: usize = 4;

/// How a walk moves from one page to the next, and what it guarantees.
///
/// - [`Strategy::Marker`] (the default) asks for the backups after the last one received
///   (`marker` = its id) in the service's order, which the service completes with `id` so it
///   is total. Backups created or deleted elsewhere in the listing do not shift the walk:
///   **every backup that exists throughout the walk comes out exactly once**, and none twice.
///   If the marker's own backup is deleted meanwhile and the service refuses the marker, the
///   walk steps back to the previous backup received and drops what it already yielded.
/// - [`Strategy::Offset`] asks for `offset = previous offset + backups received` (what the
///   official SDK does). On a listing that does not change it yields every backup exactly
///   once. If backups are created or deleted during the walk the pages shift: a backup can be
///   **skipped**; one shifted into the next page is recognised and not yielded twice.
/// - [`Strategy::Concurrent`] is offset paging with `in_flight` requests at once once the first
///   page has told `count`; backups still come out in order. Same guarantees as `Offset`; a
///   page shorter than planned (the listing shrank, or the service capped `limit`) makes the
///   walk re-plan from where that page ended instead of trusting the requests already sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// `limit` + `offset`, one request at a time.
    Offset,
    /// `limit` + `marker`: consistent while backups change.
    #[default]
    Marker,
    /// `limit` + `offset`, several requests in flight.
    Concurrent {
        /// Requests in flight at most (at least 1).
        in_flight: usize,
    },
}

impl Strategy {
    /// [`Strategy::Concurrent`] with [`DEFAULT_IN_FLIGHT`] requests in flight.
    #[must_use]
    pub fn concurrent() -> Self {
        Self::Concurrent { in_flight: DEFAULT_IN_FLIGHT }
    }

    /// The name used in logs and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Offset => "offset",
            Self::Marker => "marker",
            Self::Concurrent { .. } => "concurrent",
        }
    }
}

/// Why a walk was stopped because the service's paging made no progress.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// A page brought nothing new: the service repeats itself instead of paging.
    #[error("page {page} repeats backups already received; the service ignores paging")]
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

/// What [`PageCursor::record`] decided about the requests still in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recorded {
    /// Carry on: answers to requests still in flight are expected in order.
    Continue,
    /// The requests still in flight were planned on a wrong assumption: discard their answers
    /// and ask [`PageCursor::plan`] again.
    Replan,
}

#[derive(Debug, Clone, Copy)]
struct Planned {
    offset: u64,
    limit: u32,
}

/// The state of one walk over the pages of a listing.
#[derive(Debug, Clone)]
pub struct PageCursor {
    base: ListBackupsQuery,
    strategy: Strategy,
    page_size: u32,
    max_items: Option<u64>,
    /// Offset just after the last backup received.
    offset: u64,
    /// Next offset to plan ([`Strategy::Concurrent`]).
    planned: u64,
    /// Backups per page the service really serves, once known ([`Strategy::Concurrent`]).
    stride: Option<u32>,
    outstanding: VecDeque<Planned>,
    marker: Option<String>,
    from_start: bool,
    yielded: u64,
    pages: u64,
    count: Option<u64>,
    /// Ids received lately, in the service's order: where a refused marker steps back to.
    trail: VecDeque<String>,
    /// Ids yielded lately (the de-duplication window), and their order of arrival.
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    /// Whether ids have left the window (so it no longer holds every id yielded).
    evicted: bool,
    /// The ids of the last page as received, to recognise a service repeating it.
    last_page: Vec<String>,
    /// How many pages in a row repeated the one before (offset walks).
    repeats: u32,
    /// Whether a marker walk started over from the beginning after a refused marker.
    restarted: bool,
    /// After stepping back, pages may bring only backups already yielded until the walk is
    /// past the refused marker; the repeated-marker check still guarantees progress.
    catching_up: bool,
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
            planned: offset,
            stride: None,
            outstanding: VecDeque::new(),
            marker,
            from_start,
            yielded: 0,
            pages: 0,
            count: None,
            trail: VecDeque::new(),
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            evicted: false,
            last_page: Vec::new(),
            repeats: 0,
            restarted: false,
            catching_up: false,
            used_markers,
            done: max_items == Some(0),
        }
    }

    /// The query of the next request if nothing is in flight, or `None` when the walk is over.
    /// Does not change the cursor: see [`PageCursor::plan`].
    #[must_use]
    pub fn next_query(&self) -> Option<ListBackupsQuery> {
        if self.done {
            return None;
        }
        let limit = self.limit_left(self.page_size)?;
        Some(self.query_at(self.offset, limit))
    }

    /// Hands out the next request to send, or `None` if none should be sent now (the walk is
    /// over, or the strategy waits for an answer first).
    pub fn plan(&mut self) -> Option<ListBackupsQuery> {
        if self.done {
            return None;
        }
        let (offset, page) = match self.strategy {
            Strategy::Offset | Strategy::Marker => {
                if !self.outstanding.is_empty() {
                    return None;
                }
                (self.offset, self.page_size)
            }
            Strategy::Concurrent { in_flight } => {
                let known = self.count.is_some() && self.stride.is_some();
                let room = if known { in_flight.max(1) } else { 1 };
                if self.outstanding.len() >= room {
                    return None;
                }
                if self.count.is_some_and(|count| self.planned >= count) {
                    return None;
                }
                (self.planned, self.stride.unwrap_or(self.page_size))
            }
        };
        let limit = self.limit_left(page)?;
        self.outstanding.push_back(Planned { offset, limit });
        self.planned = offset + u64::from(limit);
        Some(self.query_at(offset, limit))
    }

    /// `page`, or fewer if the cap is closer (counting requests in flight); `None` at the cap.
    fn limit_left(&self, page: u32) -> Option<u32> {
        let Some(cap) = self.max_items else { return Some(page) };
        let in_flight: u64 = self.outstanding.iter().map(|p| u64::from(p.limit)).sum();
        let left = cap.saturating_sub(self.yielded).saturating_sub(in_flight);
        (left > 0).then(|| u32::try_from(left).unwrap_or(u32::MAX).min(page))
    }

    fn query_at(&self, offset: u64, limit: u32) -> ListBackupsQuery {
        let mut query = self.base.clone();
        query.limit = Some(limit);
        if self.strategy == Strategy::Marker {
            // A walk that starts at an offset asks for it once; after that, markers lead.
            let start =
                self.base.offset.filter(|o| *o > 0 && self.marker.is_none() && !self.restarted);
            query.offset = start;
            query.marker.clone_from(&self.marker);
        } else {
            // A walk that starts after a marker keeps it; offsets count from there.
            query.offset = Some(offset);
        }
        query
    }

    /// Takes in the answer to the oldest request handed out (or, if none was, to
    /// [`PageCursor::next_query`]): drops backups the walk has just received, truncates to the
    /// cap, and decides whether the walk goes on. `backups` is left holding exactly the
    /// backups to yield.
    pub fn record<T: Identified>(
        &mut self,
        backups: &mut Vec<T>,
        count: Option<u64>,
    ) -> Result<Recorded, PaginationError> {
        let planned = match self.outstanding.pop_front() {
            Some(planned) => planned,
            None => {
                Planned { offset: self.offset, limit: self.limit_left(self.page_size).unwrap_or(0) }
            }
        };
        self.pages += 1;
        if count.is_some() {
            self.count = count;
        }
        let received = backups.len();
        let last_id = backups.last().map(|b| b.id().to_owned());

        let fresh = backups.iter().filter(|b| !self.seen.contains(b.id())).count();
        // A marker walk only ever receives backups after the last one it yielded, so a page of
        // nothing new means the service ignores the marker. An offset walk can meet a page of
        // backups it has already yielded when backups created meanwhile shift the listing, and
        // even the same page twice; a service that ignores the offset repeats it forever, so
        // the second repeat in a row ends the walk.
        let repeated = match self.strategy {
            Strategy::Marker => fresh == 0,
            _ => {
                let same = received > 0
                    && backups
                        .iter()
                        .map(Identified::id)
                        .eq(self.last_page.iter().map(String::as_str));
                self.repeats = if same { self.repeats + 1 } else { 0 };
                self.repeats >= 2
            }
        };
        if received > 0 && repeated && !self.catching_up {
            self.finish();
            return Err(PaginationError::NoProgress { page: self.pages });
        }
        if self.strategy != Strategy::Marker {
            self.last_page = backups.iter().map(|b| b.id().to_owned()).collect();
        }
        if fresh > 0 {
            self.catching_up = false;
        }
        self.extend_trail(backups);
        if fresh < received {
            let seen = std::mem::take(&mut self.seen);
            backups.retain(|b| !seen.contains(b.id()));
            self.seen = seen;
        }
        if let Some(cap) = self.max_items {
            let left = usize::try_from(cap.saturating_sub(self.yielded)).unwrap_or(usize::MAX);
            backups.truncate(left);
        }
        self.yielded += backups.len() as u64;
        self.remember(backups);

        let mut decision = Recorded::Continue;
        match self.strategy {
            Strategy::Marker => {
                self.offset += received as u64;
                if last_id.is_some() {
                    self.marker = last_id;
                }
            }
            Strategy::Offset => self.offset = planned.offset + received as u64,
            Strategy::Concurrent { .. } => {
                self.offset = planned.offset + received as u64;
                let more = self.count.is_none_or(|count| self.offset < count);
                if self.stride.is_none() {
                    // The first page tells what the service really serves per page.
                    let capped = received > 0 && received < planned.limit as usize && more;
                    let served = u32::try_from(received).unwrap_or(planned.limit);
                    self.stride = Some(if capped { served } else { planned.limit });
                    self.planned = self.offset;
                } else if received < planned.limit as usize && more {
                    decision = Recorded::Replan;
                    self.outstanding.clear();
                    self.planned = self.offset;
                }
            }
        }

        if received == 0
            || self.max_items.is_some_and(|cap| self.yielded >= cap)
            || self.past_the_end(received, planned.limit)
        {
            self.finish();
            return Ok(decision);
        }
        if self.strategy == Strategy::Marker {
            if let Some(marker) = self.marker.clone() {
                if !self.used_markers.insert(marker.clone()) {
                    self.finish();
                    return Err(PaginationError::RepeatedMarker { page: self.pages + 1, marker });
                }
            }
        }
        Ok(decision)
    }

    /// The window of ids kept: two pages' worth, at least 256.
    fn window(&self) -> usize {
        (2 * self.page_size as usize).max(256)
    }

    /// Appends a page, as received and so in the service's order, to the trail.
    fn extend_trail<T: Identified>(&mut self, backups: &[T]) {
        self.trail.extend(backups.iter().map(|b| b.id().to_owned()));
        let excess = self.trail.len().saturating_sub(self.window());
        self.trail.drain(..excess);
    }

    /// Adds the ids about to be yielded to the de-duplication window.
    fn remember<T: Identified>(&mut self, backups: &[T]) {
        for backup in backups {
            let id = backup.id().to_owned();
            if self.seen.insert(id.clone()) {
                self.seen_order.push_back(id);
            }
        }
        while self.seen_order.len() > self.window() {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
                self.evicted = true;
            }
        }
    }

    /// Whether the listing is exhausted.
    ///
    /// Offset walks trust `count` when the service sent it (a service may silently cap
    /// `limit`, so a short page alone proves nothing), else a short page. A marker walk never
    /// stops on a full page: `count` shrinks when backups are deleted during the walk, and
    /// trusting it then would drop the backups still after the marker; it stops on a short page
    /// unless `count` says more backups remain (the service capped `limit`).
    fn past_the_end(&self, received: usize, requested: u32) -> bool {
        let short = received < requested as usize;
        match (self.count, self.strategy) {
            (Some(count), Strategy::Marker) if self.from_start => short && self.offset >= count,
            (Some(count), Strategy::Offset | Strategy::Concurrent { .. }) => self.offset >= count,
            _ => short,
        }
    }

    fn finish(&mut self) {
        self.done = true;
        self.outstanding.clear();
    }

    /// The service refused the marker of the request in flight (its backup was deleted during
    /// the walk): step back to the backup received before it. Returns `false`, ending the walk,
    /// if there is none to step back to.
    pub fn marker_refused(&mut self) -> bool {
        self.outstanding.clear();
        let refused = self.marker.take();
        if self.strategy != Strategy::Marker || refused.is_none() {
            self.finish();
            return false;
        }
        // Continue after the backup received just before the refused one. The trail is cut
        // there, so it stays in the service's order; the ids after it stay in the
        // de-duplication window, so what comes again is not yielded twice. With none before
        // it, a walk from the start whose every id is still in the window starts over.
        let position = self.trail.iter().rposition(|id| Some(id) == refused.as_ref());
        match position {
            Some(i) if i > 0 => {
                self.trail.truncate(i);
                self.marker = self.trail.back().cloned();
            }
            Some(_) if self.from_start && !self.evicted => {
                // Starting over: the markers of the first pass will be met again.
                self.trail.clear();
                self.used_markers.clear();
                self.restarted = true;
            }
            _ => {
                self.finish();
                return false;
            }
        }
        self.catching_up = true;
        true
    }

    /// Whether the walk is over.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The strategy of this walk.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.strategy
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

    /// Where the walk stands, for resuming after an error: the `offset` or `marker` of the
    /// next request.
    #[must_use]
    pub fn position(&self) -> (Option<u64>, Option<&str>) {
        match self.strategy {
            Strategy::Marker => (None, self.marker.as_deref()),
            _ => (Some(self.offset), None),
        }
    }
}
