//! Reading what the agreement figures need: one annotation name's ratings in
//! a project (spans and traces), streamed with the annotators and labels
//! interned, grouped per target in memory; then the names of the few targets
//! and annotators the answer lists. The arithmetic is in
//! [`crate::model::agreement`].

use super::db::Sql;
use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

use super::{Error, Result, Store, push_values};
use crate::model::{
    Agreement, AnnotationTarget, AnnotatorKind, Disagreement, NOTE_NAME, Rating, RatingValue, TargetKind,
    compute_agreement,
};

/// A target: span or trace, and its rowid.
type Target = (TargetKind, i64);

/// One rating as the query's JSON array holds it: target kind (0 span,
/// 1 trace), target rowid, annotation rowid, user id, identifier, annotator
/// kind, label, score. Texts borrow from the JSON unless escaped.
#[derive(Deserialize)]
struct RatingRow<'a>(
    u8,
    i64,
    i64,
    Option<i64>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    Option<f64>,
);

/// Who an annotator is, before naming: a user, or an identifier / kind text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Annotator {
    User(i64),
    Text(String),
}

/// Interns annotators and labels while rows stream by: a known one costs a
/// lookup by `&str`, no allocation.
#[derive(Default)]
struct Interner {
    users: HashMap<i64, u32>,
    texts: HashMap<String, u32>,
    annotators: Vec<Annotator>,
    labels: HashMap<String, u32>,
    label_names: Vec<String>,
}

impl Interner {
    fn annotator(&mut self, user_id: Option<i64>, identifier: &str, kind: &str) -> u32 {
        let next = self.annotators.len() as u32;
        if let Some(user) = user_id {
            return *self.users.entry(user).or_insert_with(|| {
                self.annotators.push(Annotator::User(user));
                next
            });
        }
        let text = if identifier.is_empty() { kind } else { identifier };
        if let Some(index) = self.texts.get(text) {
            return *index;
        }
        self.texts.insert(text.to_owned(), next);
        self.annotators.push(Annotator::Text(text.to_owned()));
        next
    }

    fn label(&mut self, label: &str) -> u32 {
        if let Some(index) = self.labels.get(label) {
            return *index;
        }
        let next = self.label_names.len() as u32;
        self.labels.insert(label.to_owned(), next);
        self.label_names.push(label.to_owned());
        next
    }
}

impl Store {
    /// The agreement figures of annotation `name` in `project` (global id or
    /// name; 404 when unknown), over its span and trace annotations.
    pub async fn annotation_agreement(&self, project: &str, name: &str) -> Result<Agreement> {
        let project_rowid = self.project_rowid(project).await?;
        // One JSON array of every rating, not a row each: at 100,000 ratings
        // handing rows over one by one cost five times what SQLite needs to
        // read them. `id` orders a target's ratings as written, so the last
        // one counts.
        // PostgreSQL's aggregate is NULL over no rows, SQLite's `[]`.
        let (open, close) = self
            .dialect
            .pick(("json_group_array(json_array(", "))"), ("coalesce(json_agg(json_build_array(", "))::text, '[]')"));
        let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {open}kind, target_rowid, id, user_id, identifier, annotator_kind, label, score{close} FROM (
               SELECT 0 AS kind, target_rowid, id, user_id, identifier, annotator_kind, label, score
               FROM span_annotations WHERE project_id = $1 AND name = $2
               UNION ALL
               SELECT 1, target_rowid, id, user_id, identifier, annotator_kind, label, score
               FROM trace_annotations WHERE project_id = $1 AND name = $2) ratings"
        )))
        .bind(project_rowid)
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<RatingRow> =
            serde_json::from_str(&json).map_err(|e| Error::Database(sqlx::Error::Decode(Box::new(e))))?;
        let mut interner = Interner::default();
        let mut ratings: Vec<(Target, i64, Rating)> = Vec::with_capacity(rows.len());
        for RatingRow(kind, target, id, user_id, identifier, annotator_kind, label, score) in rows {
            let kind = if kind == 0 { TargetKind::Span } else { TargetKind::Trace };
            let rating = Rating {
                annotator: interner.annotator(user_id, &identifier, &annotator_kind),
                kind: AnnotatorKind::parse(&annotator_kind).unwrap_or(AnnotatorKind::Human),
                label: label.map(|label| interner.label(&label)),
                score,
            };
            ratings.push(((kind, target), id, rating));
        }
        ratings.sort_unstable_by_key(|(target, id, _)| (target.0 as u8, target.1, *id));
        let units = ratings
            .chunk_by(|a, b| a.0 == b.0)
            .map(|unit| (unit[0].0, unit.iter().map(|(_, _, rating)| *rating).collect::<Vec<_>>()));
        let figures = compute_agreement(name, units, &interner.label_names);
        let mut agreement = figures.agreement;
        let targets = self.target_ids(figures.disagreements.iter().map(|(target, _)| *target)).await?;
        let annotators = self.annotator_names(&interner.annotators).await?;
        agreement.disagreements = figures
            .disagreements
            .into_iter()
            .filter_map(|(target, ratings)| {
                Some(Disagreement {
                    target: AnnotationTarget::new(target.0, targets.get(&target)?.clone()),
                    values: ratings
                        .iter()
                        .map(|r| RatingValue {
                            annotator: annotators[r.annotator as usize].clone(),
                            annotator_kind: r.kind,
                            label: r.label.map(|label| interner.label_names[label as usize].clone()),
                            score: r.score,
                        })
                        .collect(),
                })
            })
            .collect();
        Ok(agreement)
    }

    /// The annotation names of `project` (global id or name) that agreement
    /// can be computed for (notes are not ratings), sorted.
    pub async fn agreement_names(&self, project: &str) -> Result<Vec<String>> {
        let project_rowid = self.project_rowid(project).await?;
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT name FROM span_annotations WHERE project_id = $1 AND name <> $2
             UNION SELECT DISTINCT name FROM trace_annotations WHERE project_id = $1 AND name <> $2
             ORDER BY 1",
        )
        .bind(project_rowid)
        .bind(NOTE_NAME)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The external ids (`span_id`, `trace_id`) of a few targets.
    async fn target_ids(&self, targets: impl Iterator<Item = Target>) -> Result<HashMap<Target, String>> {
        let (spans, traces): (Vec<Target>, Vec<Target>) = targets.partition(|(kind, _)| *kind == TargetKind::Span);
        let mut found = HashMap::new();
        for (kind, list, sql) in [
            (TargetKind::Span, spans, "SELECT id, span_id FROM spans WHERE id IN "),
            (TargetKind::Trace, traces, "SELECT id, trace_id FROM traces WHERE id IN "),
        ] {
            if list.is_empty() {
                continue;
            }
            let mut query = Sql::new(sql);
            push_values(&mut query, list.iter().map(|(_, rowid)| *rowid));
            for (rowid, id) in query.build_query_as::<(i64, String)>(self.dialect).fetch_all(&self.pool).await? {
                found.insert((kind, rowid), id);
            }
        }
        Ok(found)
    }

    /// How to show each annotator: a user's email (or `user <rowid>` when
    /// the account is gone), else the identifier or kind as is.
    async fn annotator_names(&self, annotators: &[Annotator]) -> Result<Vec<String>> {
        let users: Vec<i64> =
            annotators.iter().filter_map(|a| if let Annotator::User(id) = a { Some(*id) } else { None }).collect();
        let mut emails: HashMap<i64, String> = HashMap::new();
        for chunk in users.chunks(500) {
            let mut query = Sql::new("SELECT id, email FROM users WHERE id IN ");
            push_values(&mut query, chunk.iter().copied());
            emails.extend(query.build_query_as::<(i64, String)>(self.dialect).fetch_all(&self.pool).await?);
        }
        Ok(annotators
            .iter()
            .map(|a| match a {
                Annotator::User(id) => emails.get(id).cloned().unwrap_or_else(|| format!("user {id}")),
                Annotator::Text(text) => text.clone(),
            })
            .collect())
    }
}
