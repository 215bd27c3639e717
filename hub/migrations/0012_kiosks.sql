-- The Remote Front Desk (DESK-1…5): lobby tablets an admin paired with a one-time code,
-- each holding a credential of its own (stored hashed); revoking one deletes its row.
CREATE TABLE kiosks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    paired_at TEXT NOT NULL,
    last_seen_at TEXT
);
