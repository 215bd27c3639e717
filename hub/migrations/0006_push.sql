-- Web Push (RFC 8030): the hub's VAPID key (RFC 8292) and the staff's subscriptions, one per
-- browser or installed app that asked for notifications.
CREATE TABLE push_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The P-256 private scalar, 32 bytes.
    private_key BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The push service's URL for this browser (PushSubscription.endpoint).
    endpoint TEXT NOT NULL UNIQUE,
    -- The browser's P-256 public key (65 bytes, uncompressed) and auth secret (16 bytes),
    -- base64url as the browser gives them (RFC 8291).
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);
