-- The Online Reception (GUEST-1…9): each unit's guest page by its slug, the page's
-- design (one JSON row, the owner's blocks and texts), and the guest services directory.
CREATE TABLE guest_pages (
    room_id INTEGER PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    -- The page's address, /r/<slug>: unique, editable by the owner.
    slug TEXT NOT NULL UNIQUE
);
CREATE TABLE reception_design (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    design TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    -- JSON: category, names and notes per language, address, phone, website, position.
    place TEXT NOT NULL,
    -- The owner's order within the directory.
    position INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
