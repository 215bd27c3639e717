-- The foundation: the property, its rooms, the team and its sessions, the one-time set-up
-- code, and the credentials devices use on the embedded MQTT broker.
-- Instants are RFC 3339 text in UTC.

CREATE TABLE property (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    logo_url TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    latitude REAL,
    longitude REAL,
    -- JSON: [{"day":"mon","open":"08:00","close":"20:00"}, …]; a missing day is closed.
    working_hours TEXT NOT NULL DEFAULT '[]',
    out_of_hours_text TEXT NOT NULL DEFAULT '',
    unanswered_alert_minutes INTEGER NOT NULL DEFAULT 5,
    -- JSON array of BCP 47 tags, the first is the default.
    languages TEXT NOT NULL DEFAULT '["en"]',
    updated_at TEXT NOT NULL
);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'villa', 'car', 'area')),
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    nickname TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'chat_admin', 'agent')),
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    offline_notifications INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

-- Only a hash of the session token is kept: a copy of the file opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'chat_admin', 'agent')),
    invited_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Present only until the owner exists.
CREATE TABLE setup_code (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    code TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE device_credentials (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    -- SHA-256 of a generated 128-bit secret: high entropy needs no slow hash.
    secret_hash TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
