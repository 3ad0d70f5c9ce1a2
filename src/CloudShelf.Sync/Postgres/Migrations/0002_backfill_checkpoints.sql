-- Backfill progress, one row per scan segment, so that a crashed or timed-out backfill goes on
-- from its last page instead of from zero.
CREATE TABLE cloudshelf_sync.backfill_segments (
    source_table        text NOT NULL,
    total_segments      integer NOT NULL,
    segment             integer NOT NULL,
    -- DynamoDB JSON of the scan's LastEvaluatedKey: where the next page starts; NULL before the first.
    exclusive_start_key jsonb,
    pages               bigint NOT NULL DEFAULT 0,
    items_scanned       bigint NOT NULL DEFAULT 0,
    items_written       bigint NOT NULL DEFAULT 0,
    started_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    PRIMARY KEY (source_table, total_segments, segment)
);
