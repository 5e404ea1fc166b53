import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { orderedConversations } from '../../lib/order';
import { formatListTime } from '../../lib/format';
import { conversationTitle, peerOf } from '../../lib/names';
import { navigate } from '../../lib/router';
import { useChat } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { Icon } from '../../ui/icons';
import { NewChatDialog } from './new-chat-dialog';

/** The sidebar: filter, new chat/group, and every conversation by latest activity. */
export function ChatList({ activeId, onSearch }: { activeId: string | null; onSearch: () => void }) {
  const { t } = useTranslation();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me);
  const ready = useChat((s) => s.ready);
  const presence = useChat((s) => s.presence);
  const unreadCounts = useChat((s) => s.unread);
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<'direct' | 'group' | null>(null);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return orderedConversations(conversations)
      .map((detail) => ({ detail, title: conversationTitle(detail, users, me?.id) }))
      .filter((r) => !needle || r.title.toLowerCase().includes(needle));
  }, [conversations, users, me, filter]);

  return (
    <div className="chat-list">
      <header className="sidebar-header">
        <button type="button" className="me" onClick={() => navigate({ name: 'settings' })} title={t('settings.title')}>
          {me ? <Avatar id={me.id} name={me.displayName} size={32} /> : null}
          <span>{t('chats.title')}</span>
        </button>
        <div className="sidebar-actions">
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog('direct')}
            aria-label={t('chats.newChat')}
            title={t('chats.newChat')}
          >
            <Icon name="compose" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog('group')}
            aria-label={t('chats.newGroup')}
            title={t('chats.newGroup')}
          >
            <Icon name="group" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => navigate({ name: 'settings' })}
            aria-label={t('settings.title')}
            title={t('settings.title')}
          >
            <Icon name="settings" />
          </button>
        </div>
      </header>
      <div className="sidebar-search">
        <input
          type="search"
          placeholder={t('chats.search')}
          aria-label={t('chats.search')}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && filter.trim()) onSearch();
          }}
        />
      </div>
      {!ready ? (
        <p className="muted pad">{t('common.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="muted pad">{filter ? t('chats.noMatches') : t('chats.empty')}</p>
      ) : (
        <ul className="conversations">
          {rows.map(({ detail, title }) => {
            const id = detail.conversation.id;
            const unread = unreadCounts[id] ?? 0;
            const peer = peerOf(detail, me?.id);
            const at = detail.conversation.lastMessageAt ?? detail.conversation.createdAt;
            return (
              <li key={id}>
                <a
                  href={`/chats/${encodeURIComponent(id)}`}
                  className={id === activeId ? 'conversation-row active' : 'conversation-row'}
                  aria-current={id === activeId ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate({ name: 'chat', id });
                  }}
                >
                  <Avatar id={peer ?? id} name={title} online={peer ? presence[peer]?.online : undefined} />
                  <span className="row-main">
                    <span className="row-title">{title}</span>
                    <LastMessage conversationId={id} />
                  </span>
                  <span className="row-meta">
                    <time dateTime={new Date(at).toISOString()}>{formatListTime(at)}</time>
                    {unread > 0 ? (
                      <span className="badge">
                        <span aria-hidden="true">{unread}</span>
                        <span className="sr-only">{t('chats.unread', { count: unread })}</span>
                      </span>
                    ) : null}
                  </span>
                </a>
              </li>
            );
          })}
        </ul>
      )}
      {dialog ? <NewChatDialog kind={dialog} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}

/** The newest loaded message of a conversation (typing wins over it). */
function LastMessage({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const last = useChat((s) => s.previews[conversationId]);
  const typing = useChat((s) => s.typing[conversationId]);
  const users = useChat((s) => s.users);
  const typers = typing ? Object.keys(typing) : [];
  if (typers.length > 0) {
    const names = typers.map((id) => users[id]?.displayName ?? '…').join(', ');
    return <span className="row-preview typing">{t('conversation.typing', { count: typers.length, names })}</span>;
  }
  if (!last) return <span className="row-preview" />;
  const text = last.deletedAt
    ? t('conversation.deleted')
    : last.type === 'system'
      ? ''
      : last.media
        ? `📎 ${last.text || last.media.name}`
        : (last.text ?? '');
  return <span className="row-preview">{text}</span>;
}
