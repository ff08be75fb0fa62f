//! `/collections`: every collection (name, description, item count, last
//! change) and the form that creates one.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateCollection, load_collections};
use crate::components::{FormError, format_time};
use crate::model::{Collection, collection_path};

/// The collections page.
#[component]
pub fn Collections() -> impl IntoView {
    let create = ServerAction::<CreateCollection>::new();
    let collections = Resource::new(|| (), |_| load_collections());
    view! {
        <Title text="Collections · Plume" />
        <div class="page-head">
            <h1>"Collections"</h1>
            <span class="muted">"Flagged examples to review, share and export"</span>
        </div>
        {crate::api::may(crate::model::accounts::Permission::Manage).then(|| view! {
            <ActionForm action=create attr:class="filters collection-create" attr:aria-label="New collection">
                <div class="filters-main">
                    <input name="name" required=true placeholder="New collection name" aria-label="Name" />
                    <input name="description" placeholder="Description (optional)" aria-label="Description" />
                    <button type="submit" class="button primary">"Create collection"</button>
                </div>
            </ActionForm>
        })}
        <FormError action=create />
        <Suspense fallback=|| view! { <p class="muted">"Loading collections…"</p> }>
            {move || Suspend::new(async move {
                match collections.await {
                    Ok(list) if list.is_empty() => view! {
                        <section class="empty">
                            <h2>"No collections yet"</h2>
                            <p>"Flag spans from a trace list or a span page, or create a collection above."</p>
                        </section>
                    }
                    .into_any(),
                    Ok(list) => view! { <CollectionTable collections=list /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One row per collection.
#[component]
fn CollectionTable(collections: Vec<Collection>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table collections">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Description"</th>
                        <th class="num">"Examples"</th>
                        <th>"Last change"</th>
                    </tr>
                </thead>
                <tbody>
                    {collections
                        .into_iter()
                        .enumerate()
                        .map(|(index, c)| view! {
                            <tr class="row" data-nav=index data-collection=c.name.clone()>
                                <td><a class="name" href=collection_path(c.id) data-open="">{c.name.clone()}</a></td>
                                <td class="muted">{c.description.clone().unwrap_or_default()}</td>
                                <td class="num">{c.item_count}</td>
                                <td class="muted nowrap">{format_time(c.updated_at)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
