import type { ClientStorage } from '@kurier/sdk';
import type { ChatState } from './store';

const KEY = 'kurier:web:snapshot';
const RECENT_CHATS = 10;
const MESSAGES_PER_CHAT = 200;
const SAVE_EVERY_MS = 3_000;

/** What survives a reload without network: enough to read recently opened chats offline. */
export type Snapshot = Pick<
  ChatState,
  'me' | 'users' | 'conversations' | 'messages' | 'hasMore' | 'previews' | 'unread' | 'prefs'
> & {
  recent: string[];
};

/** Reads the last snapshot of this user's state, if any. Never throws. */
export async function loadSnapshot(storage: ClientStorage): Promise<Snapshot | null> {
  try {
    const raw = await storage.get(KEY);
    return raw ? (JSON.parse(raw) as Snapshot) : null;
  } catch {
    return null;
  }
}

/**
 * Saves the state every few seconds while it changes: people, conversations and the newest
 * messages of the chats opened last. The outbox is the SDK's and is saved on every write.
 */
export function keepSnapshots(
  storage: ClientStorage,
  source: { subscribe(l: () => void): () => void; getSnapshot(): ChatState; recent(): string[] },
): () => void {
  let dirty = false;
  const off = source.subscribe(() => {
    dirty = true;
  });
  const timer = setInterval(() => {
    if (!dirty) return;
    dirty = false;
    const s = source.getSnapshot();
    if (!s.me) return;
    const recent = source.recent().slice(0, RECENT_CHATS);
    const snapshot: Snapshot = {
      me: s.me,
      users: s.users,
      conversations: s.conversations,
      previews: s.previews,
      unread: s.unread,
      prefs: s.prefs,
      messages: Object.fromEntries(recent.map((id) => [id, (s.messages[id] ?? []).slice(-MESSAGES_PER_CHAT)])),
      // A trimmed list has more before it, whatever the server said about the full one.
      hasMore: Object.fromEntries(
        recent.map((id) => [id, (s.messages[id]?.length ?? 0) > MESSAGES_PER_CHAT || (s.hasMore[id] ?? true)]),
      ),
      recent,
    };
    void storage.set(KEY, JSON.stringify(snapshot)).catch(() => {});
  }, SAVE_EVERY_MS);
  return () => {
    off();
    clearInterval(timer);
  };
}
