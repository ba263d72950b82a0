//! The wire form of queries: snapshots of rendered query strings and render → parse round
//! trips.

use cbr_model::{
    ImageType, ListBackupsQuery, MemberStatus, OwnType, QueryError, QueryTime, ResourceType, Sort,
    SortDirection, SortField, SortKey, Status,
};
use proptest::prelude::*;

fn time(text: &str) -> QueryTime {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn sort(text: &str) -> Sort {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Named parameter combinations, the seed's two requests first.
fn combinations() -> Vec<(&'static str, ListBackupsQuery)> {
    let q = ListBackupsQuery::new;
    vec![
        ("seed: limit and offset", q().limit(100u32).offset(0u64)),
        (
            "seed: servers, page of 5",
            q().resource_type(ResourceType::NovaServer).limit(5u32).offset(0u64),
        ),
        ("empty", q()),
        ("two statuses, given unsorted", q().status(Status::Error).status(Status::Available)),
        ("unknown status kept", q().status("frozen")),
        ("sort with directions", q().sort(sort("created_at:desc,name:asc"))),
        ("sort without direction", q().sort(sort("updated_at"))),
        ("name with space and ampersand", q().name("db backup & co")),
        ("non-ASCII resource name", q().resource_name("服务器-01")),
        ("empty name is sent", q().name("")),
        (
            "time window from offsets",
            q().start_time(time("2024-03-01T08:00:00+08:00")).end_time(time("2024-03-02")),
        ),
        ("marker paging", q().marker("62617971-839d-4d23-8dfd-4ca65c039bdf").limit(1000u32)),
        ("vault", q().vault_id("1572bd27-e221-4f28-94ca-9777d232fcd7")),
        ("booleans", q().dec(false).incremental(true).show_replication(true)),
        ("used percent", q().used_percent(80u8)),
        (
            "own type and member status",
            q().own_type(OwnType::AllGranted).member_status(MemberStatus::Accepted),
        ),
        ("image type", q().image_type(ImageType::Replication)),
        ("enterprise project", q().enterprise_project_id("all_granted_eps")),
        ("parent and checkpoint", q().parent_id("p-1").checkpoint_id("c/1%41")),
        ("zone and resource", q().resource_az("br-iaas-odin1a").resource_id("d6bf7592")),
        ("future resource type", q().resource_type("OS::Future::Thing")),
        ("reserved characters", q().name("a+b=c;d/e?f#g~h*i'j")),
        ("smallest and largest limit", q().limit(1u32).offset(u64::MAX)),
        ("start only, given as a date", q().start_time(time("2024-02-29"))),
        (
            "end only, with fraction and negative offset",
            q().end_time(time("2024-03-01T23:30:00.75-02:00")),
        ),
        (
            "sort by all six keys",
            q().sort(sort("created_at,updated_at:asc,name,status:desc,protected_at,id:asc")),
        ),
        (
            "every documented status",
            Status::KNOWN.iter().fold(q(), |query, text| query.status(*text)),
        ),
        ("smallest used percent", q().used_percent(1u8)),
        (
            "shared, old member_status spelling kept",
            q().own_type(OwnType::Shared).member_status("accept"),
        ),
        (
            "everything",
            q().checkpoint_id("c")
                .dec(true)
                .end_time(time("2020-12-31T23:59:59Z"))
                .enterprise_project_id("0")
                .image_type(ImageType::Backup)
                .incremental(false)
                .limit(7u32)
                .marker("m")
                .member_status(MemberStatus::Pending)
                .name("n")
                .offset(14u64)
                .own_type(OwnType::Private)
                .parent_id("p")
                .resource_az("az")
                .resource_id("r")
                .resource_name("rn")
                .resource_type(ResourceType::CinderVolume)
                .show_replication(false)
                .sort(sort("status:asc,id"))
                .start_time(time("2020-01-01"))
                .status(Status::WaitingDelete)
                .status(Status::Available)
                .used_percent(100u8)
                .vault_id("v"),
        ),
    ]
}

#[test]
fn rendered_query_strings() {
    // Given every named combination, when each is rendered, the wire strings are pinned.
    let rendered: Vec<String> = combinations()
        .into_iter()
        .map(|(name, query)| format!("{name}:\n  {}", query.to_query_string()))
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn seed_requests_render_like_the_documentation() {
    let all = combinations();
    assert_eq!(all[0].1.to_query_string(), "limit=100&offset=0");
    assert_eq!(
        all[1].1.to_query_string(),
        "limit=5&offset=0&resource_type=OS%3A%3ANova%3A%3AServer"
    );
}

#[test]
fn every_combination_parses_back() {
    for (name, query) in combinations() {
        let wire = query.to_query_string();
        let back: Result<ListBackupsQuery, _> = wire.parse();
        let mut expected = query.clone();
        expected.status.sort();
        let mut back = back.unwrap_or_else(|e| panic!("{name}: {e}"));
        back.status.sort();
        assert_eq!(back, expected, "{name}: {wire}");
    }
}

#[test]
fn bad_values_name_their_parameter() {
    let cases = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("used_percent=0", "used_percent"),
        ("used_percent=101", "used_percent"),
        ("sort=bogus_key", "sort"),
        ("dec=yes", "dec"),
        ("start_time=yesterday", "start_time"),
        ("start_time=2024-03-02&end_time=2024-03-01", "start_time"),
        ("limit=1&limit=2", "limit"),
        ("limit=", "limit"),
        ("limit=%2B5", "limit"),
        ("offset=1.5", "offset"),
        ("used_percent=abc", "used_percent"),
        ("used_percent=1000", "used_percent"),
        ("start_time=2024-13-01", "start_time"),
        ("end_time=2024-03-01T12%3A00%3A00", "end_time"),
        ("show_replication=True", "show_replication"),
        ("incremental=1", "incremental"),
        ("sort=name%3Aup", "sort"),
        ("sort=", "sort"),
        ("bogus=1", "bogus"),
    ];
    for (wire, parameter) in cases {
        let result = wire.parse::<ListBackupsQuery>().and_then(|q| q.validate().map(|()| q));
        let err = result.err().unwrap_or_else(|| panic!("{wire} was accepted"));
        assert_eq!(err.parameter(), Some(parameter), "{wire}: {err}");
        assert!(err.to_string().contains(parameter), "{wire}: {err}");
    }
    let long_name = ListBackupsQuery::new().name("é".repeat(256));
    assert!(matches!(long_name.validate(), Err(QueryError::Invalid { parameter: "name", .. })));
    assert_eq!(ListBackupsQuery::new().name("é".repeat(255)).validate(), Ok(()));
    let long_name = format!("name={}", "x".repeat(256)).parse::<ListBackupsQuery>();
    assert!(long_name.is_ok_and(|q| q.validate().is_err()));
    let long_sort = format!("sort={}", "id%2C".repeat(100)).parse::<ListBackupsQuery>();
    assert!(matches!(long_sort, Err(QueryError::Invalid { parameter: "sort", .. })));
    let bad_escape = "name=%zz".parse::<ListBackupsQuery>();
    assert!(matches!(bad_escape, Err(QueryError::Malformed { .. })));
}

#[test]
fn every_rejected_value_names_parameter_value_and_rule() {
    // Given values that break each documented rule, set through the typed builder,
    let q = ListBackupsQuery::new;
    let cases = [
        (q().limit(0u32), "limit", "0", "must be between 1 and 1000"),
        (q().limit(1001u32), "limit", "1001", "must be between 1 and 1000"),
        (q().used_percent(0u8), "used_percent", "0", "must be between 1 and 100"),
        (q().used_percent(101u8), "used_percent", "101", "must be between 1 and 100"),
        (q().name("n".repeat(256)), "name", "nnnn", "must be at most 255 characters"),
    ];
    for (query, parameter, value, rule) in cases {
        // when they are validated,
        let error = query.validate().err().unwrap_or_else(|| panic!("{parameter} was accepted"));

        // then the error names the parameter, shows the value and states the rule.
        match &error {
            QueryError::Invalid { parameter: p, value: v, rule: r } => {
                assert_eq!((*p, r.as_str()), (parameter, rule));
                assert!(v.starts_with(value), "{v}");
            }
            other => panic!("{parameter}: {other:?}"),
        }
        assert!(error.to_string().contains(parameter) && error.to_string().contains(rule));
    }
    let window = q().start_time(time("2024-03-02")).end_time(time("2024-03-01T23:59:59Z"));
    assert_eq!(
        window.validate().map_err(|e| e.to_string()),
        Err("`start_time` (2024-03-02T00:00:00Z) is after `end_time` (2024-03-01T23:59:59Z); \
             start_time must be <= end_time"
            .to_owned())
    );
    let instant = time("2024-03-01T12:00:00+01:00");
    assert_eq!(q().start_time(instant).end_time(instant).validate(), Ok(()));
    assert_eq!(q().limit(1000u32).used_percent(100u8).offset(0u64).validate(), Ok(()));
}

#[test]
fn parameters_are_listed_in_wire_order() {
    assert_eq!(ListBackupsQuery::PARAMETERS.len(), 23);
    assert!(ListBackupsQuery::PARAMETERS.windows(2).all(|pair| pair[0] < pair[1]));
    for key in ListBackupsQuery::PARAMETERS {
        let parsed = ListBackupsQuery::parse(&format!("{key}=x"));
        assert!(parsed.is_err() || parsed.is_ok_and(|p| p.unknown.is_empty()), "{key}");
    }
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.~-]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(20).collect()),
        Just("OS::Nova::Server".to_owned()),
        Just("a&b=c+d %41".to_owned()),
    ]
}

fn arb_sort() -> impl Strategy<Value = Sort> {
    let key = (
        prop::sample::select(SortField::ALL.to_vec()),
        prop::option::of(prop::sample::select(vec![SortDirection::Asc, SortDirection::Desc])),
    )
        .prop_map(|(field, direction)| SortKey { field, direction });
    prop::collection::vec(key, 1..5).prop_filter_map("too long", |keys| Sort::new(keys).ok())
}

fn arb_time() -> impl Strategy<Value = QueryTime> {
    (0i64..4_102_444_800).prop_filter_map("in range", |secs| {
        chrono::DateTime::from_timestamp(secs, 0).map(QueryTime::new)
    })
}

prop_compose! {
    fn arb_query()(
        strings in prop::collection::vec(prop::option::of(arb_text()), 10),
        bools in prop::collection::vec(prop::option::of(any::<bool>()), 3),
        limit in prop::option::of(1u32..=1000),
        offset in prop::option::of(any::<u64>()),
        used in prop::option::of(1u8..=100),
        sort in prop::option::of(arb_sort()),
        times in (prop::option::of(arb_time()), prop::option::of(arb_time())),
        statuses in prop::collection::vec(arb_text(), 0..4),
        enums in prop::collection::vec(prop::option::of(arb_text()), 4),
    ) -> ListBackupsQuery {
        let mut q = ListBackupsQuery::new();
        q.checkpoint_id = strings[0].clone();
        q.enterprise_project_id = strings[1].clone();
        q.marker = strings[2].clone();
        q.name = strings[3].clone();
        q.parent_id = strings[4].clone();
        q.resource_az = strings[5].clone();
        q.resource_id = strings[6].clone();
        q.resource_name = strings[7].clone();
        q.vault_id = strings[8].clone();
        q.dec = bools[0];
        q.incremental = bools[1];
        q.show_replication = bools[2];
        q.limit = limit;
        q.offset = offset;
        q.used_percent = used;
        q.sort = sort;
        q.start_time = times.0;
        q.end_time = times.1;
        q.status = statuses.into_iter().map(Status::from).collect();
        q.image_type = enums[0].clone().map(ImageType::from);
        q.member_status = enums[1].clone().map(MemberStatus::from);
        q.own_type = enums[2].clone().map(OwnType::from);
        q.resource_type = enums[3].clone().map(ResourceType::from);
        q
    }
}

proptest! {
    #[test]
    fn render_then_parse_is_identity(query in arb_query()) {
        let wire = query.to_query_string();
        let back = wire
            .parse::<ListBackupsQuery>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected = query;
        expected.status.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn rendering_is_canonical(query in arb_query()) {
        // Pairs come out sorted by raw key then raw value, as the official signer sorts them.
        let pairs = query.to_pairs();
        let mut sorted = pairs.clone();
        sorted.sort();
        prop_assert_eq!(pairs, sorted);
        let wire = query.to_query_string();
        prop_assert!(wire.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%=&".contains(&b)));
    }
}
