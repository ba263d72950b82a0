//! `list_backups()`: one page with `send()`, or every page and backup as a lazy stream.

use std::time::{Duration, Instant};

use bytes::Bytes;
use cbr_model::{
    Backup, ImageType, ListBackupsQuery, MemberStatus, OddField, OwnType, PageDecodeError,
    QueryTime, ResourceType, Sort, Status,
};
use cbr_transport::BoxFuture;
use futures::stream::{self, FuturesOrdered, Stream, StreamExt as _, TryStreamExt as _};
use tracing::{Instrument as _, debug, debug_span, trace, warn};

use crate::client::Client;
use crate::cursor::{Identified, PageCursor, Recorded, Strategy};
use crate::error::{Error, ServiceError};
use crate::raw::RawBackup;
use crate::retry::parse_retry_after;

/// One page of backups: decoded [`Backup`]s, or [`RawBackup`]s as the service sent them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T = Backup> {
    /// The backups of this page, in the service's order (in a walk: without any the walk has
    /// already yielded, and no more than the cap allows).
    pub backups: Vec<T>,
    /// The total number of backups matching the filters, as the service reported it.
    pub count: Option<u64>,
    /// The query that fetches the page after this one, or `None` if this page is the last.
    pub next: Option<ListBackupsQuery>,
    /// The service's request id for this page.
    pub request_id: Option<String>,
    /// Values that did not fit their field (kept raw in the backup's `extra` and logged with
    /// their JSON path); always empty for raw pages, which do not look inside backups.
    pub odd_fields: Vec<OddField>,
}

/// A ListBackups request being built. Nothing is sent until [`ListBackups::send`] is awaited
/// or a stream from [`ListBackups::pages`] / [`ListBackups::items`] is polled.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct ListBackups {
    client: Client,
    query: ListBackupsQuery,
    page_size: Option<u32>,
    max_items: Option<u64>,
    strategy: Strategy,
}

macro_rules! forward {
    ($( $field:ident: $ty:ty ),+ $(,)?) => {
        $(
            #[doc = concat!("Sets the `", stringify!($field), "` query parameter.")]
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.query.$field = Some(value.into());
                self
            }
        )+
    };
}

impl ListBackups {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            query: ListBackupsQuery::new(),
            page_size: None,
            max_items: None,
            strategy: Strategy::default(),
        }
    }

    /// Replaces the whole query (filters, sort, and where the walk starts).
    pub fn query(mut self, query: ListBackupsQuery) -> Self {
        self.query = query;
        self
    }

    forward! {
        checkpoint_id: String,
        dec: bool,
        end_time: QueryTime,
        enterprise_project_id: String,
        image_type: ImageType,
        incremental: bool,
        marker: String,
        member_status: MemberStatus,
        name: String,
        offset: u64,
        own_type: OwnType,
        parent_id: String,
        resource_az: String,
        resource_id: String,
        resource_name: String,
        resource_type: ResourceType,
        show_replication: bool,
        sort: Sort,
        start_time: QueryTime,
        used_percent: u8,
        vault_id: String,
    }

    /// Adds an accepted `status` (several mean "any of").
    pub fn status(mut self, status: impl Into<Status>) -> Self {
        self.query.status.push(status.into());
        self
    }

    /// Backups per request, sent as `limit` (1 to 1000; default 1000, the service maximum).
    /// This is not a total: see [`ListBackups::max_items`].
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// An exact cap on the backups a stream yields: `min(n, total)` come out.
    pub fn max_items(mut self, max_items: u64) -> Self {
        self.max_items = Some(max_items);
        self
    }

    /// How the streams move from page to page (default [`Strategy::Marker`]); see
    /// [`Strategy`] for what each guarantees.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The query as it stands.
    #[must_use]
    pub fn as_query(&self) -> &ListBackupsQuery {
        &self.query
    }

    /// Fetches one page: the query as given, with `limit` set from the page size if given.
    /// The returned [`Page::next`] is the query for the following page (by `marker` if one was
    /// given, else by `offset`). Failed attempts are retried as the client's policy says.
    pub async fn send(self) -> Result<Page, Error> {
        self.send_as::<Backup>().await
    }

    /// Like [`ListBackups::send`], with each backup kept as the exact JSON the service sent.
    pub async fn send_raw(self) -> Result<Page<RawBackup>, Error> {
        self.send_as::<RawBackup>().await
    }

    async fn send_as<T: PageItem>(self) -> Result<Page<T>, Error> {
        let mut query = self.query;
        if let Some(size) = self.page_size {
            query.limit = Some(size);
        }
        query.validate()?;
        let strategy = if query.marker.is_some() { Strategy::Marker } else { Strategy::Offset };
        let limit = query.limit.unwrap_or(cbr_model::MAX_LIMIT);
        let mut cursor = PageCursor::new(query.clone(), strategy, limit, None);
        let mut fetched = self.client.fetch_page::<T>(&query, 1).await?;
        cursor
            .record(&mut fetched.backups, fetched.count)
            .map_err(|e| Error::Pagination { reason: e.to_string() })?;
        Ok(Page {
            backups: fetched.backups,
            count: fetched.count,
            next: cursor.next_query(),
            request_id: fetched.request_id,
            odd_fields: fetched.odd_fields,
        })
    }

    /// Every page of the listing, fetched lazily (one at a time, or several at once with
    /// [`Strategy::Concurrent`]) and yielded in order. The stream ends after the first error.
    pub fn pages(self) -> impl Stream<Item = Result<Page, Error>> + Send + 'static {
        self.walk::<Backup>()
    }

    /// Like [`ListBackups::pages`], with each backup kept as the exact JSON the service sent
    /// and only its id read: the cheapest way to copy a listing out as JSON.
    pub fn raw_pages(self) -> impl Stream<Item = Result<Page<RawBackup>, Error>> + Send + 'static {
        self.walk::<RawBackup>()
    }

    /// Like [`ListBackups::items`], with each backup kept as the exact JSON the service sent.
    pub fn raw_items(self) -> impl Stream<Item = Result<RawBackup, Error>> + Send + 'static {
        self.raw_pages().map_ok(|page| stream::iter(page.backups.into_iter().map(Ok))).try_flatten()
    }

    fn walk<T: PageItem>(self) -> impl Stream<Item = Result<Page<T>, Error>> + Send + 'static {
        let span = debug_span!("cbr.list", strategy = self.strategy.name());
        let page_size = self.page_size.unwrap_or(cbr_model::MAX_LIMIT);
        let walk = match self.query.validate() {
            Ok(()) => Walk {
                client: self.client,
                cursor: PageCursor::new(self.query, self.strategy, page_size, self.max_items),
                in_flight: FuturesOrdered::new(),
                failure: None,
                ended: false,
            },
            Err(e) => Walk {
                cursor: PageCursor::new(ListBackupsQuery::new(), self.strategy, 1, Some(0)),
                client: self.client,
                in_flight: FuturesOrdered::new(),
                failure: Some(e.into()),
                ended: false,
            },
        };
        stream::unfold(walk, move |mut walk| {
            let span = span.clone();
            async move { walk.next_page().await.map(|item| (item, walk)) }.instrument(span)
        })
    }

    /// Every backup of the listing, in order, fetched lazily page by page. With the default
    /// [`Strategy::Marker`] every backup that exists throughout the walk comes out exactly
    /// once, even if others are created or deleted meanwhile.
    pub fn items(self) -> impl Stream<Item = Result<Backup, Error>> + Send + 'static {
        self.pages().map_ok(|page| stream::iter(page.backups.into_iter().map(Ok))).try_flatten()
    }
}

/// A page body decoded.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodedItems<T> {
    /// The backups.
    pub backups: Vec<T>,
    /// The `count` the service reported.
    pub count: Option<u64>,
    /// Values that did not fit their field.
    pub odd_fields: Vec<OddField>,
}

/// Why a page body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageFailure {
    /// Not JSON at all (an HTML page, an empty or cut body).
    NotJson,
    /// JSON, but not shaped like a page.
    Shape {
        /// Where (e.g. `backups`).
        json_path: String,
        /// What was wrong.
        message: String,
    },
}

/// What a page body can be decoded into: typed [`Backup`]s or [`RawBackup`]s.
pub trait PageItem: Identified + Send + Sized + 'static {
    /// The page's backups, its `count`, and any odd values.
    fn decode_page(body: &Bytes) -> Result<DecodedItems<Self>, PageFailure>;
}

impl PageItem for Backup {
    fn decode_page(body: &Bytes) -> Result<DecodedItems<Self>, PageFailure> {
        match cbr_model::decode_page(body) {
            Ok(page) => Ok(DecodedItems {
                backups: page.response.backups,
                count: page.response.count,
                odd_fields: page.odd_fields,
            }),
            Err(PageDecodeError::Syntax { .. }) => Err(PageFailure::NotJson),
            Err(e) => Err(PageFailure::Shape {
                json_path: e.path().unwrap_or_default().to_owned(),
                message: e.to_string(),
            }),
        }
    }
}

impl PageItem for RawBackup {
    fn decode_page(body: &Bytes) -> Result<DecodedItems<Self>, PageFailure> {
        match crate::raw::split_page(body) {
            Ok((backups, count)) => Ok(DecodedItems { backups, count, odd_fields: Vec::new() }),
            Err(e) if e.is_syntax() || e.is_eof() => Err(PageFailure::NotJson),
            Err(e) => Err(PageFailure::Shape {
                json_path: format!("line {} column {}", e.line(), e.column()),
                message: e.to_string(),
            }),
        }
    }
}

/// A page as fetched, before the cursor has seen it.
#[derive(Debug)]
pub(crate) struct Fetched<T> {
    pub(crate) backups: Vec<T>,
    pub(crate) count: Option<u64>,
    pub(crate) request_id: Option<String>,
    pub(crate) odd_fields: Vec<OddField>,
}

/// The state of one streamed walk: the cursor, and the requests in flight in order.
struct Walk<T> {
    client: Client,
    cursor: PageCursor,
    in_flight: FuturesOrdered<BoxFuture<'static, Result<Fetched<T>, Error>>>,
    failure: Option<Error>,
    ended: bool,
}

impl<T: PageItem> Walk<T> {
    async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
        if let Some(error) = self.failure.take() {
            self.ended = true;
            return Some(Err(error));
        }
        loop {
            if self.ended {
                return None;
            }
            while let Some(query) = self.cursor.plan() {
                let client = self.client.clone();
                let number = self.cursor.pages() + self.in_flight.len() as u64 + 1;
                self.in_flight
                    .push_back(Box::pin(async move { client.fetch_page(&query, number).await }));
            }
            let Some(result) = self.in_flight.next().await else {
                self.ended = true;
                return None;
            };
            let mut fetched = match result {
                Ok(fetched) => fetched,
                Err(error) if is_marker_refusal(&error) && self.cursor.marker_refused() => {
                    warn!(error = %error, "marker refused (its backup deleted?); stepping back");
                    self.in_flight = FuturesOrdered::new();
                    continue;
                }
                Err(error) => {
                    self.ended = true;
                    return Some(Err(error));
                }
            };
            match self.cursor.record(&mut fetched.backups, fetched.count) {
                Ok(Recorded::Replan) => self.in_flight = FuturesOrdered::new(),
                Ok(_) => {}
                Err(e) => {
                    self.ended = true;
                    return Some(Err(Error::Pagination { reason: e.to_string() }));
                }
            }
            if self.cursor.is_done() {
                self.in_flight = FuturesOrdered::new();
            }
            return Some(Ok(Page {
                backups: fetched.backups,
                count: fetched.count,
                next: self.cursor.next_query(),
                request_id: fetched.request_id,
                odd_fields: fetched.odd_fields,
            }));
        }
    }
}

/// Whether the service refused a marker because its backup no longer exists.
fn is_marker_refusal(error: &Error) -> bool {
    matches!(error, Error::Service(e)
        if matches!(e.status, 400 | 404)
            && (e.code == "BackupService.6200"
                || e.message.to_ascii_lowercase().contains("marker")))
}

/// Why one attempt failed, and what the service asked us to wait.
struct Failed {
    error: Error,
    retry_after: Option<Duration>,
}

impl Client {
    /// Fetches one page, retrying failed attempts as the client's policy says.
    pub(crate) async fn fetch_page<T: PageItem>(
        &self,
        query: &ListBackupsQuery,
        page: u64,
    ) -> Result<Fetched<T>, Error> {
        let wire = query.to_query_string();
        let span = debug_span!(
            "cbr.page",
            page,
            offset = query.offset,
            marker = query.marker.as_deref(),
            limit = query.limit
        );
        async move {
            let policy = self.inner().retry;
            let mut attempt = 1;
            loop {
                let failed = match self.attempt(&wire, attempt).await {
                    Ok(fetched) => return Ok(fetched),
                    Err(failed) => failed,
                };
                if attempt >= policy.max_attempts || !failed.error.is_retryable() {
                    return Err(failed.error);
                }
                let delay = match failed.retry_after {
                    Some(asked) => asked.min(policy.max_retry_after),
                    None => self.inner().jitter.pick(policy.ceiling(attempt)),
                };
                warn!(
                    attempt,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %failed.error,
                    "page failed; retrying"
                );
                self.inner().sleeper.sleep(delay).await;
                attempt += 1;
            }
        }
        .instrument(span)
        .await
    }

    /// One HTTP exchange for a page, built afresh (and so signed afresh by a signing layer).
    async fn attempt<T: PageItem>(&self, wire: &str, attempt: u32) -> Result<Fetched<T>, Failed> {
        let path = self.endpoint().backups_path();
        let target = if wire.is_empty() { path } else { format!("{path}?{wire}") };
        let fail = |error: Error| Failed { error, retry_after: None };
        let request = self.build_get(wire).map_err(fail)?;

        let started = Instant::now();
        let response = self.inner().transport.send(request).await.map_err(|source| {
            fail(Error::Transport { method: "GET".into(), path: target.clone(), source })
        })?;
        let status = response.status().as_u16();
        let request_id = header_text(&response, "x-request-id");
        debug!(
            method = "GET",
            path = %target,
            status,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            request_id = request_id.as_deref(),
            attempt,
            "http exchange"
        );
        let retry_after = header_text(&response, "retry-after")
            .and_then(|value| parse_retry_after(&value, self.inner().clock.now()));
        let body = response.into_body();
        trace!(body = %snippet(&body, 2048), "response body");

        if !(200..300).contains(&status) {
            let error = ServiceError::from_response(status, &body, request_id, "GET", &target);
            return Err(Failed { error: Error::Service(Box::new(error)), retry_after });
        }
        let page = decode_page::<T>(&body, status, &target, &request_id).map_err(fail)?;
        for odd in &page.odd_fields {
            warn!(path = %odd.path, reason = %odd.reason, "value kept raw: it fits no field");
        }
        Ok(Fetched {
            backups: page.backups,
            count: page.count,
            request_id,
            odd_fields: page.odd_fields,
        })
    }
}

fn header_text(response: &http::Response<Bytes>, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// At most `max` bytes of `body`, lossily decoded, for error messages and traces.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let mut cut = body.len().min(max);
    // Do not split a UTF-8 sequence at the cut.
    while cut > 0 && cut < body.len() && (body[cut] & 0b1100_0000) == 0b1000_0000 {
        cut -= 1;
    }
    String::from_utf8_lossy(&body[..cut]).into_owned()
}

/// Decodes a 2xx body: not JSON (an HTML page from a proxy, an empty or cut body) is an
/// unexpected body; JSON of the wrong shape is a decode error naming where.
fn decode_page<T: PageItem>(
    body: &Bytes,
    status: u16,
    path: &str,
    request_id: &Option<String>,
) -> Result<DecodedItems<T>, Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let decoded =
        if first == Some(&b'{') { T::decode_page(body) } else { Err(PageFailure::NotJson) };
    decoded.map_err(|failure| match failure {
        PageFailure::NotJson => Error::UnexpectedBody {
            status,
            method: "GET".into(),
            path: path.to_owned(),
            snippet: snippet(body, 200),
            request_id: request_id.clone(),
        },
        PageFailure::Shape { json_path, message } => {
            Error::Decode { json_path, message, request_id: request_id.clone() }
        }
    })
}

impl ServiceError {
    /// Reads an error answer in any of the shapes the gateway and the services use:
    /// `error_code`/`error_msg`, `errorCode`/`errorMsg`, `code`/`message`, at the top level or
    /// one object deep; a non-JSON body becomes the message and the status the code.
    #[must_use]
    pub fn from_response(
        status: u16,
        body: &[u8],
        header_request_id: Option<String>,
        method: &str,
        path: &str,
    ) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let found = json
            .as_ref()
            .and_then(|v| find_code(v).or_else(|| v.as_object()?.values().find_map(find_code)));
        let body_request_id = json
            .as_ref()
            .and_then(|v| v.get("request_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let (code, message) = match found {
            Some((code, message)) => (code, message),
            None => (status.to_string(), snippet(body, 200)),
        };
        Self {
            status,
            code,
            message,
            request_id: body_request_id.or(header_request_id),
            method: method.to_owned(),
            path: path.to_owned(),
        }
    }
}

fn find_code(value: &serde_json::Value) -> Option<(String, String)> {
    let object = value.as_object()?;
    let text = |key: &str| -> Option<String> {
        match object.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    [("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")]
        .into_iter()
        .find_map(|(code, message)| Some((text(code)?, text(message).unwrap_or_default())))
}
