//! Query-string parsing with FastAPI's behaviour: repeated keys are lists,
//! the last value of a scalar wins, and a bad value is a 422 JSON detail
//! naming `["query", <name>]`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;

/// The most rows one page of any list answers. Phoenix refuses `limit`s above
/// 1000 on spans and traces (a 422, which `limit` checks keep where Phoenix
/// has that bound); on routes where Phoenix allows more, a larger `limit` is
/// served as 1000 rows and a `next_cursor`, so paging clients keep working.
pub const MAX_PAGE: u32 = 1000;

/// The decoded `key=value` pairs of a request's query string.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Params(form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()))
    }
}

impl Params {
    /// Parameters from decoded pairs (e.g. a JSON span filter turned into query form).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The last non-empty value for `name` (FastAPI ignores `cursor=`).
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every value given for `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A page size: an integer in `min..=max` (else a 422, as Phoenix), or
    /// `default` when absent; at most [`MAX_PAGE`] is used.
    pub fn limit(&self, name: &str, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
        let Some(raw) = self.get(name) else { return Ok(default) };
        let value: i64 = raw.trim().parse().map_err(|_| {
            ApiError::query(name, "Input should be a valid integer, unable to parse string as an integer", raw)
        })?;
        if value < i64::from(min) {
            return Err(ApiError::query(name, format!("Input should be greater than or equal to {min}"), raw));
        }
        if value > i64::from(max) {
            return Err(ApiError::query(name, format!("Input should be less than or equal to {max}"), raw));
        }
        Ok(u32::try_from(value).unwrap_or(max).min(MAX_PAGE))
    }

    /// A boolean in any of pydantic's spellings, or `default` when absent.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        let Some(raw) = self.get(name) else { return Ok(default) };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Ok(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Ok(false),
            _ => Err(ApiError::query(name, "Input should be a valid boolean, unable to interpret input", raw)),
        }
    }

    /// An optional boolean in any of pydantic's spellings.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        if self.get(name).is_none() {
            return Ok(None);
        }
        self.bool(name, false).map(Some)
    }

    /// An optional number `>= min` (pydantic's `float` with `ge=min`).
    pub fn number_at_least(&self, name: &str, min: f64) -> Result<Option<f64>, ApiError> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        let value: f64 = raw.trim().parse().map_err(|_| {
            ApiError::query(name, "Input should be a valid number, unable to parse string as a number", raw)
        })?;
        if value.is_nan() || value < min {
            return Err(ApiError::query(name, format!("Input should be greater than or equal to {min}"), raw));
        }
        Ok(Some(value))
    }

    /// A time in nanoseconds since the epoch (naive times are UTC), if given.
    pub fn time(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.non_empty(name) else { return Ok(None) };
        app::time::parse_iso(raw)
            .map(|t| Some(app::time::to_nanos(t)))
            .ok_or_else(|| ApiError::query(name, "Input should be a valid datetime", raw))
    }

    /// One of `choices`, or `default` when absent.
    pub fn choice<'a>(&self, name: &str, choices: &[&'a str], default: &'a str) -> Result<&'a str, ApiError> {
        let Some(raw) = self.get(name) else { return Ok(default) };
        choices.iter().find(|c| **c == raw).copied().ok_or_else(|| {
            let listed: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
            ApiError::query(name, format!("Input should be {}", listed.join(" or ")), raw)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn repeated_keys_and_last_wins() {
        let p = params(&[("a", "1"), ("a", "2"), ("b", "")]);
        assert_eq!(p.all("a"), vec!["1", "2"]);
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.non_empty("b"), None);
    }

    #[test]
    fn limits_and_bools_are_checked() {
        assert_eq!(params(&[]).limit("limit", 100, 1, 1000).unwrap(), 100);
        assert!(params(&[("limit", "0")]).limit("limit", 100, 1, 1000).is_err());
        assert!(params(&[("limit", "1001")]).limit("limit", 100, 1, 1000).is_err());
        assert!(params(&[("limit", "x")]).limit("limit", 100, 1, 1000).is_err());
        assert_eq!(params(&[("limit", "5000")]).limit("limit", 100, 1, u32::MAX).unwrap(), MAX_PAGE);
        assert_eq!(params(&[("limit", "10000")]).limit("limit", 10, 1, 10_000).unwrap(), MAX_PAGE);
        assert!(params(&[("sync", "YES")]).bool("sync", false).unwrap());
        assert!(!params(&[("sync", "off")]).bool("sync", true).unwrap());
        assert!(params(&[("sync", "maybe")]).bool("sync", true).is_err());
        assert_eq!(params(&[]).opt_bool("error").unwrap(), None);
        assert_eq!(params(&[("error", "false")]).opt_bool("error").unwrap(), Some(false));
        assert!(params(&[("error", "x")]).opt_bool("error").is_err());
    }

    #[test]
    fn numbers_are_checked() {
        assert_eq!(params(&[]).number_at_least("min", 0.0).unwrap(), None);
        assert_eq!(params(&[("min", "2.5")]).number_at_least("min", 0.0).unwrap(), Some(2.5));
        assert_eq!(params(&[("min", "0")]).number_at_least("min", 0.0).unwrap(), Some(0.0));
        assert!(params(&[("min", "-1")]).number_at_least("min", 0.0).is_err());
        assert!(params(&[("min", "fast")]).number_at_least("min", 0.0).is_err());
    }
}
