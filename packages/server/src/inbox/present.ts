import {
  type CannedReply,
  type Inbox,
  type InboxAdmin,
  type InboxItem,
  InboxSettings,
  type InboxStatus,
  type Team,
} from '@kurier/protocol';
import type { ContactRow } from '../contacts/store.js';
import type { CannedRow, InboxRow, StateRow, TeamRow } from './store.js';

/** Stored settings with defaults filled in for fields added since they were saved. */
export function settingsOf(row: InboxRow): InboxSettings {
  return InboxSettings.parse(JSON.parse(row.settings));
}

/** An inbox as agents see it; without the identity secret. */
export function presentInbox(row: InboxRow, teamIds: readonly string[]): Inbox {
  return {
    id: row.id,
    name: row.name,
    widgetKey: row.widget_key,
    slug: row.slug,
    teamIds: [...teamIds],
    settings: settingsOf(row),
    createdAt: row.created_at,
  };
}

/** An inbox as admins see it. */
export function presentInboxAdmin(row: InboxRow, teamIds: readonly string[]): InboxAdmin {
  return { ...presentInbox(row, teamIds), identitySecret: row.identity_secret };
}

export function presentTeam(row: TeamRow, memberIds: readonly string[]): Team {
  return { id: row.id, name: row.name, memberIds: [...memberIds], createdAt: row.created_at };
}

/** The inbox state of one conversation, with its contact's name and e-mail and its labels. */
export function presentItem(row: StateRow, contact: ContactRow | undefined, labels: readonly string[]): InboxItem {
  return {
    conversationId: row.conversation_id,
    inboxId: row.inbox_id,
    contact: { id: row.contact_id, name: contact?.name ?? null, email: contact?.email ?? null },
    status: row.status as InboxStatus,
    assigneeId: row.assignee_id,
    teamId: row.team_id,
    labels: [...labels],
    snoozedUntil: row.snoozed_until,
    waitingSince: row.waiting_since,
    firstResponseAt: row.first_response_at,
    resolvedAt: row.resolved_at,
    createdAt: row.created_at,
    lastActivityAt: row.last_activity_at,
    csatScore: row.csat_score,
    csatComment: row.csat_comment,
    changeId: row.change_id,
  };
}

export function presentCanned(row: CannedRow): CannedReply {
  return { id: row.id, shortcut: row.shortcut, text: row.text, createdAt: row.created_at };
}
