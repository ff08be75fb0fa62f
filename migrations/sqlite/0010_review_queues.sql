-- Review queues (issue 14): spans and traces handed to reviewers, each item
-- reviewed by `reviewers_per_item` people, with no two reviewers holding the
-- same slot (reservations). Times are nanoseconds since the Unix epoch.
--
-- A reviewer is named by a text key: `user:<rowid>` for a user, `key:<rowid>`
-- for a service key, `local` with auth off (see model/queues.rs); `user_id`
-- repeats the user so that deleting the user deletes their queue state.

CREATE TABLE annotation_queues (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    instructions        TEXT    NOT NULL DEFAULT '', -- Markdown
    reviewers_per_item  INTEGER NOT NULL DEFAULT 1 CHECK (reviewers_per_item BETWEEN 1 AND 100),
    reservation_seconds INTEGER NOT NULL DEFAULT 600 CHECK (reservation_seconds BETWEEN 1 AND 604800),
    project_id          INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    user_id             INTEGER,
    api_key_id          INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

-- The annotation configs a reviewer fills, in order.
CREATE TABLE annotation_queue_configs (
    queue_id             INTEGER NOT NULL REFERENCES annotation_queues (id) ON DELETE CASCADE,
    annotation_config_id INTEGER NOT NULL REFERENCES annotation_configs (id) ON DELETE CASCADE,
    position             INTEGER NOT NULL,
    PRIMARY KEY (queue_id, annotation_config_id)
);

-- Who may work the queue; none listed = everyone who may annotate.
CREATE TABLE annotation_queue_reviewers (
    queue_id INTEGER NOT NULL REFERENCES annotation_queues (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, user_id)
);

-- A span or a trace, in a queue at most once however often it is added.
-- `done` counts completed reviews; `complete` = done >= reviewers_per_item,
-- so that `next` walks only the items still open.
CREATE TABLE annotation_queue_items (
    id          INTEGER PRIMARY KEY,
    queue_id    INTEGER NOT NULL REFERENCES annotation_queues (id) ON DELETE CASCADE,
    span_rowid  INTEGER REFERENCES spans (id) ON DELETE CASCADE,
    trace_rowid INTEGER REFERENCES traces (id) ON DELETE CASCADE,
    done        INTEGER NOT NULL DEFAULT 0,
    complete    INTEGER NOT NULL DEFAULT 0,
    added_at    INTEGER NOT NULL,
    CHECK ((span_rowid IS NULL) <> (trace_rowid IS NULL)),
    UNIQUE (queue_id, span_rowid),
    UNIQUE (queue_id, trace_rowid)
);
CREATE INDEX annotation_queue_items_open ON annotation_queue_items (queue_id, complete, id);
CREATE INDEX annotation_queue_items_trace ON annotation_queue_items (trace_rowid);
CREATE INDEX annotation_queue_items_span ON annotation_queue_items (span_rowid);

-- A reviewer's hold on an item until `reserved_until`; expired ones are
-- ignored and cleared by the next `next` of the queue.
CREATE TABLE annotation_queue_reservations (
    item_id        INTEGER NOT NULL REFERENCES annotation_queue_items (id) ON DELETE CASCADE,
    reviewer       TEXT    NOT NULL,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    reserved_until INTEGER NOT NULL,
    PRIMARY KEY (item_id, reviewer)
);
CREATE INDEX annotation_queue_reservations_reviewer ON annotation_queue_reservations (reviewer, reserved_until);

-- Reviews done: one per item and reviewer.
CREATE TABLE annotation_queue_reviews (
    item_id  INTEGER NOT NULL REFERENCES annotation_queue_items (id) ON DELETE CASCADE,
    reviewer TEXT    NOT NULL,
    user_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
    done_at  INTEGER NOT NULL,
    PRIMARY KEY (item_id, reviewer)
);
CREATE INDEX annotation_queue_reviews_reviewer ON annotation_queue_reviews (reviewer, done_at);

-- Items a reviewer skipped: offered to them again only after the others.
CREATE TABLE annotation_queue_skips (
    item_id    INTEGER NOT NULL REFERENCES annotation_queue_items (id) ON DELETE CASCADE,
    reviewer   TEXT    NOT NULL,
    skipped_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, reviewer)
);
