-- One open quarantine entry per record, however often it is delivered or replayed: a record with
-- a key and a sequence number is one entry per (table, key, sequence number); a record without
-- them (unreadable, unmappable) is one entry per distinct payload. Redeliveries count in
-- `deliveries` and `last_seen_at` instead of adding rows.
ALTER TABLE cloudshelf_sync.quarantine
    ADD COLUMN deliveries   integer NOT NULL DEFAULT 1,
    ADD COLUMN last_seen_at timestamptz,
    -- For a unique violation: the key of the row holding the contested value; when that row
    -- changes, the entry is tried again (an e-mail handed over across batches or shards).
    ADD COLUMN conflict_key text;

-- Entries that earlier deliveries duplicated: the oldest open one stays open and counts the others.
WITH ranked AS (
    SELECT quarantine_id,
           first_value(quarantine_id) OVER w AS keep,
           count(*) OVER w2 AS copies,
           row_number() OVER w AS rank
    FROM cloudshelf_sync.quarantine
    WHERE resolved_at IS NULL
    WINDOW w AS (PARTITION BY coalesce(target_table, source_table, ''), item_key, sequence_number,
                              CASE WHEN item_key IS NULL OR sequence_number IS NULL THEN md5(record::text) END
                 ORDER BY quarantine_id),
           w2 AS (PARTITION BY coalesce(target_table, source_table, ''), item_key, sequence_number,
                               CASE WHEN item_key IS NULL OR sequence_number IS NULL THEN md5(record::text) END)
), closed AS (
    UPDATE cloudshelf_sync.quarantine AS q
    SET resolved_at = now(), resolution = 'duplicate'
    FROM ranked r
    WHERE q.quarantine_id = r.quarantine_id AND r.rank > 1
)
UPDATE cloudshelf_sync.quarantine AS q
SET deliveries = r.copies
FROM ranked r
WHERE q.quarantine_id = r.quarantine_id AND r.rank = 1 AND r.copies > 1;

CREATE UNIQUE INDEX quarantine_open_record_idx
    ON cloudshelf_sync.quarantine ((coalesce(target_table, source_table, '')), item_key, sequence_number)
    WHERE resolved_at IS NULL AND item_key IS NOT NULL AND sequence_number IS NOT NULL;

CREATE UNIQUE INDEX quarantine_open_payload_idx
    ON cloudshelf_sync.quarantine (md5(record::text))
    WHERE resolved_at IS NULL AND (item_key IS NULL OR sequence_number IS NULL);

CREATE INDEX quarantine_open_conflict_idx
    ON cloudshelf_sync.quarantine (target_table, conflict_key)
    WHERE resolved_at IS NULL AND conflict_key IS NOT NULL;
