-- Signed A/B system updates (APP-7): what happened to each bundle the hub was given, and the
-- one install that waits for its reboot (its slot must then be the booted one, or the box
-- went back: a rollback).
CREATE TABLE update_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    -- installed | running | rolled_back | refused
    kind TEXT NOT NULL,
    version TEXT,
    slot TEXT,
    detail TEXT NOT NULL
);

CREATE TABLE update_pending (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    slot TEXT NOT NULL,
    bootname TEXT NOT NULL,
    version TEXT,
    from_slot TEXT,
    from_version TEXT,
    at TEXT NOT NULL
);
