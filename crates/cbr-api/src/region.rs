//! Regions and the CBR endpoint of each.
//!
//! Every region's endpoint is `https://cbr.{region}.myhuaweicloud.com`, except those in
//! [`ENDPOINT_EXCEPTIONS`]. [`REGIONS`] lists the regions of the official SDKs' CBR region
//! tables; a region missing from it still gets the template endpoint (new regions open
//! faster than tables are updated), so the table only documents, it does not restrict. An
//! explicit endpoint given to the client always wins over a region: this module is only
//! asked when there is none.
//!
//! The official SDKs can also override a region's endpoint through the environment
//! (`HUAWEICLOUD_SDK_REGION_CBR_<ID>`) or a regions file; here `--endpoint` (or
//! [`Client::new`](crate::Client::new) with any URL) does that.

/// The official CBR region ids (the official SDKs' `CbrRegion` tables).
pub const REGIONS: &[&str] = &[
    "af-north-1",
    "af-south-1",
    "ae-ad-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "eu-west-0",
    "eu-west-101",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "ru-northwest-2",
    "sa-brazil-1",
    "tr-west-1",
];

/// Regions whose endpoint is not the template, with their endpoint.
///
/// `eu-west-101` (Dublin) is served from the European domain, as the .NET, Node.js, PHP and
/// C++ SDKs' tables and the API documentation say (the Python SDK's table writes
/// `.myhuaweicloud.com` for it).
pub const ENDPOINT_EXCEPTIONS: &[(&str, &str)] =
    &[("eu-west-101", "https://cbr.eu-west-101.myhuaweicloud.eu")];

/// Why a region cannot give an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// The region is empty or only whitespace.
    #[error("the region is empty: pass a region id such as cn-north-4, or an endpoint")]
    Blank,
    /// The region has characters a region id (and a host name) cannot have.
    #[error(
        "invalid region {region:?}: a region id has only letters, digits and `-`, \
         e.g. cn-north-4"
    )]
    Invalid {
        /// The region as given.
        region: String,
    },
}

/// The CBR endpoint of `region`: the table's exception, else
/// `https://cbr.{region}.myhuaweicloud.com`. Surrounding whitespace is ignored and the id
/// is lower-cased.
///
/// ```
/// use cbr_api::region::endpoint_for_region;
///
/// assert_eq!(endpoint_for_region("cn-north-4")?, "https://cbr.cn-north-4.myhuaweicloud.com");
/// assert_eq!(endpoint_for_region("eu-west-101")?, "https://cbr.eu-west-101.myhuaweicloud.eu");
/// # Ok::<(), cbr_api::region::RegionError>(())
/// ```
pub fn endpoint_for_region(region: &str) -> Result<String, RegionError> {
    let id = region.trim().to_ascii_lowercase();
    if id.is_empty() {
        return Err(RegionError::Blank);
    }
    let label_ok = id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !label_ok || id.starts_with('-') || id.ends_with('-') || id.len() > 63 {
        return Err(RegionError::Invalid { region: region.to_owned() });
    }
    if let Some((_, endpoint)) = ENDPOINT_EXCEPTIONS.iter().find(|(known, _)| *known == id) {
        return Ok((*endpoint).to_owned());
    }
    if !is_known_region(&id) {
        tracing::debug!(region = %id, "region not in the table; using the endpoint template");
    }
    Ok(format!("https://cbr.{id}.myhuaweicloud.com"))
}

/// Whether `region` is in [`REGIONS`].
#[must_use]
pub fn is_known_region(region: &str) -> bool {
    REGIONS.contains(&region)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_follow_the_template_except_the_european_domain() {
        for region in REGIONS {
            let endpoint = endpoint_for_region(region).unwrap();

            let expected = if *region == "eu-west-101" {
                "https://cbr.eu-west-101.myhuaweicloud.eu".to_owned()
            } else {
                format!("https://cbr.{region}.myhuaweicloud.com")
            };
            assert_eq!(endpoint, expected);
        }
        assert_eq!(REGIONS.len(), 34);
    }

    #[test]
    fn every_exception_is_a_known_region() {
        for (region, endpoint) in ENDPOINT_EXCEPTIONS {
            assert!(is_known_region(region), "{region}");
            assert!(endpoint.starts_with("https://cbr."), "{endpoint}");
        }
    }

    #[test]
    fn an_unknown_region_falls_back_to_the_template() {
        // B17: a region no table knows needs no upgrade.
        let endpoint = endpoint_for_region("xx-newregion-9").unwrap();

        assert_eq!(endpoint, "https://cbr.xx-newregion-9.myhuaweicloud.com");
        assert!(!is_known_region("xx-newregion-9"));
    }

    #[test]
    fn whitespace_and_case_are_forgiven() {
        assert_eq!(
            endpoint_for_region("  CN-North-4\n").unwrap(),
            "https://cbr.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            endpoint_for_region("EU-WEST-101").unwrap(),
            "https://cbr.eu-west-101.myhuaweicloud.eu"
        );
    }

    #[test]
    fn a_blank_or_malformed_region_is_an_error() {
        assert_eq!(endpoint_for_region(""), Err(RegionError::Blank));
        assert_eq!(endpoint_for_region(" \t"), Err(RegionError::Blank));
        for bad in ["cn north 4", "cn-north-4.evil.example", "a/b", "-cn", "cn-", "é"] {
            let error = endpoint_for_region(bad).unwrap_err();

            assert_eq!(error, RegionError::Invalid { region: bad.to_owned() });
            assert!(error.to_string().contains("e.g. cn-north-4"));
        }
        assert!(endpoint_for_region(&"a".repeat(64)).is_err());
    }
}
