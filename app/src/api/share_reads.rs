//! The server function behind `/share/{token}`: the token is the only key,
//! and it opens only what its link shares.

use leptos::prelude::*;

use crate::model::ShareOutcome;

/// What the public link with this token shows (already redacted), or that it
/// is gone or unknown.
#[server(endpoint = "load_shared")]
pub async fn load_shared(token: String) -> Result<ShareOutcome, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.shared_view(&token).await.map_err(super::server_error)
}
