-- Where each consumer of a DynamoDB stream has got to, per shard: the local event source mapping
-- (`cloudshelf-sync stream run`) and, later, sync-lag reading as a second consumer. A run continues
-- after the last sequence number recorded here.
CREATE TABLE cloudshelf_sync.stream_checkpoints (
    consumer         text NOT NULL,
    stream_arn       text NOT NULL,
    shard_id         text NOT NULL,
    -- The last record handled (applied, or passed to the on-failure destination), as the stream spells
    -- it (GetShardIterator wants it back verbatim, leading zeros included); NULL before the first.
    sequence_number  text CHECK (sequence_number ~ '^[0-9]{1,40}$'),
    -- The shard was closed and read to its end: its children may be read.
    finished         boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_arn, shard_id)
);
