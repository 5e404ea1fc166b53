import type { Message } from '@kurier/protocol';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatListTime } from '../../lib/format';
import { conversationTitle } from '../../lib/names';
import { navigate } from '../../lib/router';
import { useChat, useStore } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { Dialog } from '../../ui/dialog';

/** Ctrl+K: chats and people match locally, message text through the server's full-text search. */
export function SearchDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<Message[]>([]);
  const needle = query.trim().toLowerCase();

  useEffect(() => {
    if (needle.length < 2) {
      setHits([]);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      store.client.search(needle).then(
        (r) => !stale && setHits(r.messages),
        () => !stale && setHits([]),
      );
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [needle, store]);

  const chats = useMemo(
    () =>
      needle
        ? Object.values(conversations)
            .map((d) => ({ id: d.conversation.id, title: conversationTitle(d, users, me?.id) }))
            .filter((c) => c.title.toLowerCase().includes(needle))
            .slice(0, 8)
        : [],
    [conversations, users, me, needle],
  );
  const people = useMemo(
    () =>
      needle
        ? Object.values(users)
            .filter((u) => u.id !== me?.id && `${u.displayName} ${u.username}`.toLowerCase().includes(needle))
            .slice(0, 8)
        : [],
    [users, me, needle],
  );

  const open = (id: string) => {
    onClose();
    navigate({ name: 'chat', id });
  };
  const startWith = async (userId: string) => {
    const detail = await store.client.createConversation({ kind: 'direct', userId });
    store.putConversation(detail);
    open(detail.conversation.id);
  };

  return (
    <Dialog title={t('search.title')} onClose={onClose} wide>
      <input
        type="search"
        className="search-input"
        placeholder={t('search.placeholder')}
        aria-label={t('search.placeholder')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
      />
      {!needle ? <p className="muted">{t('search.hint')}</p> : null}
      {needle && chats.length + people.length + hits.length === 0 ? (
        <p className="muted">{t('search.nothing', { query })}</p>
      ) : null}
      {chats.length > 0 ? (
        <section aria-label={t('search.chats')}>
          <h3>{t('search.chats')}</h3>
          <ul className="results">
            {chats.map((c) => (
              <li key={c.id}>
                <button type="button" className="person" onClick={() => open(c.id)}>
                  <Avatar id={c.id} name={c.title} size={28} />
                  <span>{c.title}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {people.length > 0 ? (
        <section aria-label={t('search.people')}>
          <h3>{t('search.people')}</h3>
          <ul className="results">
            {people.map((u) => (
              <li key={u.id}>
                <button type="button" className="person" onClick={() => void startWith(u.id)}>
                  <Avatar id={u.id} name={u.displayName} size={28} />
                  <span>{u.displayName}</span>
                  <span className="muted">@{u.username}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {hits.length > 0 ? (
        <section aria-label={t('search.messages')}>
          <h3>{t('search.messages')}</h3>
          <ul className="results">
            {hits.map((m) => {
              const detail = conversations[m.conversationId];
              return (
                <li key={m.id}>
                  <button type="button" className="message-hit" onClick={() => open(m.conversationId)}>
                    <span className="hit-head">
                      <strong>{users[m.senderId]?.displayName ?? '…'}</strong>
                      {detail ? <span className="muted"> · {conversationTitle(detail, users, me?.id)}</span> : null}
                      <time className="muted">{formatListTime(m.createdAt)}</time>
                    </span>
                    <span className="hit-text">{m.text}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
    </Dialog>
  );
}
