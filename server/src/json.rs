//! A JSON body extractor that fails the way FastAPI does: 422 with a
//! `{"detail": [...]}` list whose `loc` points at the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ValidationDetail};

/// `T` read from an `application/json` (or `+json`) body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(rejection.body_text())
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        from_bytes(&headers, &bytes).map(JsonBody)
    }
}

/// `T` from a JSON body or an HTML form (`application/x-www-form-urlencoded`);
/// the flag says which (forms are answered with redirects, JSON with statuses).
#[derive(Debug)]
pub struct JsonOrForm<T>(pub T, pub bool);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return JsonBody::from_request(request, state).await.map(|JsonBody(value)| JsonOrForm(value, false));
        }
        let axum::Form(value) = axum::Form::<T>::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::Unprocessable(rejection.body_text()))?;
        Ok(JsonOrForm(value, true))
    }
}

/// `T` from a body already read: the content type must be JSON, then as [`parse`].
pub fn from_bytes<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = content_type == "application/json"
        || (content_type.starts_with("application/") && content_type.ends_with("+json"));
    if !is_json {
        return Err(detail(
            "model_attributes_type",
            vec![],
            "Input should be a valid dictionary or object to extract fields from",
            Value::String(String::from_utf8_lossy(bytes).into_owned()),
        ));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        detail("json_invalid", vec![Value::from(e.column())], &format!("JSON decode error: {e}"), Value::Null)
    })?;
    parse(value)
}

/// Deserialises `value` into `T`, turning the first error into a FastAPI detail.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    let input = value.clone();
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut loc: Vec<Value> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(Value::from(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Value::from(key.as_str())),
                serde_path_to_error::Segment::Enum { variant } => Some(Value::from(variant.as_str())),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = error.inner().to_string();
        let kind = if let Some(field) = missing_field(&message) {
            loc.push(Value::from(field));
            "missing"
        } else {
            "value_error"
        };
        let at = pointer(&input, &loc);
        detail(kind, loc, &message, at)
    })
}

/// The value at `loc` inside `input` (what FastAPI echoes as `input`).
fn pointer(input: &Value, loc: &[Value]) -> Value {
    let mut node = input;
    for segment in loc {
        let next = match segment {
            Value::Number(n) => n.as_u64().and_then(|i| node.get(usize::try_from(i).ok()?)),
            Value::String(key) => node.get(key),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return input.clone(),
        }
    }
    node.clone()
}

/// `missing field \`name\`` → `name`.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn detail(kind: &str, mut loc: Vec<Value>, msg: &str, input: Value) -> ApiError {
    loc.insert(0, Value::from("body"));
    ApiError::Validation(vec![ValidationDetail { kind: kind.into(), loc, msg: msg.into(), input }])
}

impl ApiError {
    /// A 422 for one body field, e.g. `body_field(&["name"], "string_too_short", …)`.
    pub fn body_field(loc: &[&str], kind: &str, msg: &str, input: impl Into<Value>) -> Self {
        detail(kind, loc.iter().map(|s| Value::from(*s)).collect(), msg, input.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        score: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        data: Vec<Item>,
    }

    fn loc_of(value: Value) -> Value {
        match parse::<Body>(value) {
            Err(ApiError::Validation(detail)) => Value::from(detail[0].loc.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn locates_missing_and_wrong_fields() {
        assert_eq!(loc_of(json!({})), json!(["body", "data"]));
        assert_eq!(loc_of(json!({"data": [{"name": "a"}, {}]})), json!(["body", "data", 1, "name"]));
        assert_eq!(loc_of(json!({"data": [{"name": "a", "score": "x"}]})), json!(["body", "data", 0, "score"]));
    }

    mod annotation_bodies {
        use app::model::{AnnotationSource, AnnotationsRequest, SpanTarget};
        use app::store::NewAnnotation;
        use axum::http::HeaderValue;
        use axum::response::IntoResponse;
        use proptest::prelude::*;

        use super::*;

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                ".{0,8}".prop_map(Value::from),
                prop_oneof![Just("LLM"), Just("HUMAN"), Just("CODE"), Just("span_id"), Just("name")]
                    .prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    prop::collection::btree_map(".{0,6}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// Bodies shaped like annotation posts, every field possibly wrong.
        fn annotation_body() -> impl Strategy<Value = Value> {
            let field = || prop::option::of(json_value());
            let item = (field(), field(), field(), field(), field(), field()).prop_map(
                |(span_id, name, kind, result, metadata, identifier)| {
                    let mut item = serde_json::Map::new();
                    let fields = [
                        ("span_id", span_id),
                        ("name", name),
                        ("annotator_kind", kind),
                        ("result", result),
                        ("metadata", metadata),
                        ("identifier", identifier),
                    ];
                    for (key, value) in fields {
                        if let Some(value) = value {
                            item.insert(key.into(), value);
                        }
                    }
                    Value::Object(item)
                },
            );
            prop::collection::vec(item, 0..3).prop_map(|data| serde_json::json!({ "data": data }))
        }

        fn check(bytes: &[u8]) {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            match from_bytes::<AnnotationsRequest<SpanTarget>>(&headers, bytes) {
                Ok(body) => {
                    for item in body.data {
                        NewAnnotation::from_input(item, AnnotationSource::Api, Default::default());
                    }
                }
                Err(error) => {
                    let status = error.into_response().status();
                    assert!(status.is_client_error(), "{status}");
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_bytes_are_a_4xx_or_a_body(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                check(&bytes);
            }

            #[test]
            fn arbitrary_json_is_a_4xx_or_a_body(value in json_value()) {
                check(value.to_string().as_bytes());
            }

            #[test]
            fn annotation_shaped_json_is_a_4xx_or_a_body(value in annotation_body()) {
                check(value.to_string().as_bytes());
            }
        }
    }
}
