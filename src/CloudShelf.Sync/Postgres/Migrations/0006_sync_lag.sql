-- sync-lag reads each stream as a second consumer (its checkpoints are the rows of
-- stream_checkpoints with consumer 'sync-lag') and keeps here what it has read but not yet found in
-- PostgreSQL, so that its checkpoint can move past a change that is still in flight and the change is
-- checked again on every run until it is applied or declared lost.
CREATE TABLE cloudshelf_sync.lag_pending (
    stream_arn       text NOT NULL,
    shard_id         text NOT NULL,
    sequence_number  numeric(40, 0) NOT NULL,
    source_table     text NOT NULL,
    target_table     text NOT NULL,
    -- NULL when the record carries no usable key (stream-sync quarantines such records).
    item_key         text,
    event_name       text,
    -- ApproximateCreationDateTime: the age of the oldest row here is the table's sync lag.
    changed_at       timestamptz NOT NULL,
    -- The record as Lambda delivers it, so that a lost change can be quarantined and replayed.
    record           json NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    -- When sync-lag first saw a later change of the same shard in PostgreSQL.
    overtaken_at     timestamptz,
    PRIMARY KEY (stream_arn, shard_id, sequence_number)
);

CREATE INDEX lag_pending_table_idx ON cloudshelf_sync.lag_pending (target_table, changed_at);

-- Per shard, the highest sequence number sync-lag has found in PostgreSQL: a pending change below it
-- has been passed over by the event source mapping.
CREATE TABLE cloudshelf_sync.lag_shards (
    stream_arn       text NOT NULL,
    shard_id         text NOT NULL,
    applied_sequence numeric(40, 0) NOT NULL,
    PRIMARY KEY (stream_arn, shard_id)
);
