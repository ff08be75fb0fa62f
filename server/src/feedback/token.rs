//! Feedback tokens: HS256 JWTs that let whoever holds one vote on exactly one
//! span (or trace), under one annotation name, until they expire.
//!
//! Claims (any JWT library can mint them with the server's secret):
//! - `span_id` (16 hex digits) **or** `trace_id` (32 hex digits): the target; exactly one.
//! - `exp`: expiry, seconds since the epoch; required; at most `--feedback-max-ttl` ahead.
//! - `name`: the annotation name, default `user feedback` (`note` is reserved).
//! - `sub`: the end user's id; one user has one vote per target and name.
//! - `origins`: the web origins (`https://app.example`) that may embed the widget or
//!   call the vote endpoint; intersected with the server's `--feedback-origins`.
//! - `iat`, `nbf`: optional, standard meaning.

use std::time::Duration;

use app::model::{FEEDBACK_NAME, NOTE_NAME, TargetKind};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::origins::normalize_origin;

/// Longest accepted `sub` and `name`, in characters.
pub const MAX_CLAIM_CHARS: usize = 256;
/// Most entries in `origins`.
pub const MAX_ORIGINS: usize = 20;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 30;

/// The claims of a feedback token, as signed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The span voted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// The trace voted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// Annotation name; `user feedback` when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at (seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The end user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Web origins allowed to use the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origins: Option<Vec<String>>,
}

/// What a valid token allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Span or trace.
    pub kind: TargetKind,
    /// Its id, lowercase hex.
    pub target_id: String,
    /// The annotation name.
    pub name: String,
    /// The end user's id, if the token names one.
    pub user_id: Option<String>,
    /// Origins named by the token (normalised); `None` = whatever the server allows.
    pub origins: Option<Vec<String>>,
    /// Expiry, seconds since the epoch.
    pub expires_at: i64,
}

/// Why a token is refused; the message is shown to the caller (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, TokenError> {
    Err(TokenError(message.into()))
}

/// The signing secret and the rules tokens are checked against.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Longest lifetime a token may have.
    pub max_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("max_ttl", &self.max_ttl).finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys for `secret`; tokens may live at most `max_ttl`.
    pub fn new(secret: &[u8], max_ttl: Duration) -> TokenKeys {
        TokenKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), max_ttl }
    }

    /// Signs `claims` (HS256).
    pub fn sign(&self, claims: &Claims) -> String {
        // HMAC signing of serialisable claims cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).unwrap_or_default()
    }

    /// Checks signature, algorithm, expiry and claim rules at time `now`
    /// (seconds since the epoch). Signatures are compared in constant time
    /// (HMAC `verify_slice`).
    pub fn verify(&self, token: &str, now: i64) -> Result<Grant, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        // `exp` is checked below against `now`, so that tests can move the clock.
        validation.validate_exp = false;
        let claims = match jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &validation) {
            Ok(data) => data.claims,
            Err(error) => {
                return refuse(match error.kind() {
                    ErrorKind::InvalidSignature => "The feedback token's signature is invalid".to_owned(),
                    ErrorKind::InvalidAlgorithm => "The feedback token must be signed with HS256".to_owned(),
                    ErrorKind::ImmatureSignature => "The feedback token is not valid yet".to_owned(),
                    ErrorKind::MissingRequiredClaim(claim) => format!("The feedback token has no `{claim}` claim"),
                    ErrorKind::Json(e) => format!("The feedback token's claims are invalid: {e}"),
                    _ => "The feedback token is malformed".to_owned(),
                });
            }
        };
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if claims.exp.saturating_add(leeway) < now {
            return refuse("The feedback token has expired");
        }
        let max_ttl = i64::try_from(self.max_ttl.as_secs()).unwrap_or(i64::MAX);
        if claims.exp > now.saturating_add(max_ttl).saturating_add(leeway) {
            return refuse(format!("The feedback token lives longer than the server's maximum of {max_ttl} s"));
        }
        grant(claims)
    }
}

/// Applies the claim rules that don't depend on the signature or the clock.
pub fn grant(claims: Claims) -> Result<Grant, TokenError> {
    let (kind, target_id) = match (claims.span_id, claims.trace_id) {
        (Some(span), None) => (TargetKind::Span, span),
        (None, Some(trace)) => (TargetKind::Trace, trace),
        (None, None) => return refuse("The feedback token names neither a span_id nor a trace_id"),
        (Some(_), Some(_)) => return refuse("The feedback token names both a span_id and a trace_id"),
    };
    let target_id = target_id.to_ascii_lowercase();
    let digits = if kind == TargetKind::Span { 16 } else { 32 };
    if target_id.len() != digits || !target_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return refuse(format!("The feedback token's {} must be {digits} hex digits", kind.id_field()));
    }
    let name = claims.name.unwrap_or_else(|| FEEDBACK_NAME.to_owned());
    if name.is_empty() || name.chars().count() > MAX_CLAIM_CHARS || name == NOTE_NAME {
        return refuse(format!(
            "The feedback token's name must be 1 to {MAX_CLAIM_CHARS} characters and not '{NOTE_NAME}'"
        ));
    }
    if let Some(sub) = &claims.sub
        && (sub.is_empty() || sub.chars().count() > MAX_CLAIM_CHARS)
    {
        return refuse(format!("The feedback token's sub must be 1 to {MAX_CLAIM_CHARS} characters"));
    }
    let origins = match claims.origins {
        None => None,
        Some(list) if list.len() > MAX_ORIGINS => {
            return refuse(format!("The feedback token names more than {MAX_ORIGINS} origins"));
        }
        Some(list) => Some(
            list.iter()
                .map(|o| normalize_origin(o).ok_or_else(|| TokenError(format!("Not a web origin: {o:?}"))))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(Grant { kind, target_id, name, user_id: claims.sub, origins, expires_at: claims.exp })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const SPAN: &str = "00000000000000a1";

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(7 * 86_400))
    }

    fn claims() -> Claims {
        Claims { span_id: Some(SPAN.into()), exp: NOW + 3600, ..Default::default() }
    }

    #[test]
    fn a_signed_token_grants_its_span_and_default_name() {
        let grant = keys().verify(&keys().sign(&claims()), NOW).unwrap();
        assert_eq!(grant.kind, TargetKind::Span);
        assert_eq!(grant.target_id, SPAN);
        assert_eq!(grant.name, "user feedback");
        assert_eq!(grant.user_id, None);
        assert_eq!(grant.origins, None);
    }

    #[test]
    fn expired_tokens_are_refused_after_the_leeway() {
        let token = keys().sign(&Claims { exp: NOW - 10, ..claims() });
        assert!(keys().verify(&token, NOW).is_ok(), "within the leeway");
        let token = keys().sign(&Claims { exp: NOW - 3600, ..claims() });
        assert_eq!(keys().verify(&token, NOW).unwrap_err().0, "The feedback token has expired");
    }

    #[test]
    fn tokens_living_past_the_maximum_are_refused() {
        let token = keys().sign(&Claims { exp: NOW + 8 * 86_400, ..claims() });
        assert!(keys().verify(&token, NOW).unwrap_err().0.contains("maximum"));
    }

    #[test]
    fn a_token_signed_with_another_secret_or_tampered_is_refused() {
        let other = TokenKeys::new(b"another secret, just as long....", Duration::from_secs(86_400));
        let forged = other.sign(&claims());
        assert!(keys().verify(&forged, NOW).unwrap_err().0.contains("signature"));

        // Same signature, claims swapped for another span.
        let token = keys().sign(&claims());
        let evil = keys().sign(&Claims { span_id: Some("00000000000000b2".into()), ..claims() });
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = evil.split('.').nth(1).unwrap();
        assert!(keys().verify(&parts.join("."), NOW).unwrap_err().0.contains("signature"));

        // `alg: none` and garbage.
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", token.split('.').nth(1).unwrap());
        assert!(keys().verify(&unsigned, NOW).is_err());
        assert!(keys().verify("not-a-token", NOW).is_err());
    }

    #[test]
    fn scope_is_exactly_one_well_formed_target() {
        let both = Claims { trace_id: Some("0".repeat(32)), ..claims() };
        assert!(grant(both).unwrap_err().0.contains("both"));
        assert!(grant(Claims { span_id: None, ..claims() }).unwrap_err().0.contains("neither"));
        assert!(grant(Claims { span_id: Some("xyz".into()), ..claims() }).is_err());
        let trace = grant(Claims { span_id: None, trace_id: Some("AB".repeat(16)), ..claims() }).unwrap();
        assert_eq!((trace.kind, trace.target_id), (TargetKind::Trace, "ab".repeat(16)));
        assert!(grant(Claims { name: Some("note".into()), ..claims() }).is_err());
        assert!(grant(Claims { name: Some(String::new()), ..claims() }).is_err());
        assert!(grant(Claims { sub: Some("x".repeat(300)), ..claims() }).is_err());
    }

    #[test]
    fn origins_must_be_web_origins_and_are_normalised() {
        let ok = grant(Claims { origins: Some(vec!["HTTPS://App.Example/".into()]), ..claims() }).unwrap();
        assert_eq!(ok.origins, Some(vec!["https://app.example".to_owned()]));
        for bad in ["app.example", "https://app.example/path", "javascript:alert(1)", "https://a b", "https://a;b"] {
            assert!(grant(Claims { origins: Some(vec![bad.into()]), ..claims() }).is_err(), "{bad}");
        }
    }

    #[test]
    fn missing_exp_is_refused() {
        let no_exp = serde_json::json!({"span_id": SPAN});
        let signed = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &no_exp,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert!(keys().verify(&signed, NOW).unwrap_err().0.contains("exp"));
    }
}
