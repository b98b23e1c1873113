//! The headers `client.fetch` adds to an API call (docs/API.md §4).

use super::config::Config;

/// One header for an API call. `replace` headers always win over the
/// caller's; the others are added only when the caller has not set them.
#[derive(Debug, PartialEq, Eq)]
pub struct ApiHeader<'a> {
    pub name: &'static str,
    pub value: std::borrow::Cow<'a, str>,
    pub replace: bool,
}

pub fn api_headers<'a>(config: &'a Config, access_token: &str) -> Vec<ApiHeader<'a>> {
    let mut out = vec![ApiHeader { name: "Authorization", value: super::text::concat(&["Bearer ", access_token]).into(), replace: true }];
    if config.provider.vendor().api_headers {
        out.push(ApiHeader { name: "api-version", value: config.api_version.as_str().into(), replace: false });
        if let Some(entity) = &config.legal_entity {
            out.push(ApiHeader { name: "legal-entity", value: entity.as_str().into(), replace: false });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::opts;

    #[test]
    fn younium_adds_version_and_entity() {
        let c = Config::from_options(&opts(&[("provider", "younium"), ("clientId", "i"), ("secret", "s"), ("legalEntity", "Acme AB")])).unwrap();
        let h = api_headers(&c, "tok");
        let pairs: Vec<(&str, &str, bool)> = h.iter().map(|h| (h.name, h.value.as_ref(), h.replace)).collect();
        assert_eq!(pairs, vec![("Authorization", "Bearer tok", true), ("api-version", "2.1", false), ("legal-entity", "Acme AB", false)]);
    }

    #[test]
    fn others_send_only_authorization() {
        let c = Config::from_options(&opts(&[("provider", "union"), ("baseUrl", "https://h"), ("username", "u"), ("password", "p"), ("apiVersion", "1.0")])).unwrap();
        let h = api_headers(&c, "tok");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].name, "Authorization");
    }
}
