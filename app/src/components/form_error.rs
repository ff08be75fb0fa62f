//! Why a form was refused. Without JavaScript the server function redirects
//! back with the error in the URL (`__err`) and the page shows it where the
//! page swapper would, right after the form.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The error the last post to `action`'s server function came back with, if
/// the URL carries one.
#[component]
pub fn FormError<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = ServerFnError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    action.value().get_untracked().and_then(Result::err).map(|error| {
        view! { <p class="error" role="alert" data-swap-error="">{error_text(&error)}</p> }
    })
}

/// A server function's error as people should read it: the server's own
/// words when it refused, else what went wrong on the way.
pub fn error_text(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}
