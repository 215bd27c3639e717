-- Calls from a guest to the team through the hub (DESK-3): the call log (who called from
-- where, who answered, when, how long, missed) and the ring time the owner sets.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    -- Where the call came from, as staff read it ("Lobby" for the lobby kiosk).
    caller_name TEXT NOT NULL,
    kiosk_id INTEGER,
    video INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    answered_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    answered_by_name TEXT,
    answered_at TEXT,
    ended_at TEXT,
    -- ringing, connected, answered, missed, abandoned, failed, interrupted
    outcome TEXT NOT NULL
);
CREATE INDEX calls_started ON calls (started_at);

CREATE TABLE call_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    ring_secs INTEGER NOT NULL
);
