-- Public links may also hide annotation explanations and notes (both opt-in,
-- so links made before keep showing what they showed).
ALTER TABLE public_links ADD COLUMN redact_explanations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE public_links ADD COLUMN redact_notes INTEGER NOT NULL DEFAULT 0;
