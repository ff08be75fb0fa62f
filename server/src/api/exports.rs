//! `GET /v1/collections/{id}/export?format=jsonl|csv|chat`: the collection
//! as a file, streamed. Items are read a page at a time (keyset paging) and
//! each page is written out before the next is read, so memory stays flat
//! however large the collection is. After the items come the items whose
//! spans were deleted since (tombstones), marked `"removed": true` (JSONL) or
//! with a `removed_at` (CSV); the `chat` file, training data, leaves them out.

use app::model::{CollectionItem, RemovedItem};
use app::store::Store;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::Params;
use super::export_formats::{Format, chat_line, csv_header, csv_row, jsonl_line, removed_csv_row, removed_line};
use crate::AppState;
use crate::error::ApiError;

/// Items read per page while streaming.
const EXPORT_PAGE: u32 = 500;

/// Downloads a collection: JSONL (input, output, attributes, annotations and
/// note per example), CSV (flat columns) or `chat` (OpenAI fine-tuning
/// `{"messages": […]}` lines of the 👍-rated examples).
#[utoipa::path(get, path = "/v1/collections/{collection}/export", security(("bearer" = ["read"])), tag = "collections",
    params(("collection" = String, Path), ("format" = Option<String>, Query, description = "jsonl (default), csv or chat")),
    responses((status = 200, description = "the file, as an attachment"), (status = 404), (status = 422)))]
pub async fn export(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let format = Format::parse(params.choice("format", &Format::CHOICES, "jsonl")?);
    let rowid = state.store.collection_rowid(&collection).await?;
    let collection = state.store.collection_by_rowid(rowid).await?;
    let annotation_names = match format {
        Format::Csv => state.store.collection_annotation_names(rowid).await?,
        _ => Vec::new(),
    };
    let writer = PageWriter { format, annotation_names, header_written: false };
    let pages = Pages { store: state.store.clone(), collection: rowid, cursor: None, phase: Phase::Items, writer };
    let stream = futures_util::stream::try_unfold(pages, Pages::next);
    let (extension, media_type) = format.file_type();
    let disposition = format!("attachment; filename=\"{}.{extension}\"", file_stem(&collection.name));
    Ok((
        [(header::CONTENT_TYPE, media_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The reading side of the stream: what is read and where the next page starts.
struct Pages {
    store: Store,
    collection: i64,
    cursor: Option<i64>,
    phase: Phase,
    writer: PageWriter,
}

/// What the stream reads: the items, then the removed items, then nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Items,
    Removed,
    Done,
}

impl Pages {
    /// The next page as bytes, `None` after the last one.
    async fn next(mut self) -> Result<Option<(Bytes, Pages)>, app::store::Error> {
        let (bytes, next) = match self.phase {
            Phase::Done => return Ok(None),
            Phase::Items => {
                let page = self.store.collection_items(self.collection, self.cursor, EXPORT_PAGE).await?;
                (self.writer.write(&page.rows), page.next)
            }
            Phase::Removed => {
                let page = self.store.removed_items(self.collection, self.cursor, EXPORT_PAGE).await?;
                (self.writer.write_removed(&page.rows), page.next)
            }
        };
        self.cursor = next;
        if next.is_none() {
            self.phase = if self.phase == Phase::Items { Phase::Removed } else { Phase::Done };
        }
        Ok(Some((bytes, self)))
    }
}

/// The writing side: one format, and whether the CSV header is out.
struct PageWriter {
    format: Format,
    annotation_names: Vec<String>,
    header_written: bool,
}

impl PageWriter {
    fn write(&mut self, items: &[CollectionItem]) -> Bytes {
        let text = match self.format {
            Format::Jsonl => items.iter().map(jsonl_line).collect::<String>(),
            Format::Chat => items.iter().filter_map(chat_line).collect::<String>(),
            Format::Csv => return self.csv(items),
        };
        Bytes::from(text)
    }

    fn csv(&mut self, items: &[CollectionItem]) -> Bytes {
        self.csv_rows(items.iter().map(|item| csv_row(item, &self.annotation_names)).collect())
    }

    /// Removed items: a JSONL line or CSV row each; none in `chat`.
    fn write_removed(&mut self, removed: &[RemovedItem]) -> Bytes {
        match self.format {
            Format::Jsonl => Bytes::from(removed.iter().map(removed_line).collect::<String>()),
            Format::Chat => Bytes::new(),
            Format::Csv => {
                self.csv_rows(removed.iter().map(|item| removed_csv_row(item, &self.annotation_names)).collect())
            }
        }
    }

    /// CSV text of `rows`, after the header if it is not out yet.
    fn csv_rows(&mut self, rows: Vec<Vec<String>>) -> Bytes {
        let mut out = csv::Writer::from_writer(Vec::new());
        // Writing to a Vec cannot fail.
        if !self.header_written {
            let _ = out.write_record(csv_header(&self.annotation_names));
            self.header_written = true;
        }
        for row in rows {
            let _ = out.write_record(row);
        }
        Bytes::from(out.into_inner().unwrap_or_default())
    }
}

/// A file name from a collection name: letters, digits, `-`, `_` and `.` kept, the rest `_`.
fn file_stem(name: &str) -> String {
    let stem: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if stem.trim_matches(['.', '_']).is_empty() { "collection".into() } else { stem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_stem("bad answers"), "bad_answers");
        assert_eq!(file_stem("a\"b\r\n"), "a_b__");
        assert_eq!(file_stem("../.."), "collection");
    }
}
