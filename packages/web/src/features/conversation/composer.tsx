import { LIMITS } from '@kurier/protocol';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useChat, useStore } from '../../lib/use-chat';
import { Icon } from '../../ui/icons';
import type { ComposeAction } from './message-item';

const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;

/** Writing, replying and editing. Enter sends, Shift+Enter breaks the line, Esc cancels. */
export function Composer({
  conversationId,
  action,
  onAction,
}: {
  conversationId: string;
  action: ComposeAction;
  onAction: (a: ComposeAction) => void;
}) {
  const { t } = useTranslation();
  const store = useStore();
  const users = useChat((s) => s.users);
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const attach = (files: FileList | null) => {
    for (const file of files ?? []) void store.upload(conversationId, file);
  };
  const typing = useRef({ sentAt: 0, idle: 0 as ReturnType<typeof setTimeout> | 0 });

  useEffect(() => {
    if (action?.kind === 'edit') setText(action.message.text ?? '');
    ref.current?.focus();
  }, [action]);

  // Say "stopped typing" when leaving the conversation mid-sentence.
  useEffect(
    () => () => {
      if (typing.current.sentAt) store.client.typing(conversationId, false);
      if (typing.current.idle) clearTimeout(typing.current.idle);
    },
    [store, conversationId],
  );

  const stopTyping = () => {
    if (typing.current.idle) clearTimeout(typing.current.idle);
    typing.current.idle = 0;
    if (typing.current.sentAt) store.client.typing(conversationId, false);
    typing.current.sentAt = 0;
  };

  const onChange = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value && now - typing.current.sentAt > TYPING_REPEAT_MS) {
      store.client.typing(conversationId, true);
      typing.current.sentAt = now;
    }
    if (typing.current.idle) clearTimeout(typing.current.idle);
    typing.current.idle = value ? setTimeout(stopTyping, TYPING_IDLE_MS) : 0;
    if (!value) stopTyping();
  };

  const submit = () => {
    const body = text.trim();
    if (!body) return;
    if (action?.kind === 'edit') {
      if (body !== action.message.text) void store.client.edit(action.message.id, body).catch(() => {});
    } else {
      store.send(conversationId, body, action?.kind === 'reply' ? action.message.id : undefined);
    }
    setText('');
    onAction(null);
    stopTyping();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && action) {
      e.preventDefault();
      if (action.kind === 'edit') setText('');
      onAction(null);
    }
  };

  return (
    <div className="composer">
      {action ? (
        <div className="compose-context">
          <div>
            <strong>
              {action.kind === 'reply'
                ? t('conversation.replyingTo', { name: users[action.message.senderId]?.displayName ?? '…' })
                : t('conversation.editing')}
            </strong>
            <span className="muted">{action.message.text}</span>
          </div>
          <button type="button" className="icon-button" onClick={() => onAction(null)} aria-label={t('common.cancel')}>
            <Icon name="close" size={18} />
          </button>
        </div>
      ) : null}
      <form
        className="compose-row"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          onChange={(e) => {
            attach(e.target.files);
            e.target.value = '';
          }}
        />
        <button
          type="button"
          className="icon-button attach"
          onClick={() => fileInput.current?.click()}
          aria-label={t('files.attach')}
          title={t('files.attach')}
        >
          <Icon name="attach" />
        </button>
        <textarea
          ref={ref}
          rows={1}
          value={text}
          maxLength={LIMITS.textLength}
          placeholder={t('conversation.placeholder')}
          aria-label={t('conversation.placeholder')}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            // Pasted screenshots and copied files arrive as files; pasted text stays text.
            if (e.clipboardData.files.length > 0) {
              e.preventDefault();
              attach(e.clipboardData.files);
            }
          }}
          onBlur={stopTyping}
        />
        <button type="submit" className="primary send" disabled={!text.trim()} aria-label={t('conversation.send')}>
          <Icon name="send" size={18} />
        </button>
      </form>
    </div>
  );
}
