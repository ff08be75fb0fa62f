-- Webhooks and alert rules (issue 15), with an outbox: the events of an
-- annotation change are inserted in the transaction that writes the change,
-- so an acknowledged annotation's webhook survives a crash; a background
-- deliverer sends them (at least once) and records each attempt.
-- Times are nanoseconds since the Unix epoch, like everywhere else.

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL,              -- JSON array of event types
    filter     TEXT    NOT NULL DEFAULT '{}', -- JSON object (WebhookFilter)
    secret     BLOB    NOT NULL,              -- nonce || ChaCha20-Poly1305(secret), server key
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One event (a message, in Standard Webhooks' words): its id is the
-- `webhook-id` header, the same on every attempt; the body is fixed when the
-- event is recorded.
CREATE TABLE webhook_events (
    id         INTEGER PRIMARY KEY,
    event_id   TEXT    NOT NULL UNIQUE,
    event_type TEXT    NOT NULL,
    payload    TEXT    NOT NULL,              -- JSON body sent
    created_at INTEGER NOT NULL
);

-- One event to one webhook. A deliverer claims a due row by setting
-- `claimed_until` (a lease: a crashed deliverer's claims expire); with
-- PostgreSQL the claim becomes `FOR UPDATE SKIP LOCKED`.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_rowid      INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status           TEXT    NOT NULL DEFAULT 'pending', -- pending, delivered or failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error       TEXT,
    next_attempt_at  INTEGER NOT NULL,
    give_up_at       INTEGER NOT NULL,
    claimed_until    INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_rowid);

-- "At least `threshold` matching annotations within `window_seconds` in a
-- project": one `alert` event to the webhook, then quiet for the cool-down.
CREATE TABLE alert_rules (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    project_id       INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    filter           TEXT    NOT NULL DEFAULT '{}',
    threshold        INTEGER NOT NULL,
    window_seconds   INTEGER NOT NULL,
    cooldown_seconds INTEGER NOT NULL,
    last_fired_at    INTEGER,
    created_at       INTEGER NOT NULL
);
CREATE INDEX alert_rules_webhook ON alert_rules (webhook_id);

-- The annotations that matched a rule lately (one row per annotation, at its
-- last matching write), counted against the window.
CREATE TABLE alert_hits (
    rule_id       INTEGER NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    annotation_id TEXT    NOT NULL, -- global id
    link          TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (rule_id, annotation_id)
) WITHOUT ROWID;
