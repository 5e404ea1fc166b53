import type { Role, Session, User } from '@kurier/protocol';
import type { SessionRow, UserRow } from './store.js';

/** The only door from a user row to the wire: the password hash can never leak. */
export function presentUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

/** A session as its owner sees it in the device list. */
export function presentSession(row: SessionRow, currentSessionId: string): Session {
  return {
    id: row.id,
    deviceName: row.device_name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    current: row.id === currentSessionId,
  };
}
