-- QR plates and stickers (GUEST-7): the owner's one plate design as JSON (format, texts,
-- colours, the logo as a data URL of at most 200 KB).
CREATE TABLE plate_design (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    design TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
