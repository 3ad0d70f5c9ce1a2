-- Drift detection: one row per run, one per (run, table) with its counts, the findings key by key,
-- and the state of each table's current pass (a full comparison that may span many runs).

CREATE TABLE cloudshelf_sync.drift_runs (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode            text NOT NULL CHECK (mode IN ('full', 'sample')),
    sample_fraction numeric,
    repair          boolean NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    -- completed: ran to its end or its budget; failed: stopped by an error (see error).
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    error           text
);

-- A pass compares every segment of a table's scan, then looks for extra rows; it continues across
-- runs until complete. Only one pass per table is open at a time.
CREATE TABLE cloudshelf_sync.drift_passes (
    pass_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_table      text NOT NULL,
    total_segments    integer NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT now(),
    -- Extras are looked for in key order; the last key done (NULL before the first page).
    extras_after_key  text,
    extras_done       boolean NOT NULL DEFAULT false,
    items_compared    bigint NOT NULL DEFAULT 0,
    drift_found       bigint NOT NULL DEFAULT 0,
    completed_at      timestamptz
);

CREATE UNIQUE INDEX drift_passes_open_idx ON cloudshelf_sync.drift_passes (target_table) WHERE completed_at IS NULL;

CREATE TABLE cloudshelf_sync.drift_segments (
    pass_id             bigint NOT NULL REFERENCES cloudshelf_sync.drift_passes (pass_id) ON DELETE CASCADE,
    segment             integer NOT NULL,
    -- DynamoDB JSON of the scan's LastEvaluatedKey: where the next page starts; NULL before the first.
    exclusive_start_key jsonb,
    items_compared      bigint NOT NULL DEFAULT 0,
    completed_at        timestamptz,
    PRIMARY KEY (pass_id, segment)
);

-- Keys the scan of an open pass has seen, so that extras are found by an anti-join in PostgreSQL
-- rather than by holding every key in memory or probing every row in DynamoDB. Emptied when the
-- pass completes; unlogged because a crash only costs the pass a restart of its extras phase.
CREATE UNLOGGED TABLE cloudshelf_sync.drift_seen_keys (
    pass_id  bigint NOT NULL,
    item_key text NOT NULL,
    PRIMARY KEY (pass_id, item_key)
);

CREATE TABLE cloudshelf_sync.drift_run_tables (
    run_id          bigint NOT NULL REFERENCES cloudshelf_sync.drift_runs (run_id) ON DELETE CASCADE,
    target_table    text NOT NULL,
    pass_id         bigint,
    items_compared  bigint NOT NULL DEFAULT 0,
    missing         integer NOT NULL DEFAULT 0,
    extra           integer NOT NULL DEFAULT 0,
    changed         integer NOT NULL DEFAULT 0,
    in_flight       integer NOT NULL DEFAULT 0,
    repaired        integer NOT NULL DEFAULT 0,
    -- Fraction of the table compared: of the pass's segments (full) or of the table (sample).
    coverage        numeric NOT NULL DEFAULT 0,
    -- The pass this run worked on was completed by it: every segment and the extras are compared.
    full_coverage   boolean NOT NULL DEFAULT false,
    -- Unresolved drift findings of the table when the run ended (what DataDriftCount reports).
    open_drift      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, target_table)
);

-- One open finding per (table, key); never values, only the names of the attributes that differ.
CREATE TABLE cloudshelf_sync.drift_findings (
    finding_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES cloudshelf_sync.drift_runs (run_id) ON DELETE CASCADE,
    target_table  text NOT NULL,
    item_key      text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('missing', 'extra', 'changed')),
    attributes    text[] NOT NULL DEFAULT '{}',
    -- The key changed while it was compared (or has a stream change not yet applied): not drift.
    in_flight     boolean NOT NULL DEFAULT false,
    detected_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_run bigint NOT NULL,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    -- repaired, equal (a later comparison found both sides equal), not-seen (a later full pass did not see it).
    resolution    text
);

CREATE UNIQUE INDEX drift_findings_open_idx ON cloudshelf_sync.drift_findings (target_table, item_key) WHERE resolved_at IS NULL;
CREATE INDEX drift_findings_run_idx ON cloudshelf_sync.drift_findings (run_id);
