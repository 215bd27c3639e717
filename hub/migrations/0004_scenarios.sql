-- Issue 5: reservations (by hand, iCal feeds, a PMS webhook), the weather cache, device
-- groups, and scenarios with what the scheduler must remember across restarts: how far
-- each time trigger was handled, and deadlines still to come (delays, "for" holds).

-- The channel manager's calendar for this unit; empty when there is none.
ALTER TABLE rooms ADD COLUMN ical_url TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN ical_synced_at TEXT;
-- The last import's failure, shown beside the feed; cleared by a good import.
ALTER TABLE rooms ADD COLUMN ical_error TEXT NOT NULL DEFAULT '';

CREATE TABLE booking_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Local "HH:MM" in the property's zone; a reservation's dates become instants with them.
    check_in_time TEXT NOT NULL DEFAULT '15:00',
    check_out_time TEXT NOT NULL DEFAULT '11:00',
    -- The HMAC-SHA256 key the PMS signs its webhook bodies with; NULL until made.
    webhook_secret TEXT
);
INSERT INTO booking_settings (id) VALUES (1);

CREATE TABLE reservations (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('manual', 'ical', 'pms')),
    -- The iCal UID (per unit) or the PMS's reservation id; NULL for manual entries.
    external_id TEXT,
    guest_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    -- Dates as the guest booked them (YYYY-MM-DD; check_out is the departure day).
    check_in TEXT NOT NULL,
    check_out TEXT NOT NULL,
    -- The same as UTC instants, with the property's check-in/out times and zone.
    check_in_at TEXT NOT NULL,
    check_out_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'checked_in', 'checked_out', 'cancelled')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX reservations_ical_uid ON reservations (unit_id, external_id) WHERE source = 'ical';
CREATE UNIQUE INDEX reservations_pms_id ON reservations (external_id) WHERE source = 'pms';
CREATE INDEX reservations_by_time ON reservations (check_out_at, check_in_at);

CREATE TABLE weather_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fetched_at TEXT NOT NULL,
    -- The forecast as the hub understood it (JSON), not the raw answer.
    forecast TEXT NOT NULL
);

CREATE TABLE device_groups (
    name TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    PRIMARY KEY (name, device_id)
);

CREATE TABLE scenarios (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    enabled INTEGER NOT NULL DEFAULT 1,
    -- Triggers, conditions, actions, mode, catch-up (JSON, checked on the way in).
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Time and sun triggers: every scheduled instant up to here has been handled (run,
-- or recorded as missed). Written in the same transaction as the run it starts.
CREATE TABLE scenario_cursors (
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    trigger_index INTEGER NOT NULL,
    handled_until TEXT NOT NULL,
    PRIMARY KEY (scenario_id, trigger_index)
);

CREATE TABLE scenario_runs (
    id INTEGER PRIMARY KEY,
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    -- Why it fired, in words.
    reason TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'done', 'failed', 'skipped', 'stopped')),
    -- JSON array of steps: conditions with their verdicts, actions with results and times.
    trace TEXT NOT NULL DEFAULT '[]',
    -- What fired it (unit, reservation, device), JSON; actions may refer to it.
    context TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX scenario_runs_by_scenario ON scenario_runs (scenario_id, id);

-- Deadlines that must survive a restart: 'resume' continues a run after a delay at
-- `path`; 'hold' fires a device-state trigger once its state has held long enough.
CREATE TABLE scenario_pending (
    id INTEGER PRIMARY KEY,
    scenario_id INTEGER NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('resume', 'hold')),
    due_at TEXT NOT NULL,
    run_id INTEGER REFERENCES scenario_runs (id) ON DELETE CASCADE,
    path TEXT NOT NULL DEFAULT '[]',
    trigger_index INTEGER,
    context TEXT NOT NULL DEFAULT '{}'
);

-- What the engine last saw, to notice changes that happened while the hub was off
-- (the occupied units, as a JSON array).
CREATE TABLE scenario_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
