//! How much one span may carry, in one place: OTLP decoding refuses a request
//! past any of these (422, nothing written). Each is far above what instrumentations send (OpenTelemetry
//! SDKs keep 128 attributes and 128 events by default) and low enough that no
//! span can make a page slow or the server's stack overflow.

/// Longest attribute key, in bytes (span, event, resource and nested keys).
pub const MAX_KEY_BYTES: usize = 1024;
/// Most dot-separated segments in one attribute key (the span page's
/// attribute tree also stops at a fixed depth, for spans stored before this).
pub const MAX_KEY_SEGMENTS: usize = 64;
/// Deepest nesting of array and key-value-list values. Stored values are
/// read back with serde_json, whose recursion limit is 128: every accepted
/// span must parse again.
pub const MAX_VALUE_DEPTH: usize = 32;
/// Most attributes in one list: a span's, an event's or a resource's.
pub const MAX_ATTRIBUTES: usize = 10_000;
/// Most events on one span.
pub const MAX_EVENTS: usize = 1_000;
