//! One module per page.

mod agreement;
mod bulk_annotate;
mod collection_page;
mod collections;
mod embed;
mod login;
mod not_found;
mod projects;
mod queue_page;
mod queue_review;
mod queues;
mod settings_api_keys;
mod settings_users;
mod settings_webhooks;
mod share;
mod span_page;
mod trace_list;
mod trace_view;

pub use agreement::AgreementPage;
pub use bulk_annotate::{CollectionBulkAnnotate, ProjectBulkAnnotate};
pub use collection_page::CollectionPage;
pub use collections::Collections;
pub use embed::EmbedFeedback;
pub use login::{Login, SetPassword};
pub use not_found::NotFound;
pub use projects::Projects;
pub use queue_page::QueuePage;
pub use queue_review::QueueReview;
pub use queues::Queues;
pub use settings_api_keys::SettingsApiKeys;
pub use settings_users::SettingsUsers;
pub use settings_webhooks::{SettingsWebhooks, WebhookPage};
pub use share::SharePage;
pub use span_page::SpanPage;
pub use trace_list::TraceList;
pub use trace_view::TraceView;
