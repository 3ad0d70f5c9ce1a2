-- What stream-sync did with each batch, one row per (batch, table): the error rate over a window
-- (failed + quarantined over applied + failed + quarantined) is a sum over these rows, which
-- `cloudshelf-sync cutover-check` reads. stream-sync prunes rows older than two days itself.
CREATE TABLE cloudshelf_sync.batch_stats (
    finished_at   timestamptz NOT NULL,
    -- The PostgreSQL table, or the DynamoDB table of records that are not synced (skipped).
    target_table  text NOT NULL,
    records       integer NOT NULL,
    -- Superseded records (an equal or newer change was already there) count as applied.
    applied       integer NOT NULL,
    skipped       integer NOT NULL,
    quarantined   integer NOT NULL,
    failed        integer NOT NULL
);

CREATE INDEX batch_stats_finished_idx ON cloudshelf_sync.batch_stats (finished_at);
