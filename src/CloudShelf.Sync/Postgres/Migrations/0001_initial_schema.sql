-- Phase 2 tables (the public contract of cloudshelf-model.md) and the sync's own bookkeeping.
-- The synced tables leave 15 % of each page free: most changes are updates, and an update that
-- fits on its page is HOT (no index write, no index bloat).

CREATE SCHEMA IF NOT EXISTS cloudshelf;

CREATE TABLE cloudshelf.books (
    book_id          text PRIMARY KEY,
    title            text,
    author           text,
    isbn             text,
    price            numeric,
    stock            integer,
    categories       text[],
    description      text,
    published_date   date,
    cover_image_url  text,
    rating           numeric,
    created_at       timestamptz,
    updated_at       timestamptz,
    attributes       jsonb NOT NULL DEFAULT '{}',
    sync_sequence    numeric(40, 0) NOT NULL,
    sync_changed_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 85);

CREATE TABLE cloudshelf.users (
    user_id          text PRIMARY KEY,
    email            text,
    name             text,
    address          jsonb,
    preferences      jsonb,
    marketing_opt_in boolean,
    created_at       timestamptz,
    last_login_at    timestamptz,
    attributes       jsonb NOT NULL DEFAULT '{}',
    sync_sequence    numeric(40, 0) NOT NULL,
    sync_changed_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    -- Checked at the end of each statement, not per row, so that two users swapping e-mail
    -- addresses within one batch do not collide half-way through it.
    CONSTRAINT users_email_key UNIQUE (email) DEFERRABLE INITIALLY IMMEDIATE
) WITH (fillfactor = 85);

CREATE TABLE cloudshelf.orders (
    order_id         text PRIMARY KEY,
    user_id          text,
    status           text,
    subtotal         numeric,
    tax              numeric,
    total            numeric,
    currency         text,
    shipping_address jsonb,
    created_at       timestamptz,
    updated_at       timestamptz,
    attributes       jsonb NOT NULL DEFAULT '{}',
    sync_sequence    numeric(40, 0) NOT NULL,
    sync_changed_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 85);

CREATE INDEX orders_user_id_idx ON cloudshelf.orders (user_id);

-- The lines belong to their order (same DynamoDB item), so a cascade is safe here; there are
-- deliberately no foreign keys between books, users and orders, whose streams are independent.
CREATE TABLE cloudshelf.order_items (
    order_id   text NOT NULL REFERENCES cloudshelf.orders (order_id) ON DELETE CASCADE,
    line_no    integer NOT NULL,
    book_id    text,
    title      text,
    quantity   integer,
    unit_price numeric,
    PRIMARY KEY (order_id, line_no)
);

-- Deleted items: the sequence number of the delete, so that an older change arriving later
-- (redelivery, another shard, a backfill) cannot bring the row back.
CREATE TABLE cloudshelf_sync.tombstones (
    target_table    text NOT NULL,
    item_key        text NOT NULL,
    sequence_number numeric(40, 0) NOT NULL,
    ttl_delete      boolean NOT NULL DEFAULT false,
    changed_at      timestamptz,
    deleted_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target_table, item_key)
);

-- Records that cannot be applied as they are, with the whole record, until replayed.
CREATE TABLE cloudshelf_sync.quarantine (
    quarantine_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_table     text,
    target_table     text,
    item_key         text,
    sequence_number  text,
    event_name       text,
    reason           text NOT NULL,
    error_code       text,
    -- json, not jsonb: it keeps the record as delivered, including text jsonb rejects.
    record           json NOT NULL,
    quarantined_at   timestamptz NOT NULL DEFAULT now(),
    replay_attempts  integer NOT NULL DEFAULT 0,
    last_replayed_at timestamptz,
    resolved_at      timestamptz,
    resolution       text
);

CREATE INDEX quarantine_open_idx ON cloudshelf_sync.quarantine (quarantined_at) WHERE resolved_at IS NULL;
