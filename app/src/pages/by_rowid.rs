//! Pages that show one stored thing by its number in the URL (`/collections/{n}`,
//! `/queues/{n}`), their lists paged by `?cursor=`.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::pages::NotFound;

/// Loads what `…/{id}?cursor=` names with `load` and shows it with `show`;
/// an id that is not a number, or names nothing stored, is the 404 page.
pub fn by_rowid<T, Fut, V>(
    what: &'static str,
    load: impl Fn(i64, Option<i64>) -> Fut + Copy + Send + Sync + 'static,
    show: impl Fn(T) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<T>, ServerFnError>> + Send + 'static,
    V: IntoView + Send + 'static,
{
    let rowid = use_params_map().read_untracked().get("id").and_then(|id| id.parse::<i64>().ok());
    let cursor = use_query_map().read_untracked().get("cursor").and_then(|c| c.parse::<i64>().ok());
    let loaded = Resource::new(
        move || (rowid, cursor),
        move |(rowid, cursor)| async move {
            match rowid {
                Some(rowid) => load(rowid, cursor).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=move || view! { <p class="muted">{format!("Loading {what}…")}</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(Some(found)) => show(found).into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
