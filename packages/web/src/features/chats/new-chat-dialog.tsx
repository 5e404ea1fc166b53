import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../lib/router';
import { errorCode } from '../../lib/session';
import { useChat, useStore } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { Dialog } from '../../ui/dialog';
import { ErrorText } from '../../ui/error-text';

/** Start a direct chat with one person, or a group with a name and several. */
export function NewChatDialog({ kind, onClose }: { kind: 'direct' | 'group'; onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // People join by invitation at any time; the list must include whoever joined since login.
  useEffect(() => {
    store.refreshUsers().catch(() => {});
  }, [store]);
  const people = useMemo(
    () =>
      Object.values(users)
        .filter((u) => u.id !== me?.id)
        .filter((u) => `${u.displayName} ${u.username}`.toLowerCase().includes(filter.trim().toLowerCase()))
        .sort((a, b) => a.displayName.localeCompare(b.displayName)),
    [users, me, filter],
  );

  const create = async (input: Parameters<typeof store.client.createConversation>[0]) => {
    setBusy(true);
    setError(null);
    try {
      const detail = await store.client.createConversation(input);
      store.putConversation(detail);
      onClose();
      navigate({ name: 'chat', id: detail.conversation.id });
    } catch (err) {
      setError(errorCode(err));
      setBusy(false);
    }
  };
  const submitGroup = (e: FormEvent) => {
    e.preventDefault();
    void create({ kind: 'group', name: name.trim(), memberIds: [...picked] });
  };

  return (
    <Dialog title={kind === 'direct' ? t('chats.newChat') : t('chats.newGroup')} onClose={onClose}>
      <form className="form" onSubmit={submitGroup}>
        {kind === 'group' ? (
          <label>
            {t('chats.groupName')}
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
          </label>
        ) : null}
        <input
          type="search"
          aria-label={t('chats.pickPerson')}
          placeholder={t('chats.pickPerson')}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        {people.length === 0 ? <p className="muted">{t('chats.noPeople')}</p> : null}
        <ul className="people" aria-label={t('chats.members')}>
          {people.map((u) => (
            <li key={u.id}>
              {kind === 'direct' ? (
                <button
                  type="button"
                  className="person"
                  disabled={busy}
                  onClick={() => void create({ kind: 'direct', userId: u.id })}
                >
                  <Avatar id={u.id} name={u.displayName} size={32} />
                  <span>{u.displayName}</span>
                  <span className="muted">@{u.username}</span>
                </button>
              ) : (
                <label className="person">
                  <input
                    type="checkbox"
                    checked={picked.has(u.id)}
                    onChange={(e) => {
                      const next = new Set(picked);
                      if (e.target.checked) next.add(u.id);
                      else next.delete(u.id);
                      setPicked(next);
                    }}
                  />
                  <Avatar id={u.id} name={u.displayName} size={32} />
                  <span>{u.displayName}</span>
                  <span className="muted">@{u.username}</span>
                </label>
              )}
            </li>
          ))}
        </ul>
        <ErrorText code={error} />
        {kind === 'group' ? (
          <button type="submit" className="primary" disabled={busy || !name.trim()}>
            {t('chats.createGroup')}
          </button>
        ) : null}
      </form>
    </Dialog>
  );
}
