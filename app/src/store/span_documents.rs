//! A span's retrieved documents as document annotations address them: how
//! many each span has, for the position check of `sync=true`.

use super::db::Sql;
use std::collections::HashMap;

use super::annotation_writes::document_count;
use super::{Result, Store, push_values};

/// Span ids per statement.
const IDS_PER_STATEMENT: usize = 500;

impl Store {
    /// The number of retrieved documents (`retrieval.documents`) of each
    /// stored span among `span_ids`; unknown spans are absent.
    pub async fn span_document_counts(&self, span_ids: &[&str]) -> Result<HashMap<String, i64>> {
        let mut counts = HashMap::new();
        for chunk in span_ids.chunks(IDS_PER_STATEMENT) {
            let count = document_count(self.dialect);
            let mut query = Sql::new(format!("SELECT s.span_id, {count} FROM spans s WHERE s.span_id IN "));
            push_values(&mut query, chunk.iter().copied());
            counts.extend(query.build_query_as::<(String, i64)>(self.dialect).fetch_all(&self.pool).await?);
        }
        Ok(counts)
    }
}
