import { type ConversationDetail, MUTED_FOREVER, type UpdateChatPrefsRequest } from '@kurier/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatListTime } from '../../lib/format';
import { conversationTitle, peerOf } from '../../lib/names';
import { isArchived, isMuted, orderedConversations } from '../../lib/order';
import { navigate } from '../../lib/router';
import { errorCode } from '../../lib/session';
import { useChat, useStore } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { BackButton } from '../../ui/back-button';
import { ErrorText } from '../../ui/error-text';
import { Icon, type IconName } from '../../ui/icons';
import { Menu, type MenuItem } from '../../ui/menu';
import { NewChatDialog } from './new-chat-dialog';

/** The sidebar: filter, new chat/group, and every conversation by latest activity. */
export function ChatList({ activeId, onSearch }: { activeId: string | null; onSearch: () => void }) {
  const { t } = useTranslation();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me);
  const ready = useChat((s) => s.ready);
  const prefs = useChat((s) => s.prefs);
  const unreadCounts = useChat((s) => s.unread);
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<'direct' | 'group' | null>(null);
  const [archive, setArchive] = useState(false);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    // A filter looks through the archive too: people search by name, not by where a chat lives.
    const list = needle
      ? [
          ...orderedConversations(conversations, prefs),
          ...orderedConversations(conversations, prefs, { archived: true }),
        ]
      : orderedConversations(conversations, prefs, { archived: archive });
    return list
      .map((detail) => ({ detail, title: conversationTitle(detail, users, me?.id) }))
      .filter((r) => !needle || r.title.toLowerCase().includes(needle));
  }, [conversations, prefs, users, me, filter, archive]);
  const archivedIds = Object.keys(conversations).filter((id) => isArchived(prefs[id]));
  const archivedUnread = archivedIds.reduce((n, id) => n + (unreadCounts[id] ?? 0), 0);
  // The last chat left the archive: back to the main list rather than an empty page.
  const archiveEmpty = archivedIds.length === 0;
  useEffect(() => {
    if (archiveEmpty) setArchive(false);
  }, [archiveEmpty]);

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
      {archive && !filter ? (
        <div className="archive-header">
          <BackButton label={t('common.back')} onClick={() => setArchive(false)} always />
          <h2>{t('chats.archived')}</h2>
        </div>
      ) : !filter && archivedIds.length > 0 ? (
        <button type="button" className="archive-row" onClick={() => setArchive(true)}>
          <Icon name="archive" />
          <span className="row-main">{t('chats.archived')}</span>
          <span className="archive-count">
            {archivedUnread > 0 ? t('chats.unread', { count: archivedUnread }) : archivedIds.length}
          </span>
        </button>
      ) : null}
      {!ready ? (
        <p className="muted pad">{t('common.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="muted pad">
          {filter ? t('chats.noMatches') : archive ? t('chats.archiveEmpty') : t('chats.empty')}
        </p>
      ) : (
        <ul className="conversations">
          {rows.map(({ detail, title }) => (
            <ChatRow
              key={detail.conversation.id}
              detail={detail}
              title={title}
              active={detail.conversation.id === activeId}
            />
          ))}
        </ul>
      )}
      {dialog ? <NewChatDialog kind={dialog} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}

const HOUR = 3_600_000;

/** One chat in the list, with its menu (the ⋯ button, or a right click): pin, mute, archive. */
function ChatRow({ detail, title, active }: { detail: ConversationDetail; title: string; active: boolean }) {
  const { t } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const id = detail.conversation.id;
  const peer = peerOf(detail, me?.id);
  // Only this row's peer: one person going online must not re-render 500 rows.
  const online = useChat((s) => (peer ? s.presence[peer]?.online : undefined));
  const unread = useChat((s) => s.unread[id] ?? 0);
  const prefs = useChat((s) => s.prefs[id]);
  const [menu, setMenu] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const at = detail.conversation.lastMessageAt ?? detail.conversation.createdAt;
  const pinned = prefs?.pinnedAt != null;
  const muted = isMuted(prefs);
  const archived = isArchived(prefs);
  const closeMenu = useCallback(() => setMenu(false), []);

  const set = (patch: UpdateChatPrefsRequest) => {
    setError(null);
    store.setPrefs(id, patch).catch((err: unknown) => setError(errorCode(err)));
  };
  const items: MenuItem[] = [
    archived
      ? { label: t('chats.unarchive'), onSelect: () => set({ archived: false }) }
      : pinned
        ? { label: t('chats.unpin'), onSelect: () => set({ pinned: false }) }
        : { label: t('chats.pin'), onSelect: () => set({ pinned: true }) },
    ...(muted
      ? [{ label: t('chats.unmute'), onSelect: () => set({ mutedUntil: null }) }]
      : [
          { label: t('chats.mute8h'), onSelect: () => set({ mutedUntil: Date.now() + 8 * HOUR }) },
          { label: t('chats.muteWeek'), onSelect: () => set({ mutedUntil: Date.now() + 7 * 24 * HOUR }) },
          { label: t('chats.muteAlways'), onSelect: () => set({ mutedUntil: MUTED_FOREVER }) },
        ]),
    ...(archived ? [] : [{ label: t('chats.archive'), onSelect: () => set({ archived: true }) }]),
  ];

  return (
    <li
      className={menu ? 'chat-row menu-open' : 'chat-row'}
      onContextMenu={(e) => {
        e.preventDefault();
        setMenu(true);
      }}
    >
      <a
        href={`/chats/${encodeURIComponent(id)}`}
        className={active ? 'conversation-row active' : 'conversation-row'}
        aria-current={active ? 'page' : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate({ name: 'chat', id });
        }}
      >
        <Avatar id={peer ?? id} name={title} online={online} />
        <span className="row-main">
          <span className="row-title">{title}</span>
          <LastMessage conversationId={id} />
        </span>
        <span className="row-meta">
          <time dateTime={new Date(at).toISOString()}>{formatListTime(at)}</time>
          <span className="row-flags">
            {muted ? <RowFlag icon="bellOff" label={t('chats.muted')} /> : null}
            {pinned ? <RowFlag icon="pin" label={t('chats.pinned')} /> : null}
            {unread > 0 ? (
              <span className={muted ? 'badge badge-quiet' : 'badge'}>
                <span aria-hidden="true">{unread}</span>
                <span className="sr-only">{t('chats.unread', { count: unread })}</span>
              </span>
            ) : null}
          </span>
        </span>
      </a>
      <button
        type="button"
        className="icon-button row-menu-button"
        aria-label={t('chats.options', { title })}
        aria-haspopup="menu"
        aria-expanded={menu}
        onClick={() => setMenu((open) => !open)}
      >
        <Icon name="more" size={18} />
      </button>
      {menu ? <Menu label={t('chats.options', { title })} items={items} onClose={closeMenu} /> : null}
      <ErrorText code={error} className="row-error" />
    </li>
  );
}

/** A small state icon in a chat row (muted, pinned), named for screen readers. */
function RowFlag({ icon, label }: { icon: IconName; label: string }) {
  return (
    <span className="row-flag" title={label}>
      <Icon name={icon} size={14} />
      <span className="sr-only">{label}</span>
    </span>
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
