-- Public links may also hide annotation explanations and notes (both opt-in,
-- so links made before keep showing what they showed). As SQLite: 0/1
-- BIGINT flags, not BOOLEAN, so that both engines hold the same values.
ALTER TABLE public_links ADD COLUMN redact_explanations BIGINT NOT NULL DEFAULT 0;
ALTER TABLE public_links ADD COLUMN redact_notes BIGINT NOT NULL DEFAULT 0;
