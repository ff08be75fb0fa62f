//! Webhooks on the server's side: the key that encrypts their secrets, and
//! the deliverer that sends the events the store's outbox recorded.

pub mod deliverer;
pub mod key_file;
