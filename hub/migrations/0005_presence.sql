-- Presence is now the live Team Messenger connection (chat/presence.rs); the stored status
-- is only the person's choice, available ('online') or away. 'offline' meant "not here",
-- which the connection now tells: such members become available when they connect.
UPDATE users SET status = 'online' WHERE status = 'offline';
