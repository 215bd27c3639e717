-- Messenger channels (CLOUD-2, CLOUD-3, TEAM-3): the property's own bots, the guests who
-- write from a messenger with how far the team's messages have reached them, the staff's
-- linked messenger accounts, and each member's notification choices.

-- One row per platform the owner connected. `credentials` is JSON sealed with
-- AES-256-GCM under messengers.key (tokens and app secrets never lie in the file in clear).
CREATE TABLE messenger_bots (
    platform TEXT PRIMARY KEY,
    credentials BLOB NOT NULL,
    -- What the platform calls the bot (Telegram's @username, the Viber account's name,
    -- the WhatsApp number, the Facebook page).
    name TEXT NOT NULL DEFAULT '',
    -- What a deep link needs: the bot's username, the Viber chat URI, the WhatsApp number
    -- in E.164 digits, the page's username or id.
    link_name TEXT NOT NULL DEFAULT '',
    -- Offered in the widget's channels panel, the guest pages and the QR plates.
    offered INTEGER NOT NULL DEFAULT 1,
    -- Where the platform's webhook was last set to, and any error doing so.
    webhook_url TEXT NOT NULL DEFAULT '',
    webhook_error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

-- A guest on a platform, the chat's visitor it is, and the outbox's cursor: the id of the
-- last of the team's messages the platform took.
CREATE TABLE messenger_guests (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    address TEXT NOT NULL,
    visitor_id INTEGER NOT NULL,
    delivered_up_to INTEGER NOT NULL,
    -- The guest's last message (Meta's 24-hour window is counted from it).
    last_inbound_at TEXT NOT NULL,
    UNIQUE (platform, address)
);
CREATE INDEX messenger_guests_visitor ON messenger_guests (visitor_id);

-- A member's own messenger account, linked by a one-time code from "My account".
CREATE TABLE messenger_staff (
    user_id INTEGER NOT NULL,
    platform TEXT NOT NULL,
    address TEXT NOT NULL,
    display TEXT NOT NULL DEFAULT '',
    linked_at TEXT NOT NULL,
    PRIMARY KEY (user_id, platform)
);

-- Each member's one set of notification choices: where alerts go (one place, so nobody
-- is told twice), which events, and quiet hours in the property's zone.
CREATE TABLE notice_choices (
    user_id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    events TEXT NOT NULL,
    quiet_from TEXT NOT NULL DEFAULT '',
    quiet_to TEXT NOT NULL DEFAULT ''
);
