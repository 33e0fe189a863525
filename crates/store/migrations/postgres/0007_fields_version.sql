-- Each field's version, sealed into its value (with the blob it names): an
-- older ciphertext of the same field pasted back does not open. Existing
-- values are version 1; the kernel re-seals them under it once.
ALTER TABLE fields ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
