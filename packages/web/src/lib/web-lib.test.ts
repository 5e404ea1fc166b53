import { type ChatPrefs, type ConversationDetail, type Member, type Message, MUTED_FOREVER } from '@kurier/protocol';
import { describe, expect, it } from 'vitest';
import { tickOf } from '../features/conversation/receipts';
import { linkify } from './linkify';
import { de } from './locales/de';
import { en } from './locales/en';
import { mentions } from './mentions';
import { attentionCount, isMuted, orderedConversations } from './order';
import { mergeMessages } from './store';
import { countsAsUnread, hasUnread } from './unread';

const message = (seq: number, changeId = seq, text = `m${seq}`): Message => ({
  id: `m_${seq}`,
  conversationId: 'c_1',
  seq,
  senderId: 'u_a',
  clientMsgId: null,
  type: 'text',
  text,
  system: null,
  replyToId: null,
  createdAt: seq,
  editedAt: null,
  deletedAt: null,
  reactions: [],
  changeId,
  media: null,
});

const member = (userId: string, delivered: number, read: number): Member => ({
  conversationId: 'c_1',
  userId,
  role: 'member',
  joinedAt: 0,
  leftAt: null,
  deliveredSeq: delivered,
  readSeq: read,
  changeId: 0,
});

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('web app logic', () => {
  it('I12: a note mentions a colleague by @username as a word of its own, in any case', () => {
    expect(mentions('@ana bitte prüfen', 'ana')).toBe(true);
    expect(mentions('Kannst du, @Ana, kurz schauen?', 'ana')).toBe(true);
    expect(mentions('@anatol übernimmt', 'ana')).toBe(false);
    expect(mentions('mail an ana@example.com', 'ana')).toBe(false);
    expect(mentions('@a.b ist da', 'a.b')).toBe(true);
    expect(mentions('@axb ist da', 'a.b')).toBe(false);
    expect(mentions(null, 'ana')).toBe(false);
  });

  it('I13: customer conversations stay out of the chat list', () => {
    const customer = {
      conversation: {
        id: 'c1',
        kind: 'customer',
        name: null,
        createdBy: 'k_1',
        createdAt: 1,
        lastSeq: 1,
        lastMessageAt: 5,
        changeId: 1,
      },
      members: [],
    } as ConversationDetail;
    const direct = {
      ...customer,
      conversation: { ...customer.conversation, id: 'c2', kind: 'direct' },
    } as ConversationDetail;
    expect(orderedConversations({ c1: customer, c2: direct }).map((c) => c.conversation.id)).toEqual(['c2']);
  });

  it('W7: German and English have exactly the same keys, none empty', () => {
    expect(keys(de).sort()).toEqual(keys(en).sort());
    const empty = (obj: object) =>
      keys(obj).filter((k) => !k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], obj));
    expect(empty(de)).toEqual([]);
    expect(empty(en)).toEqual([]);
  });

  it('W8: links are http(s) only, trailing punctuation stays text, nothing else is markup', () => {
    expect(linkify('siehe https://example.com/a?b=1. Danke')).toEqual([
      { kind: 'text', text: 'siehe ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: '. Danke' },
    ]);
    expect(linkify('javascript:alert(1) <a href="x">')).toEqual([
      { kind: 'text', text: 'javascript:alert(1) <a href="x">' },
    ]);
    expect(linkify('(http://intranet/wiki)').map((p) => p.kind)).toEqual(['text', 'link', 'text']);
  });

  it('W9: live events and history pages merge by id in seq order; an older state never wins', () => {
    const merged = mergeMessages([message(2), message(4)], [message(3), message(1), message(4, 1, 'stale')]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(merged[3]?.text).toBe('m4');
    expect(mergeMessages([message(5), message(6)], [message(4), message(3)]).map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(mergeMessages([message(5), message(6)], [message(8), message(7)]).map((m) => m.seq)).toEqual([5, 6, 7, 8]);
    expect(mergeMessages([], [message(2), message(1)]).map((m) => m.seq)).toEqual([1, 2]);
    const edited = mergeMessages(merged, [message(2, 9, 'edited')]);
    expect(edited.find((m) => m.seq === 2)?.text).toBe('edited');
  });

  it('W10: ticks: sent, delivered when every other member has it, read when every one read it', () => {
    const detail = (members: Member[]): ConversationDetail => ({
      conversation: {
        id: 'c_1',
        kind: 'group',
        name: 'G',
        createdBy: 'u_a',
        createdAt: 0,
        lastSeq: 5,
        lastMessageAt: 5,
        changeId: 0,
      },
      members,
    });
    const me = member('u_a', 5, 5);
    expect(tickOf(5, detail([me, member('u_b', 4, 4), member('u_c', 5, 5)]), 'u_a')).toBe('sent');
    expect(tickOf(5, detail([me, member('u_b', 5, 4), member('u_c', 5, 5)]), 'u_a')).toBe('delivered');
    expect(tickOf(5, detail([me, member('u_b', 5, 5), member('u_c', 5, 5)]), 'u_a')).toBe('read');
    expect(tickOf(5, detail([me, { ...member('u_b', 0, 0), leftAt: 3 }]), 'u_a')).toBe('sent');
  });

  it('W18: pinned chats lead (latest pin first), archived ones leave the list, muted ones draw no attention', () => {
    const chat = (id: string, lastMessageAt: number): ConversationDetail => ({
      conversation: {
        id,
        kind: 'direct',
        name: null,
        createdBy: 'u_a',
        createdAt: 0,
        lastSeq: 1,
        lastMessageAt,
        changeId: 0,
      },
      members: [],
    });
    const prefs = (conversationId: string, p: Partial<ChatPrefs>): ChatPrefs => ({
      conversationId,
      pinnedAt: null,
      mutedUntil: null,
      archivedAt: null,
      changeId: 1,
      ...p,
    });
    const chats = Object.fromEntries(
      [chat('old', 1), chat('new', 9), chat('pinnedEarly', 2), chat('pinnedLate', 3), chat('shelved', 10)].map((c) => [
        c.conversation.id,
        c,
      ]),
    );
    const all = {
      pinnedEarly: prefs('pinnedEarly', { pinnedAt: 100 }),
      pinnedLate: prefs('pinnedLate', { pinnedAt: 200 }),
      shelved: prefs('shelved', { archivedAt: 50 }),
      new: prefs('new', { mutedUntil: MUTED_FOREVER }),
      old: prefs('old', { mutedUntil: 1_000 }),
    };
    const ids = (list: ConversationDetail[]) => list.map((c) => c.conversation.id);
    expect(ids(orderedConversations(chats, all))).toEqual(['pinnedLate', 'pinnedEarly', 'new', 'old']);
    expect(ids(orderedConversations(chats, all, { archived: true }))).toEqual(['shelved']);
    expect(ids(orderedConversations(chats))).toEqual(['shelved', 'new', 'pinnedLate', 'pinnedEarly', 'old']);
    // A mute that ran out is no mute.
    expect(isMuted(all.old, 2_000)).toBe(false);
    expect(isMuted(all.new, 2_000)).toBe(true);
    const unread = { old: 1, new: 2, shelved: 4, pinnedLate: 8 };
    expect(attentionCount(unread, all, 2_000)).toBe(1 + 8);
  });

  it('W21: my own messages after my read watermark are not unread; unloaded seqs after it might be', () => {
    const from = (seq: number, senderId: string, extra: Partial<Message> = {}): Message => ({
      ...message(seq),
      senderId,
      ...extra,
    });
    const mine = [from(1, 'u_b'), from(2, 'u_me'), from(3, 'u_me')];
    // Read up to Ben's message; everything after it is mine.
    expect(hasUnread(mine, { readSeq: 1, lastSeq: 3, me: 'u_me' })).toBe(false);
    // A system line or a deleted message after the watermark is not unread either.
    const quiet = [...mine, from(4, 'u_b', { type: 'system' }), from(5, 'u_b', { deletedAt: 5 })];
    expect(hasUnread(quiet, { readSeq: 1, lastSeq: 5, me: 'u_me' })).toBe(false);
    expect(hasUnread([...quiet, from(6, 'u_b')], { readSeq: 1, lastSeq: 6, me: 'u_me' })).toBe(true);
    // Not loaded: the newest (lastSeq ahead of the history), a gap, or the seqs below the history.
    expect(hasUnread(mine, { readSeq: 1, lastSeq: 4, me: 'u_me' })).toBe(true);
    expect(hasUnread([from(1, 'u_b'), from(3, 'u_me')], { readSeq: 1, lastSeq: 3, me: 'u_me' })).toBe(true);
    expect(hasUnread([from(3, 'u_me')], { readSeq: 1, lastSeq: 3, me: 'u_me' })).toBe(true);
    expect(hasUnread([], { readSeq: 1, lastSeq: 3, me: 'u_me' })).toBe(true);
    // A gap before the watermark does not matter; everything read, nothing unread.
    expect(hasUnread([from(1, 'u_b'), from(5, 'u_me')], { readSeq: 4, lastSeq: 5, me: 'u_me' })).toBe(false);
    expect(hasUnread(mine, { readSeq: 3, lastSeq: 3, me: 'u_me' })).toBe(false);
    expect(countsAsUnread(from(1, 'u_me'), 'u_me')).toBe(false);
    expect(countsAsUnread(from(1, 'u_b'), 'u_me')).toBe(true);
  });
});
