import type { InboxEntry } from '@kurier/protocol';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatLastSeen } from '../../lib/format';
import { conversationTitle, otherMembers, peerOf } from '../../lib/names';
import { navigate } from '../../lib/router';
import { useChat, useStore } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { BackButton } from '../../ui/back-button';
import { Icon } from '../../ui/icons';
import { Composer } from './composer';
import { GroupInfo } from './group-info';
import type { ComposeAction } from './message-item';
import { MessageList } from './message-list';
import { UploadList } from './uploads';

/**
 * One open conversation: header with presence, the history, typing, the composer. With `inbox`
 * (a customer conversation opened from the team inbox) it adds the inbox's controls, and the
 * composer can write private notes and canned replies.
 */
export function ConversationView({
  conversationId,
  inbox,
  toolbar,
}: {
  conversationId: string;
  inbox?: InboxEntry;
  /** Shown under the header (the inbox's controls). */
  toolbar?: ReactNode;
}) {
  const { t } = useTranslation();
  const store = useStore();
  const detail = useChat((s) => s.conversations[conversationId]);
  const ready = useChat((s) => s.ready);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const presence = useChat((s) => s.presence);
  const typing = useChat((s) => s.typing[conversationId]);
  const [action, setAction] = useState<ComposeAction>(null);
  const [info, setInfo] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [failed, setFailed] = useState(false);
  // Fixed when the chat opens, so the divider does not move while the reader reads.
  const [firstUnreadSeq, setFirstUnreadSeq] = useState<number | null | undefined>(undefined);

  useEffect(() => {
    store.opened(conversationId);
    // Offline with a saved copy, the saved messages are shown and no error is needed.
    store.loadHistory(conversationId).catch(() => setFailed(navigator.onLine || !store.state.messages[conversationId]));
  }, [store, conversationId]);

  useEffect(() => {
    if (!detail || firstUnreadSeq !== undefined) return;
    const readSeq = detail.members.find((m) => m.userId === me)?.readSeq ?? 0;
    setFirstUnreadSeq(detail.conversation.lastSeq > readSeq ? readSeq + 1 : null);
  }, [detail, me, firstUnreadSeq]);

  const typers = useMemo(() => Object.keys(typing ?? {}).filter((id) => id !== me), [typing, me]);

  if (!detail) {
    return <div className="empty-state">{ready ? t('conversation.pick') : t('common.loading')}</div>;
  }
  const title = conversationTitle(detail, users, me);
  const peer = peerOf(detail, me);
  const status = peer
    ? presence[peer]?.online
      ? t('presence.online')
      : formatLastSeen(presence[peer]?.lastSeenAt ?? users[peer]?.lastSeenAt ?? null)
    : t('conversation.members', { count: otherMembers(detail, me).length + 1 });

  return (
    <section
      className={dragging ? 'conversation dragging' : 'conversation'}
      aria-label={title}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        if (e.dataTransfer.files.length === 0) return;
        e.preventDefault();
        setDragging(false);
        for (const file of e.dataTransfer.files) void store.upload(conversationId, file);
      }}
    >
      {dragging ? (
        <div className="drop-overlay" aria-hidden="true">
          {t('files.dropHere')}
        </div>
      ) : null}
      <header className="conversation-header">
        <BackButton
          label={t('common.back')}
          onClick={() => navigate(inbox ? { name: 'inbox', id: null } : { name: 'home' })}
        />
        <Avatar id={peer ?? conversationId} name={title} size={36} online={peer ? presence[peer]?.online : undefined} />
        <div className="header-text">
          <h1>{title}</h1>
          <span className="muted" data-testid="conversation-status">
            {typers.length > 0
              ? t('conversation.typing', {
                  count: typers.length,
                  names: typers.map((id) => users[id]?.displayName ?? '…').join(', '),
                })
              : status}
          </span>
        </div>
        {detail.conversation.kind === 'group' ? (
          <button
            type="button"
            className="icon-button"
            onClick={() => setInfo(true)}
            aria-label={t('group.info')}
            title={t('group.info')}
          >
            <Icon name="info" />
          </button>
        ) : null}
      </header>
      {toolbar}
      {failed ? (
        <p className="form-error pad" role="alert">
          {t('errors.generic', { code: 'history' })}
        </p>
      ) : null}
      {firstUnreadSeq !== undefined ? (
        <MessageList detail={detail} firstUnreadSeq={firstUnreadSeq} onCompose={setAction} />
      ) : (
        <div className="message-scroller" />
      )}
      <div className="typing-line" aria-live="polite">
        {typers.length > 0
          ? t('conversation.typing', {
              count: typers.length,
              names: typers.map((id) => users[id]?.displayName ?? '…').join(', '),
            })
          : ''}
      </div>
      <UploadList conversationId={conversationId} />
      <Composer conversationId={conversationId} action={action} onAction={setAction} inbox={inbox} />
      {info ? <GroupInfo detail={detail} onClose={() => setInfo(false)} /> : null}
    </section>
  );
}
