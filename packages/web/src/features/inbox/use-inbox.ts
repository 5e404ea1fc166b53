import type { InboxCounts, InboxEntry, InboxQuery } from '@kurier/protocol';
import { useEffect, useState } from 'react';
import { useStore } from '../../lib/use-chat';

const REFRESH_MS = 250;

/**
 * A view of the team inbox with its counts, kept live: inbox changes and messages arrive as
 * events and trigger a (coalesced) reload. Inbox changes are not in the sync stream, so a
 * reconnect reloads too.
 */
export function useInboxView(query: InboxQuery) {
  const store = useStore();
  const [items, setItems] = useState<InboxEntry[] | null>(null);
  const [counts, setCounts] = useState<InboxCounts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(query);

  useEffect(() => {
    const { client } = store;
    const q = JSON.parse(key) as InboxQuery;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = async () => {
      try {
        const [page, c] = await Promise.all([client.inbox.view(q), client.inbox.counts()]);
        if (!live) return;
        setItems(page.items);
        setCounts(c);
        setError(null);
      } catch (err) {
        if (live) setError((err as { code?: string }).code ?? 'NETWORK');
      }
    };
    const soon = () => {
      timer ??= setTimeout(() => {
        timer = null;
        void load();
      }, REFRESH_MS);
    };
    void load();
    const offs = [
      client.on('inbox', soon),
      client.on('message', (m) => {
        if (store.state.conversations[m.conversationId]?.conversation.kind !== 'direct') soon();
      }),
      client.on('synced', soon),
    ];
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      for (const off of offs) off();
    };
  }, [store, key]);

  return { items, counts, error };
}

/** One conversation's inbox state, kept live. */
export function useInboxEntry(conversationId: string) {
  const store = useStore();
  const [entry, setEntry] = useState<InboxEntry | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const { client } = store;
    let live = true;
    const load = () =>
      client.inbox.get(conversationId).then(
        (e) => live && setEntry(e),
        (err: unknown) => live && setError((err as { code?: string }).code ?? 'NETWORK'),
      );
    void load();
    const off = client.on('inbox', (item) => {
      if (item.conversationId === conversationId) setEntry((e) => (e ? { ...e, ...item } : e));
    });
    return () => {
      live = false;
      off();
    };
  }, [store, conversationId]);
  return { entry, error };
}
