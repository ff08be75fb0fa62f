//! End-user feedback: span-scoped tokens ([`token`]), the vote endpoint
//! ([`votes`]), token minting ([`minting`]), the embeddable widget's loader
//! ([`widget`]) and the headers of its page ([`embed`]), with the abuse
//! limits: origins ([`origins`]) and rate limits ([`crate::rate_limit`]).
//!
//! A vote is an ordinary annotation (`HUMAN`, label `thumbs-up`/`thumbs-down`,
//! score 1/0) keyed by an identifier derived from the end user, so each user
//! has one vote that changes in place.

pub mod embed;
mod error;
pub mod minting;
pub mod origins;
pub mod secret;
pub mod token;
pub mod votes;
mod widget;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::model::{AnnotationResult, AnnotationSource, AnnotatorKind, Vote};
use app::store::{AnnotationKey, NewAnnotation, Store, WriteMode};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, options, post};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rate_limit::RateLimiter;
pub use error::FeedbackError;
use origins::{Allowed, Allowlist, Caller};
use token::{Grant, TokenKeys};

use crate::AppState;

/// Largest accepted vote request body.
pub const MAX_FEEDBACK_BODY_BYTES: usize = 4 * 1024;

/// Settings from the command line.
#[derive(Clone, Debug)]
pub struct FeedbackSettings {
    /// The HS256 signing secret.
    pub secret: Vec<u8>,
    /// Longest token lifetime.
    pub max_ttl: Duration,
    /// Origins allowed to embed the widget and call the vote endpoint.
    pub allowlist: Allowlist,
    /// Requests a minute per token (0 = no limit).
    pub per_token_per_minute: u32,
    /// Requests a minute per client IP (0 = no limit).
    pub per_ip_per_minute: u32,
    /// Tokens minted a minute per client IP (0 = no limit).
    pub mint_per_ip_per_minute: u32,
    /// Base URL for `widget_url` (else taken from the request's `Host`).
    pub public_url: Option<String>,
}

/// The feedback service shared by the handlers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Feedback(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    keys: TokenKeys,
    allowlist: Allowlist,
    per_token: RateLimiter,
    per_ip: RateLimiter,
    mint_per_ip: RateLimiter,
    public_url: Option<String>,
}

/// What a caller asks for.
#[derive(Clone, Debug)]
pub enum Action {
    /// Vote, with an optional comment.
    Cast(Vote, Option<String>),
    /// Take the vote back.
    Retract,
}

/// One vote request, however it arrived (JSON, form).
#[derive(Debug)]
pub struct VoteRequest<'a> {
    /// The feedback token.
    pub token: &'a str,
    /// What to do.
    pub action: Action,
    /// Where it comes from.
    pub caller: &'a Caller,
    /// The client's address, for the per-IP limit.
    pub ip: Option<IpAddr>,
    /// For calls from the embed page: the page embedding it (honoured only if allowed).
    pub host_origin: Option<&'a str>,
    /// A target the caller expects the token to be for (refused if it is not).
    pub expected_target: Option<&'a str>,
}

/// The user's vote after a request.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CurrentVote {
    /// `up`, `down` or `null`.
    pub vote: Option<Vote>,
    /// The comment sent with it.
    pub comment: Option<String>,
}

impl Feedback {
    /// The service with these settings; `store` keeps the rate limits when
    /// replicas share it.
    pub fn new(settings: FeedbackSettings, store: &Store) -> Feedback {
        Feedback(Arc::new(Inner {
            keys: TokenKeys::new(&settings.secret, settings.max_ttl),
            allowlist: settings.allowlist,
            per_token: RateLimiter::new(settings.per_token_per_minute, "vote-token", store),
            per_ip: RateLimiter::new(settings.per_ip_per_minute, "vote-ip", store),
            mint_per_ip: RateLimiter::new(settings.mint_per_ip_per_minute, "mint-ip", store),
            public_url: settings.public_url.map(|u| u.trim_end_matches('/').to_owned()),
        }))
    }

    /// The signing keys.
    pub fn keys(&self) -> &TokenKeys {
        &self.0.keys
    }

    /// The base URL configured for links to the widget.
    pub fn public_url(&self) -> Option<&str> {
        self.0.public_url.as_deref()
    }

    /// The server's allowlist.
    pub fn allowlist(&self) -> &Allowlist {
        &self.0.allowlist
    }

    /// Takes one of `ip`'s token mints; `Err` says how long to wait.
    pub async fn check_mint(&self, ip: IpAddr) -> Result<(), Duration> {
        self.0.mint_per_ip.check(&ip.to_string()).await
    }

    /// Verifies `token` now.
    pub fn verify(&self, token: &str) -> Result<Grant, FeedbackError> {
        self.0.keys.verify(token, chrono::Utc::now().timestamp()).map_err(|e| FeedbackError::Unauthorized(e.0))
    }

    /// The origins `grant` may be used from.
    pub fn allowed(&self, grant: &Grant) -> Allowed {
        self.0.allowlist.for_token(grant.origins.as_deref())
    }

    /// Applies a vote or a retraction: per-IP limit, token, origin, scope,
    /// per-token limit, then the write. Any refusal writes nothing.
    pub async fn apply(&self, store: &Store, request: VoteRequest<'_>) -> Result<CurrentVote, FeedbackError> {
        if let Some(ip) = request.ip {
            self.0.per_ip.check(&ip.to_string()).await.map_err(FeedbackError::TooMany)?;
        }
        let grant = self.verify(request.token)?;
        let allowed = self.allowed(&grant);
        if let Caller::Site(origin) = request.caller
            && !allowed.contains(origin)
        {
            return Err(FeedbackError::Forbidden(format!("Origin {origin} may not use this feedback token")));
        }
        if let Some(expected) = request.expected_target
            && !expected.eq_ignore_ascii_case(&grant.target_id)
        {
            return Err(FeedbackError::Forbidden(format!(
                "This feedback token is for another {}",
                grant.kind.as_str()
            )));
        }
        let identifier = identifier(&grant, request.token);
        self.0.per_token.check(&identifier).await.map_err(FeedbackError::TooMany)?;
        let key =
            AnnotationKey { kind: grant.kind, target_id: &grant.target_id, name: &grant.name, identifier: &identifier };
        match request.action {
            Action::Retract => {
                store.delete_annotation(key).await?;
                Ok(CurrentVote::default())
            }
            Action::Cast(vote, comment) => {
                let origin = match request.caller {
                    Caller::Site(origin) => Some(origin.as_str()),
                    Caller::SameOrigin => request.host_origin.filter(|o| allowed.contains(o)),
                    Caller::NoOrigin => None,
                };
                let metadata = serde_json::json!({ "user_id": grant.user_id, "origin": origin });
                let item = NewAnnotation {
                    target_id: grant.target_id.clone(),
                    name: grant.name.clone(),
                    annotator_kind: AnnotatorKind::Human,
                    result: AnnotationResult {
                        label: Some(vote.label().to_owned()),
                        score: Some(vote.score()),
                        explanation: comment.clone(),
                    },
                    metadata: metadata.to_string(),
                    identifier,
                    source: AnnotationSource::Api,
                    author: Default::default(),
                    only_own: false,
                };
                store.writer().write_annotations(grant.kind, vec![item], WriteMode::Deferred).await?;
                Ok(CurrentVote { vote: Some(vote), comment })
            }
        }
    }

    /// The vote `token`'s holder has cast so far (stored or pending).
    pub async fn current(&self, store: &Store, grant: &Grant, token: &str) -> Result<CurrentVote, FeedbackError> {
        let identifier = identifier(grant, token);
        let key =
            AnnotationKey { kind: grant.kind, target_id: &grant.target_id, name: &grant.name, identifier: &identifier };
        let result = store.annotation_result(key).await?;
        Ok(match result {
            Some(result) => {
                CurrentVote { vote: result.label.as_deref().and_then(Vote::from_label), comment: result.explanation }
            }
            None => CurrentVote::default(),
        })
    }
}

/// The annotation identifier of a token's votes: the end user's id when the
/// token names one (one vote per user), else a hash of the token.
pub fn identifier(grant: &Grant, token: &str) -> String {
    match &grant.user_id {
        Some(user) => format!("user:{user}"),
        None => {
            let digest = Sha256::digest(token.trim().as_bytes());
            format!("token:{}", app::ids::hex_id(&digest[..16]))
        }
    }
}

/// Routes: `/v1/feedback`, `/v1/feedback_tokens`, `/widget.js` and the
/// plain-HTML form target `/embed/feedback/vote`. The page `/embed/feedback`
/// itself is a Leptos route; [`embed::prepare`] supplies its state and headers.
/// The two `/v1` routes are described in `/openapi.json` with the others.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(votes::cast, votes::retract))
        .route("/v1/feedback", options(votes::preflight))
        .route("/embed/feedback/vote", post(votes::form))
        .layer(DefaultBodyLimit::max(MAX_FEEDBACK_BODY_BYTES))
        .routes(routes!(minting::mint))
        .route("/widget.js", get(widget::script))
}
