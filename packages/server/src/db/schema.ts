import type { Generated } from 'kysely';

/** Database tables, shared by SQLite and PostgreSQL. Times are epoch milliseconds. */
export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  invites: InvitesTable;
  counters: CountersTable;
  conversations: ConversationsTable;
  members: MembersTable;
  messages: MessagesTable;
  reactions: ReactionsTable;
  media: MediaTable;
  secrets: SecretsTable;
  chat_prefs: ChatPrefsTable;
}

export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  created_at: number;
  last_seen_at: number | null;
  disabled_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  device_name: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface InvitesTable {
  id: string;
  token_hash: string;
  role: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: string | null;
}

/**
 * Named monotonic counters: `change` orders every durable change (see sync/); `fts` (SQLite) is
 * the highest message key in the full-text index (see messages/search-index.ts).
 */
export interface CountersTable {
  name: string;
  value: number;
}

export interface ConversationsTable {
  id: string;
  kind: string;
  name: string | null;
  /** `userA:userB` sorted, only for direct chats: makes "one direct chat per pair" a constraint. */
  direct_key: string | null;
  created_by: string;
  created_at: number;
  last_seq: number;
  last_message_at: number | null;
  change_id: number;
}

export interface MembersTable {
  conversation_id: string;
  user_id: string;
  role: string;
  joined_at: number;
  left_at: number | null;
  delivered_seq: number;
  read_seq: number;
  change_id: number;
}

export interface MessagesTable {
  /** Internal integer key (FTS rowid); never on the wire. */
  pk: Generated<number>;
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string | null;
  type: string;
  text: string | null;
  /** JSON of a protocol SystemEvent for system messages. */
  system: string | null;
  reply_to_id: string | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  change_id: number;
  /** The attached media of a `file` message. */
  media_id: string | null;
}

export interface ReactionsTable {
  message_id: string;
  user_id: string;
  emoji: string;
  created_at: number;
}

/** One upload. Blobs are content-addressed, so several rows may share `sha256`. */
export interface MediaTable {
  id: string;
  sha256: string;
  /** Sniffed from the bytes, never taken from the client. */
  mime: string;
  size: number;
  /** The original file name, cleaned of paths and control characters. */
  name: string;
  uploader_id: string;
  created_at: number;
  width: number | null;
  height: number | null;
  page_count: number | null;
  /** SHA-256 of the WebP thumbnail blob (images only). */
  thumbnail_key: string | null;
}

/** Server-side secrets, e.g. `media-links`: the HMAC key of signed media URLs. */
export interface SecretsTable {
  name: string;
  value: string;
}

/** One user's pin, mute and archive state of one conversation (private to that user). */
export interface ChatPrefsTable {
  user_id: string;
  conversation_id: string;
  pinned_at: number | null;
  muted_until: number | null;
  archived_at: number | null;
  change_id: number;
}
