-- The drift detector asks the stream audit, for the keys of each page it finds different, whether
-- sync-lag has read a change of theirs that PostgreSQL does not hold yet (such a difference is in
-- flight, not drift): a lookup by table and key.
CREATE INDEX lag_pending_key_idx ON cloudshelf_sync.lag_pending (target_table, item_key);
