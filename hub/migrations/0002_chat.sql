-- Chat: visitors (guests known by a browser token), their dialogues with staff, the
-- messages of each dialogue in per-dialogue sequence, staff direct messages, shortcuts,
-- blocked addresses and the chat settings. Instants are RFC 3339 text in UTC.

CREATE TABLE visitors (
    id INTEGER PRIMARY KEY,
    -- SHA-256 of the browser's token: a copy of the file cannot impersonate a guest.
    token_hash TEXT NOT NULL UNIQUE,
    nickname TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    -- JSON array of strings: page tags, room, whatever staff add.
    tags TEXT NOT NULL DEFAULT '[]',
    visits INTEGER NOT NULL DEFAULT 0,
    ip TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    page_url TEXT NOT NULL DEFAULT '',
    page_title TEXT NOT NULL DEFAULT '',
    referrer TEXT NOT NULL DEFAULT '',
    -- JSON object of utm_* parameters of the landing page.
    utm TEXT NOT NULL DEFAULT '{}',
    language TEXT NOT NULL DEFAULT '',
    -- Set only from a server-side answer of the owner's backend (CHAT-4).
    customer_id TEXT,
    customer_details TEXT NOT NULL DEFAULT '{}',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);

-- kind 'guest': a visitor and staff; kind 'direct': two members of staff (CHAT-21).
CREATE TABLE dialogues (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'guest' CHECK (kind IN ('guest', 'direct')),
    visitor_id INTEGER REFERENCES visitors (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('new', 'unassigned', 'assigned', 'ended')),
    assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    channel TEXT NOT NULL DEFAULT 'web',
    -- The last sequence number handed out in this dialogue.
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    -- The last message of anyone; drives auto-close.
    last_activity_at TEXT NOT NULL,
    -- Set while the guest's last message has no staff answer; cleared by a staff reply.
    waiting_since TEXT,
    alerted INTEGER NOT NULL DEFAULT 0,
    first_response_at TEXT,
    ended_at TEXT,
    ended_by TEXT,
    -- Nobody from staff ever answered before it ended.
    missed INTEGER NOT NULL DEFAULT 0,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment TEXT NOT NULL DEFAULT '',
    -- The highest sequence the guest has seen (read receipts shown to staff).
    guest_read_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX dialogues_visitor ON dialogues (visitor_id, id);
CREATE INDEX dialogues_state ON dialogues (state, assignee_id);
CREATE INDEX dialogues_created ON dialogues (created_at);

-- Staff in a dialogue (joined or invited), with what each has read.
CREATE TABLE dialogue_members (
    dialogue_id INTEGER NOT NULL REFERENCES dialogues (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    read_seq INTEGER NOT NULL DEFAULT 0,
    -- Set by "mark unread": the dialogue counts as unread until opened again.
    marked_unread INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (dialogue_id, user_id)
);
CREATE INDEX dialogue_members_user ON dialogue_members (user_id);

CREATE TABLE messages (
    -- Grows in commit order: the Team Messenger's resume baseline.
    id INTEGER PRIMARY KEY,
    dialogue_id INTEGER NOT NULL REFERENCES dialogues (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('guest', 'staff', 'bot', 'system')),
    -- visitors.id for a guest, users.id for staff, 0 for the bot and the system.
    author_id INTEGER NOT NULL DEFAULT 0,
    author_name TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    -- A private note: staff only, never sent to the guest.
    private INTEGER NOT NULL DEFAULT 0,
    client_id TEXT,
    attachment_id INTEGER REFERENCES attachments (id),
    created_at TEXT NOT NULL,
    UNIQUE (dialogue_id, seq)
);
-- A resent client id finds the stored message instead of adding a second one, even when
-- the dialogue it first went to has ended since.
CREATE UNIQUE INDEX messages_client_id
    ON messages (author_kind, author_id, client_id)
    WHERE client_id IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    dialogue_id INTEGER NOT NULL REFERENCES dialogues (id) ON DELETE CASCADE,
    -- File name under <data>/attachments/, random: never the uploader's name.
    stored_name TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE shortcuts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE COLLATE NOCASE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE blocked_addresses (
    ip TEXT PRIMARY KEY,
    reason TEXT NOT NULL DEFAULT '',
    blocked_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);

-- Contact-form submissions out of hours (CHAT-9).
CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    visitor_id INTEGER REFERENCES visitors (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    page_url TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    handled_at TEXT
);

-- One row: the chat settings as JSON (typed and validated by `chat::settings`).
CREATE TABLE chat_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    -- The public key the widget's script tag carries.
    widget_key TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
