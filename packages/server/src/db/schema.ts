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
  contacts: ContactsTable;
  contact_tags: ContactTagsTable;
  consents: ConsentsTable;
  inboxes: InboxesTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  inbox_teams: InboxTeamsTable;
  agents: AgentsTable;
  inbox_state: InboxStateTable;
  inbox_labels: InboxLabelsTable;
  canned_replies: CannedRepliesTable;
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

/** Named monotonic counters: `change` orders every durable change (see sync/). */
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
  /**
   * The change id the message was created with (0 for messages from before migration 0009). Equal
   * to `change_id` until the message changes; in a conversation it grows with `seq`.
   */
  created_change_id: number;
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

/** A customer identity; `id` is also its `users` row (role `contact`), which writes its messages. */
export interface ContactsTable {
  id: string;
  name: string | null;
  email: string | null;
  external_id: string | null;
  /** JSON object of string attributes. */
  attributes: string;
  blocked_at: number | null;
  created_at: number;
  updated_at: number;
  /** Set when this contact was merged into another: it leaves lists, its sessions end. */
  merged_into: string | null;
}

export interface ContactTagsTable {
  contact_id: string;
  tag: string;
}

/** Append-only consent log. */
export interface ConsentsTable {
  id: string;
  contact_id: string;
  purpose: string;
  text: string;
  source: string;
  created_at: number;
}

export interface InboxesTable {
  id: string;
  name: string;
  widget_key: string;
  slug: string;
  /** Key of the identity-verification HMAC; the website holds it too, so it is kept readable. */
  identity_secret: string;
  /** JSON of the protocol's InboxSettings. */
  settings: string;
  created_at: number;
}

export interface TeamsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
}

export interface InboxTeamsTable {
  inbox_id: string;
  team_id: string;
}

/** Routing state of one agent. */
export interface AgentsTable {
  user_id: string;
  capacity: number;
  last_assigned_at: number | null;
}

/** The inbox state of one customer conversation. */
export interface InboxStateTable {
  conversation_id: string;
  inbox_id: string;
  contact_id: string;
  status: string;
  assignee_id: string | null;
  team_id: string | null;
  snoozed_until: number | null;
  waiting_since: number | null;
  first_response_at: number | null;
  resolved_at: number | null;
  created_at: number;
  last_activity_at: number;
  change_id: number;
  csat_score: number | null;
  csat_comment: string | null;
}

export interface InboxLabelsTable {
  conversation_id: string;
  label: string;
}

export interface CannedRepliesTable {
  id: string;
  shortcut: string;
  text: string;
  created_by: string;
  created_at: number;
}
