//! One annotation on every span of a selection (a trace-list filter, a span
//! filter or a collection): counted, checked and written in one writing
//! transaction, so either every selected span has it or none does.

use super::annotation_writes::UPSERT_CLAUSE;
use super::db::{Flag, Float, Sql};
use super::{Error, NewAnnotation, Result, Selection, Store};
use crate::model::{MAX_BULK_ANNOTATED, TargetKind};

impl Store {
    /// How many spans `selection` holds, counting no further than one past
    /// [`MAX_BULK_ANNOTATED`] (what the confirm step shows).
    pub async fn count_selection(&self, selection: &Selection) -> Result<i64> {
        Ok(self.selection_count(selection).await?.build_query_scalar(self.dialect).fetch_one(&self.pool).await?)
    }

    /// The query of [`Store::count_selection`].
    async fn selection_count(&self, selection: &Selection) -> Result<Sql> {
        let mut count = Sql::new("SELECT count(*) FROM (SELECT 1 FROM ");
        self.push_selection(&mut count, selection).await?;
        count.push(" LIMIT ").push_bind(MAX_BULK_ANNOTATED + 1).push(") selected");
        Ok(count)
    }

    /// Writes `annotation` (its `target_id` is unused) on every span of
    /// `selection`, replacing an annotation of the same name and identifier;
    /// returns how many spans were annotated. In one transaction: more than
    /// [`MAX_BULK_ANNOTATED`] spans is refused (422) and, for an `only_own`
    /// annotation, so is replacing anyone else's (403), before anything is
    /// written.
    pub async fn annotate_selection(&self, selection: &Selection, annotation: &NewAnnotation) -> Result<u64> {
        let mut count = self.selection_count(selection).await?;
        let mut foreign = Sql::new("SELECT EXISTS (SELECT 1 FROM span_annotations a WHERE a.name = ");
        foreign
            .push_bind(annotation.name.clone())
            .push(" AND a.identifier = ")
            .push_bind(annotation.identifier.clone());
        foreign.push(" AND NOT ");
        match (annotation.author.user_id, annotation.author.api_key_id) {
            (Some(user), _) => foreign.push("(a.user_id IS NOT DISTINCT FROM ").push_bind(user).push(")"),
            (None, Some(key)) => {
                foreign.push("(a.user_id IS NULL AND a.api_key_id IS NOT DISTINCT FROM ").push_bind(key).push(")")
            }
            // Work with no author is nobody's own.
            (None, None) => foreign.push("false"),
        };
        foreign.push(" AND a.target_rowid IN (SELECT s.id FROM ");
        self.push_selection(&mut foreign, selection).await?;
        foreign.push("))");

        let now = super::collections::now_nanos();
        let mut insert = Sql::new(
            "INSERT INTO span_annotations (project_id, target_rowid, name, label, score, explanation, metadata, \
             annotator_kind, identifier, source, user_id, api_key_id, created_at, updated_at) SELECT s.project_id, s.id, ",
        );
        let mut values = insert.separated(", ");
        values
            .push_bind(annotation.name.clone())
            .push_bind(annotation.result.label.clone())
            .push_bind(Float(annotation.result.score))
            .push_bind(annotation.result.explanation.clone())
            .push_bind(annotation.metadata.clone())
            .push_bind(annotation.annotator_kind.as_str())
            .push_bind(annotation.identifier.clone())
            .push_bind(annotation.source.as_str())
            .push_bind(annotation.author.user_id)
            .push_bind(annotation.author.api_key_id)
            .push_bind(now)
            .push_bind(now);
        insert.push(" FROM ");
        self.push_selection(&mut insert, selection).await?;
        insert.push(format!(" ORDER BY s.id {UPSERT_CLAUSE}"));

        let mut tx = self.begin_write().await?;
        let selected: i64 = count.build_query_scalar(self.dialect).fetch_one(&mut *tx).await?;
        if selected > MAX_BULK_ANNOTATED {
            return Err(Error::Invalid(format!(
                "The selection holds more than {MAX_BULK_ANNOTATED} spans; narrow it (at most \
                 {MAX_BULK_ANNOTATED} spans are annotated at once)"
            )));
        }
        if annotation.only_own && foreign.build_query_scalar::<Flag>(self.dialect).fetch_one(&mut *tx).await?.0 {
            return Err(Error::Forbidden(format!(
                "An annotation named {:?} with identifier {:?} by someone else exists on a selected span; only \
                 admins may replace it",
                annotation.name, annotation.identifier
            )));
        }
        // A row's `created_at` is this write's time only when the row is new
        // (a replaced one keeps its own): what webhooks tell apart.
        insert.push(" RETURNING id, created_at = updated_at");
        let rows: Vec<(i64, Flag)> = insert.build_query_as(self.dialect).fetch_all(&mut *tx).await?;
        let annotated = rows.len() as u64;
        if annotated > 0 && super::outbox::active(&mut tx).await? {
            let written = rows.into_iter().map(|(id, created)| (TargetKind::Span, id, created.0)).collect();
            super::outbox::record_written(&mut tx, &self.outbox, &written, now).await?;
        }
        tx.commit().await?;
        self.outbox.committed();
        Ok(annotated)
    }
}
