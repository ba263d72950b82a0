//! `list_backups()`: one page with `send()`, or every page and backup as a lazy stream.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use cbr_model::{
    Backup, ImageType, ListBackupsQuery, ListBackupsResponse, MemberStatus, OwnType, QueryTime,
    ResourceType, Sort, Status,
};
use futures::stream::{self, Stream, TryStreamExt as _};
use tracing::{Instrument as _, debug, debug_span, trace};

use crate::client::Client;
use crate::cursor::{PageCursor, Strategy};
use crate::error::{Error, ServiceError};

/// One page of backups.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page {
    /// The backups of this page, in the service's order.
    pub backups: Vec<Backup>,
    /// The total number of backups matching the filters, as the service reported it.
    pub count: Option<u64>,
    /// The query that fetches the page after this one, or `None` if this page is the last.
    pub next: Option<ListBackupsQuery>,
    /// The service's request id for this page.
    pub request_id: Option<String>,
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

    /// How the streams move from page to page (default [`Strategy::Marker`]).
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
    /// The returned [`Page::next`] is the query for the following page (same strategy as the
    /// query: `marker` if one was given, else `offset`).
    pub async fn send(self) -> Result<Page, Error> {
        let mut query = self.query;
        if let Some(size) = self.page_size {
            query.limit = Some(size);
        }
        query.validate()?;
        let strategy = if query.marker.is_some() { Strategy::Marker } else { Strategy::Offset };
        let limit = query.limit.unwrap_or(cbr_model::MAX_LIMIT);
        let mut cursor = PageCursor::new(query.clone(), strategy, limit, None);
        let (mut response, request_id) = self.client.fetch_page(&query, 1).await?;
        cursor
            .record(&mut response.backups, response.count)
            .map_err(|e| Error::Pagination { reason: e.to_string() })?;
        Ok(Page {
            backups: response.backups,
            count: response.count,
            next: cursor.next_query(),
            request_id,
        })
    }

    /// Every page of the listing, fetched lazily one after the other.
    pub fn pages(self) -> impl Stream<Item = Result<Page, Error>> + Send + 'static {
        let page_size = self.page_size.unwrap_or(cbr_model::MAX_LIMIT);
        let checked = self.query.validate().map(|()| {
            PageCursor::new(self.query.clone(), self.strategy, page_size, self.max_items)
        });
        let client = self.client;
        stream::try_unfold(Some(checked), move |state| {
            let client = client.clone();
            async move {
                let mut cursor = match state {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(Error::from(e)),
                    Some(Ok(cursor)) => cursor,
                };
                let Some(query) = cursor.next_query() else {
                    return Ok(None);
                };
                let number = cursor.pages() + 1;
                let (mut response, request_id) = client.fetch_page(&query, number).await?;
                cursor
                    .record(&mut response.backups, response.count)
                    .map_err(|e| Error::Pagination { reason: e.to_string() })?;
                let page = Page {
                    backups: response.backups,
                    count: response.count,
                    next: cursor.next_query(),
                    request_id,
                };
                Ok(Some((page, Some(Ok(cursor)))))
            }
        })
    }

    /// Every backup of the listing, in order, fetched lazily page by page. With the default
    /// [`Strategy::Marker`] every backup that exists throughout the walk comes out exactly
    /// once, even if others are created or deleted meanwhile.
    pub fn items(self) -> impl Stream<Item = Result<Backup, Error>> + Send + 'static {
        self.pages()
            .map_ok(|page| stream::iter(VecDeque::from(page.backups).into_iter().map(Ok)))
            .try_flatten()
    }
}

impl Client {
    /// Sends one ListBackups request and decodes the page.
    pub(crate) async fn fetch_page(
        &self,
        query: &ListBackupsQuery,
        page: u64,
    ) -> Result<(ListBackupsResponse, Option<String>), Error> {
        let wire = query.to_query_string();
        let span = debug_span!(
            "cbr.page",
            page,
            offset = query.offset,
            marker = query.marker.as_deref(),
            limit = query.limit
        );
        async move {
            let path = self.endpoint().backups_path();
            let request = self.build_get(&wire)?;
            let started = Instant::now();
            let response = self.transport().send(request).await.map_err(|source| {
                Error::Transport { method: "GET".into(), path: path.clone(), source }
            })?;
            let status = response.status().as_u16();
            let request_id = header_text(&response, "x-request-id");
            debug!(
                method = "GET",
                path = %path,
                status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                request_id = request_id.as_deref(),
                "http exchange"
            );
            let body = response.into_body();
            trace!(body = %snippet(&body, 2048), "response body");
            if !(200..300).contains(&status) {
                return Err(Error::Service(Box::new(ServiceError::from_response(
                    status, &body, request_id, "GET", &path,
                ))));
            }
            let page = decode_page(&body, status, &path, request_id.clone())?;
            Ok((page, request_id))
        }
        .instrument(span)
        .await
    }
}

fn header_text(response: &http::Response<Bytes>, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// At most `max` bytes of `body`, lossily decoded, for error messages and traces.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let cut = body.len().min(max);
    String::from_utf8_lossy(&body[..cut]).into_owned()
}

fn decode_page(
    body: &Bytes,
    status: u16,
    path: &str,
    request_id: Option<String>,
) -> Result<ListBackupsResponse, Error> {
    let unexpected = |request_id: Option<String>| Error::UnexpectedBody {
        status,
        method: "GET".into(),
        path: path.to_owned(),
        snippet: snippet(body, 200),
        request_id,
    };
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(unexpected(request_id));
    }
    match serde_json::from_slice::<ListBackupsResponse>(body) {
        Ok(page) => Ok(page),
        Err(e) if e.is_syntax() || e.is_eof() => Err(unexpected(request_id)),
        Err(e) => Err(Error::Decode {
            json_path: format!("line {} column {}", e.line(), e.column()),
            message: e.to_string(),
            request_id,
        }),
    }
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
