import type { ConversationDetail } from '@kurier/protocol';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../lib/router';
import { errorCode } from '../../lib/session';
import { useChat, useStore } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { Dialog } from '../../ui/dialog';
import { ErrorText } from '../../ui/error-text';

/** Members and roles; admins rename, add, remove and promote; everyone can leave. */
export function GroupInfo({ detail, onClose }: { detail: ConversationDetail; onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const [name, setName] = useState(detail.conversation.name ?? '');
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = detail.conversation.id;
  const active = detail.members.filter((m) => m.leftAt === null);
  const amAdmin = active.some((m) => m.userId === me && m.role === 'admin');
  const candidates = Object.values(users).filter((u) => !active.some((m) => m.userId === u.id));

  const run = async (work: () => Promise<ConversationDetail | unknown>) => {
    setError(null);
    try {
      const result = await work();
      if (result && typeof result === 'object' && 'conversation' in result)
        store.putConversation(result as ConversationDetail);
    } catch (err) {
      setError(errorCode(err));
    }
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && name.trim() !== detail.conversation.name) void run(() => store.client.rename(id, name.trim()));
  };

  return (
    <Dialog title={t('group.info')} onClose={onClose}>
      {amAdmin ? (
        <form className="inline-form" onSubmit={rename}>
          <input
            aria-label={t('chats.groupName')}
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={100}
            required
          />
          <button type="submit">{t('group.rename')}</button>
        </form>
      ) : (
        <h3>{detail.conversation.name}</h3>
      )}
      <h3>{t('conversation.members', { count: active.length })}</h3>
      <ul className="people">
        {active.map((m) => {
          const user = users[m.userId];
          return (
            <li key={m.userId} className="person">
              <Avatar id={m.userId} name={user?.displayName ?? '…'} size={32} />
              <span>
                {user?.displayName ?? '…'}
                {m.userId === me ? ` (${t('common.you')})` : ''}
              </span>
              <span className="muted">{t(`group.${m.role}`)}</span>
              {amAdmin && m.userId !== me ? (
                <span className="person-actions">
                  {m.role !== 'admin' ? (
                    <button
                      type="button"
                      onClick={() =>
                        void run(() =>
                          store.client.request('PATCH', `/api/v1/conversations/${id}/members/${m.userId}`, {
                            role: 'admin',
                          }),
                        )
                      }
                    >
                      {t('group.makeAdmin')}
                    </button>
                  ) : null}
                  <button type="button" onClick={() => void run(() => store.client.removeMember(id, m.userId))}>
                    {t('group.remove')}
                  </button>
                </span>
              ) : null}
            </li>
          );
        })}
      </ul>
      {amAdmin && candidates.length > 0 ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) void run(() => store.client.addMembers(id, [adding])).then(() => setAdding(''));
          }}
        >
          <select aria-label={t('group.addMembers')} value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">{t('group.addMembers')} …</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName} (@{u.username})
              </option>
            ))}
          </select>
          <button type="submit" disabled={!adding}>
            {t('group.addMembers')}
          </button>
        </form>
      ) : null}
      <ErrorText code={error} />
      <button
        type="button"
        className="danger"
        onClick={() => {
          if (!me || !window.confirm(t('group.confirmLeave'))) return;
          void run(() => store.client.removeMember(id, me)).then(() => {
            onClose();
            navigate({ name: 'home' });
          });
        }}
      >
        {t('group.leave')}
      </button>
    </Dialog>
  );
}
