//! Server functions behind the flag, collection and public-link forms. They
//! take form fields as text, so that `ActionForm` posts them with or without
//! JavaScript, and call the same store as `/v1/collections`.

use leptos::prelude::*;

use crate::model::SharedLinkUrl;

/// Text or `None` when blank.
#[cfg(feature = "ssr")]
fn non_blank(text: &str) -> Option<String> {
    super::annotation_forms::non_blank(text.to_owned())
}

/// The collection named `name`, created when there is none.
#[cfg(feature = "ssr")]
async fn named_collection(store: &crate::store::Store, name: &str) -> Result<crate::ids::CollectionId, ServerFnError> {
    use crate::model::NewCollection;
    let Some(name) = non_blank(name) else { return Err(super::refused("Name the collection")) };
    let found = store.list_collections(None, 1, Some(&name)).await.map_err(super::server_error)?.rows;
    let collection = match found.into_iter().next() {
        Some(collection) => collection,
        None => store
            .create_collection(&NewCollection { name, description: None }, super::caller().author())
            .await
            .map_err(super::server_error)?,
    };
    Ok(collection.id)
}

/// Adds `selection` to collection `collection` (by name, created when
/// missing) with `note`; says what happened.
#[cfg(feature = "ssr")]
async fn flag(collection: &str, selection: crate::store::Selection, note: &str) -> Result<String, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let target = named_collection(&store, collection).await?;
    let note = non_blank(note);
    let added = store
        .add_collection_items(target, &selection, note.as_deref(), super::caller().author())
        .await
        .map_err(super::server_error)?;
    Ok(flag_message(added, collection.trim()))
}

/// `Added 3 spans to X`, or that they were all in it already.
pub fn flag_message(added: u64, collection: &str) -> String {
    match added {
        0 => format!("Already in {collection}"),
        1 => format!("Added to {collection}"),
        n => format!("Added {n} spans to {collection}"),
    }
}

/// Flags one span into the collection named `collection` (created when missing).
#[server(endpoint = "flag_span")]
pub async fn flag_span(
    span_id: String,
    collection: String,
    #[server(default)] note: String,
) -> Result<String, ServerFnError> {
    flag(&collection, crate::store::Selection::SpanIds(vec![span_id]), &note).await
}

/// Flags the root span of every trace of `project` matching `filter` (the
/// trace list's query string; every page, not just the visible one).
#[server(endpoint = "flag_matching")]
pub async fn flag_matching(
    project: String,
    #[server(default)] filter: String,
    collection: String,
    #[server(default)] note: String,
) -> Result<String, ServerFnError> {
    let query = crate::model::TraceListQuery::from_query_string(&filter).first_page();
    flag(&collection, crate::store::Selection::TraceList { project, query: Box::new(query) }, &note).await
}

/// Removes an item from collection `collection` (global id): `span_id` is
/// the item's span, or the item's own id for an uploaded example without one.
#[server(endpoint = "unflag_span")]
pub async fn unflag_span(collection: String, span_id: String) -> Result<(), ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.remove_collection_item(&collection, &span_id).await.map_err(super::server_error)
}

/// Sets the edited expected output (a corrected answer for fine-tuning) of
/// item `item` of collection `collection` to the text `expected_output`;
/// blank clears it, going back to the original output.
#[server(endpoint = "edit_expected_output")]
pub async fn edit_expected_output(
    collection: String,
    item: String,
    #[server(default)] expected_output: String,
) -> Result<(), ServerFnError> {
    use crate::model::MAX_EXPECTED_OUTPUT_BYTES;
    let store = expect_context::<crate::store::Store>();
    if expected_output.len() > MAX_EXPECTED_OUTPUT_BYTES {
        return Err(super::refused(format!("The expected output is longer than {MAX_EXPECTED_OUTPUT_BYTES} bytes")));
    }
    let value = non_blank(&expected_output).map(serde_json::Value::from);
    store.set_expected_output(&collection, &item, value.as_ref()).await.map_err(super::server_error)
}

/// Creates an empty collection.
#[server(endpoint = "create_collection")]
pub async fn create_collection(name: String, #[server(default)] description: String) -> Result<(), ServerFnError> {
    use crate::model::NewCollection;
    let store = expect_context::<crate::store::Store>();
    let Some(name) = non_blank(&name) else { return Err(super::refused("Name the collection")) };
    let new = NewCollection { name, description: non_blank(&description) };
    store.create_collection(&new, super::caller().author()).await.map_err(super::server_error)?;
    Ok(())
}

/// Lifetime in seconds of a link living `days` days (a form field; blank
/// is the default 7 days).
pub fn link_ttl_seconds(days: &str) -> Result<i64, String> {
    use crate::model::{DEFAULT_LINK_TTL_SECONDS, MAX_LINK_TTL_SECONDS};
    let days = days.trim();
    if days.is_empty() {
        return Ok(DEFAULT_LINK_TTL_SECONDS);
    }
    let max_days = MAX_LINK_TTL_SECONDS / 86_400;
    match days.parse::<i64>() {
        Ok(days) if (1..=max_days).contains(&days) => Ok(days * 86_400),
        _ => Err(format!("The expiry is a whole number of days from 1 to {max_days}")),
    }
}

/// Redaction patterns from a form field: separated by commas or lines.
pub fn redaction_patterns(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// Makes a public link to collection `collection` (global id) living
/// `expires_days` days and hiding the attributes `redact` names, and the
/// explanations and notes when those checkboxes are ticked (any value).
/// Its URL is in the answer and nowhere else.
#[server(endpoint = "create_collection_link")]
pub async fn create_collection_link(
    collection: String,
    #[server(default)] expires_days: String,
    #[server(default)] redact: String,
    #[server(default)] redact_explanations: String,
    #[server(default)] redact_notes: String,
) -> Result<SharedLinkUrl, ServerFnError> {
    use crate::model::{LinkTarget, redaction};
    let store = expect_context::<crate::store::Store>();
    let ttl = link_ttl_seconds(&expires_days).map_err(super::refused)?;
    let patterns = redaction_patterns(&redact);
    redaction::check_patterns(&patterns).map_err(super::refused)?;
    let hidden = redaction::LinkRedaction {
        patterns,
        explanations: !redact_explanations.is_empty(),
        notes: !redact_notes.is_empty(),
    };
    let rowid = store.collection_rowid(&collection).await.map_err(super::server_error)?;
    let link = store
        .create_public_link(&LinkTarget::Collection(rowid), ttl, &hidden, super::caller().author())
        .await
        .map_err(super::server_error)?;
    let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let base = use_context::<super::PublicUrl>().unwrap_or_default().base(&headers);
    let created = SharedLinkUrl { url: format!("{base}/share/{}", link.token), expires_at: link.expires_at };
    // With JavaScript the island shows the answer; without, the page after
    // the redirect does.
    if super::is_html_form_post() {
        super::shown_once::keep(super::shown_once::NEW_PUBLIC_LINK, &created);
    }
    Ok(created)
}

/// Revokes public link `id` (global id) at once.
#[server(endpoint = "revoke_link")]
pub async fn revoke_link(id: String) -> Result<(), ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let id = crate::store::parse_id(&id).map_err(super::server_error)?;
    store.revoke_public_link(id).await.map_err(super::server_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read_strictly() {
        assert_eq!(link_ttl_seconds(""), Ok(7 * 86_400));
        assert_eq!(link_ttl_seconds("2"), Ok(2 * 86_400));
        assert!(link_ttl_seconds("0").is_err());
        assert!(link_ttl_seconds("366").is_err());
        assert!(link_ttl_seconds("1.5").is_err());
        assert_eq!(redaction_patterns(" *.email, user.*\n\n"), vec!["*.email", "user.*"]);
        assert_eq!(flag_message(0, "c"), "Already in c");
        assert_eq!(flag_message(1, "c"), "Added to c");
        assert_eq!(flag_message(4, "c"), "Added 4 spans to c");
    }
}
