//! A trace's spans as an indented tree with a timing waterfall.

use std::collections::HashMap;

use leptos::prelude::*;

use super::formatting::{format_latency, millis_between};
use super::{KindBadge, StatusBadge};
use crate::model::TraceSpan;

/// The spans in tree order (depth first, children by start time) with their
/// depth. Spans whose parent is not in the trace count as roots.
pub fn tree_order(spans: &[TraceSpan]) -> Vec<(usize, &TraceSpan)> {
    let known: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&TraceSpan>> = HashMap::new();
    for span in spans {
        let parent = span.parent_id.as_deref().filter(|p| known.contains(p));
        children.entry(parent).or_default().push(span);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.start_time.cmp(&b.start_time).then_with(|| a.span_id.cmp(&b.span_id)));
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, &TraceSpan)> =
        children.get(&None).into_iter().flatten().rev().map(|span| (0, *span)).collect();
    while let Some((depth, span)) = stack.pop() {
        out.push((depth, span));
        if let Some(kids) = children.get(&Some(span.span_id.as_str())) {
            stack.extend(kids.iter().rev().map(|kid| (depth + 1, *kid)));
        }
    }
    out
}

/// The tree; each row links to `?span=<id>` (swapped in place with
/// JavaScript on) and the selected one is marked.
#[component]
pub fn SpanTree(spans: Vec<TraceSpan>, selected: String) -> impl IntoView {
    let start = spans.iter().map(|s| s.start_time).min();
    let end = spans.iter().map(|s| s.end_time).max();
    let total = match (start, end) {
        (Some(start), Some(end)) => millis_between(start, end).max(0.001),
        _ => 1.0,
    };
    let rows: Vec<_> = tree_order(&spans)
        .into_iter()
        .enumerate()
        .map(|(index, (depth, span))| {
            let offset = start.map(|start| millis_between(start, span.start_time)).unwrap_or_default();
            let duration = millis_between(span.start_time, span.end_time);
            let left = (offset / total * 100.0).clamp(0.0, 100.0);
            let width = (duration / total * 100.0).clamp(0.3, 100.0 - left);
            let bar = format!("left:{left:.2}%;width:{width:.2}%");
            let indent = format!("padding-left:{}rem", depth as f64 * 1.1);
            let is_selected = selected == span.span_id;
            view! {
                <li class="tree-row" class:selected=is_selected data-nav=index data-span=span.span_id.clone()>
                    <a class="tree-link" href=format!("?span={}", span.span_id) data-open="" data-swap="">
                        <span class="tree-label" style=indent>
                            <StatusBadge status=span.status_code.clone() />
                            <KindBadge kind=span.span_kind.clone() />
                            <span class="tree-name">{span.name.clone()}</span>
                        </span>
                        <span class="waterfall" aria-hidden="true">
                            <span class=format!("bar bar-{}", span.span_kind.to_lowercase()) style=bar></span>
                        </span>
                        <span class="tree-duration">{format_latency(duration)}</span>
                    </a>
                </li>
            }
        })
        .collect();
    view! { <ol class="span-tree" aria-label="Spans">{rows}</ol> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_nanos;

    fn span(id: &str, parent: Option<&str>, start: i64) -> TraceSpan {
        TraceSpan {
            id: crate::ids::SpanRowid(0),
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            name: id.into(),
            span_kind: "LLM".into(),
            status_code: "OK".into(),
            start_time: from_nanos(start),
            end_time: from_nanos(start + 10),
        }
    }

    #[test]
    fn orders_depth_first_by_start_time() {
        let spans = vec![
            span("c2", Some("root"), 5),
            span("root", None, 0),
            span("c1", Some("root"), 1),
            span("g1", Some("c1"), 2),
            span("orphan", Some("missing"), 3),
        ];
        let order: Vec<(usize, &str)> = tree_order(&spans).into_iter().map(|(d, s)| (d, s.span_id.as_str())).collect();
        assert_eq!(order, [(0, "root"), (1, "c1"), (2, "g1"), (1, "c2"), (0, "orphan")]);
    }
}
