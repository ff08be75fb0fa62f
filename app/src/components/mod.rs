//! Building blocks the pages share, one module per kind of thing shown.

mod annotation_form;
mod annotations_panel;
mod attribute_tree;
mod badges;
mod example_body;
mod feedback_buttons;
mod feedback_chart;
mod flag_control;
mod form_error;
mod formatting;
mod page_swap;
mod project_filter;
mod project_head;
mod queue_add;
mod retrieved_documents;
mod shortcuts;
mod span_events;
mod span_io;
mod span_panel;
mod span_tree;
mod trace_filters;
mod user_menu;

pub use annotation_form::AnnotationForm;
pub use annotations_panel::AnnotationsPanel;
pub use attribute_tree::AttributeTree;
pub use badges::{AnnotationChips, KindBadge, StatusBadge};
pub use example_body::ExampleBody;
pub use feedback_buttons::FeedbackButtons;
pub use feedback_chart::FeedbackChart;
pub use flag_control::{CollectionNames, FlagAll, FlagControl, FlagMenu};
pub use form_error::{FormError, error_text};
pub use formatting::{format_latency, format_time, millis_between};
pub use page_swap::PageSwap;
#[cfg(feature = "hydrate")]
pub use page_swap::refresh_on_success;
pub use project_filter::ProjectFilter;
pub use project_head::{ProjectHead, ProjectTab};
pub use queue_add::{QueueAdd, QueueAddTarget};
pub use retrieved_documents::RetrievedDocuments;
pub use shortcuts::Shortcuts;
pub use span_events::SpanEvents;
pub use span_io::{ChatMessage, SpanIo, chat_messages, value_text};
pub use span_panel::SpanPanel;
pub use span_tree::SpanTree;
pub use trace_filters::TraceFilters;
pub use user_menu::UserMenu;
