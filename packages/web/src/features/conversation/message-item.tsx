import type { ConversationDetail, Message } from '@kurier/protocol';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../../lib/format';
import { linkify } from '../../lib/linkify';
import type { PendingMessage } from '../../lib/store';
import { systemText } from '../../lib/system-text';
import { useChat, useStore } from '../../lib/use-chat';
import { Icon } from '../../ui/icons';
import { Attachment } from './attachments';
import { type Tick, tickOf } from './receipts';

/** What the composer is doing with a message. */
export type ComposeAction = { kind: 'reply'; message: Message } | { kind: 'edit'; message: Message } | null;

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

/** Message text with http(s) links; everything else rendered as plain text. */
export function RichText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable string never reorder
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
            {part.text}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  );
}

function TickMark({ tick }: { tick: Tick }) {
  const { t } = useTranslation();
  const label = t(`conversation.${tick}`);
  const glyph = tick === 'pending' ? <Icon name="clock" size={12} /> : tick === 'sent' ? '✓' : '✓✓';
  return (
    <span className={`tick tick-${tick}`} title={label} role="img" aria-label={label} data-tick={tick}>
      {glyph}
    </span>
  );
}

/** One message: bubble, quote, reactions, time, ticks, and its actions. */
export const MessageItem = memo(function MessageItem({
  message,
  detail,
  onCompose,
}: {
  message: Message;
  detail: ConversationDetail;
  onCompose: (action: ComposeAction) => void;
}) {
  const { t } = useTranslation();
  const store = useStore();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const quoted = useChat((s) =>
    message.replyToId ? s.messages[message.conversationId]?.find((m) => m.id === message.replyToId) : undefined,
  );
  if (message.type === 'system') {
    return <div className="system-message">{systemText(message, users, t)}</div>;
  }
  const mine = message.senderId === me;
  const deleted = message.deletedAt !== null;
  const isGroup = detail.conversation.kind === 'group';
  // In a customer conversation several colleagues may answer: say who wrote what.
  const named = isGroup || detail.conversation.kind === 'customer';
  const note = message.type === 'note';
  const myRole = detail.members.find((m) => m.userId === me)?.role;
  const canDelete = !deleted && (mine || (isGroup && myRole === 'admin'));
  const react = (emoji: string) => {
    const mineAlready = message.reactions.some((r) => r.emoji === emoji && me && r.userIds.includes(me));
    void store.client.react(message.id, emoji, mineAlready).catch(() => {});
  };
  return (
    // tabIndex -1: a tap on a phone focuses the message, which shows its actions (:focus-within).
    <div
      className={`message${mine ? ' mine' : ''}${note ? ' note' : ''}`}
      data-seq={message.seq}
      data-message-id={message.id}
      tabIndex={-1}
    >
      <div className="bubble">
        {note ? <div className="note-label">{t('inbox.note')}</div> : null}
        {named && !mine ? <div className="sender">{users[message.senderId]?.displayName ?? '…'}</div> : null}
        {message.replyToId ? (
          <div className="quote">
            <strong>{quoted ? (users[quoted.senderId]?.displayName ?? '…') : '…'}</strong>
            <span>{quoted ? (quoted.deletedAt ? t('conversation.deleted') : quoted.text) : ''}</span>
          </div>
        ) : null}
        {message.media && !deleted ? <Attachment media={message.media} /> : null}
        {deleted || message.text ? (
          <div className={deleted ? 'text deleted' : 'text'}>
            {deleted ? t('conversation.deleted') : <RichText text={message.text ?? ''} />}
          </div>
        ) : null}
        <div className="meta">
          {message.editedAt && !deleted ? <span className="edited">{t('conversation.edited')}</span> : null}
          <time dateTime={new Date(message.createdAt).toISOString()}>{formatTime(message.createdAt)}</time>
          {mine ? <TickMark tick={tickOf(message.seq, detail, me)} /> : null}
        </div>
        {message.reactions.length > 0 ? (
          <div className="reactions">
            {message.reactions.map((r) => (
              <button
                type="button"
                key={r.emoji}
                className={me && r.userIds.includes(me) ? 'reaction mine' : 'reaction'}
                onClick={() => react(r.emoji)}
                title={r.userIds.map((id) => users[id]?.displayName ?? '…').join(', ')}
              >
                {r.emoji} {r.userIds.length}
              </button>
            ))}
          </div>
        ) : null}
      </div>
      {deleted ? null : (
        <div className="actions" role="toolbar" aria-label={t('conversation.messageActions')}>
          <button
            type="button"
            onClick={() => onCompose({ kind: 'reply', message })}
            title={t('conversation.reply')}
            aria-label={t('conversation.reply')}
          >
            <Icon name="reply" size={16} />
          </button>
          {QUICK_REACTIONS.map((emoji) => (
            <button
              type="button"
              key={emoji}
              onClick={() => react(emoji)}
              aria-label={`${t('conversation.react')} ${emoji}`}
            >
              {emoji}
            </button>
          ))}
          {mine ? (
            <button
              type="button"
              onClick={() => onCompose({ kind: 'edit', message })}
              title={t('conversation.edit')}
              aria-label={t('conversation.edit')}
            >
              <Icon name="edit" size={16} />
            </button>
          ) : null}
          {canDelete ? (
            <button
              type="button"
              onClick={() => {
                if (window.confirm(t('conversation.confirmDelete')))
                  void store.client.delete(message.id).catch(() => {});
              }}
              title={t('conversation.delete')}
              aria-label={t('conversation.delete')}
            >
              <Icon name="trash" size={16} />
            </button>
          ) : null}
        </div>
      )}
    </div>
  );
});

/** A message still in the outbox: shown at once, marked as waiting (or failed). */
export function PendingItem({ entry }: { entry: PendingMessage }) {
  const { t } = useTranslation();
  const store = useStore();
  return (
    <div className={`message mine pending${entry.note ? ' note' : ''}`} data-pending={entry.clientMsgId}>
      <div className="bubble">
        {entry.media ? <div className="file-name pending-file">{entry.media.name}</div> : null}
        {entry.text ? (
          <div className="text">
            <RichText text={entry.text} />
          </div>
        ) : null}
        <div className="meta">
          <time>{formatTime(entry.createdAt)}</time>
          <TickMark tick="pending" />
        </div>
        {entry.error ? (
          <div className="form-error">
            {t('conversation.failed', { reason: entry.error })}{' '}
            <button type="button" className="link" onClick={() => store.discard(entry.clientMsgId)}>
              {t('common.close')}
            </button>
          </div>
        ) : null}
      </div>
    </div>
  );
}
