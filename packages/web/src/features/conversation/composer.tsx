import { type CannedReply, fillCannedReply, type InboxEntry, LIMITS } from '@kurier/protocol';
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useChat, useStore } from '../../lib/use-chat';
import { Icon } from '../../ui/icons';
import type { ComposeAction } from './message-item';

const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;

/** Canned replies for a customer conversation: `/short` lists matches, choosing fills the variables. */
function useCanned(inbox: InboxEntry | undefined, text: string) {
  const store = useStore();
  const me = useChat((s) => s.me);
  const [all, setAll] = useState<CannedReply[]>([]);
  const enabled = inbox !== undefined;
  useEffect(() => {
    if (enabled) void store.client.inbox.cannedReplies().then(setAll, () => {});
  }, [store, enabled]);
  const matches = useMemo(() => {
    const m = /^\/([a-z0-9_-]*)$/.exec(text);
    return inbox && m ? all.filter((c) => c.shortcut.startsWith(m[1] ?? '')).slice(0, 6) : [];
  }, [all, text, inbox]);
  const fill = (c: CannedReply) =>
    inbox ? fillCannedReply(c.text, { contact: inbox.contact, agent: { name: me?.displayName ?? '' } }) : c.text;
  return { matches, fill };
}

/**
 * Writing, replying and editing. Enter sends, Shift+Enter breaks the line, Esc cancels. In a
 * customer conversation (`inbox`) it also writes private notes and offers canned replies, and
 * sending takes an unowned conversation first (or joins one a colleague owns).
 */
export function Composer({
  conversationId,
  action,
  onAction,
  inbox,
}: {
  conversationId: string;
  action: ComposeAction;
  onAction: (a: ComposeAction) => void;
  inbox?: InboxEntry | undefined;
}) {
  const { t } = useTranslation();
  const store = useStore();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const member = useChat((s) =>
    s.conversations[conversationId]?.members.some((m) => m.userId === s.me?.id && m.leftAt === null),
  );
  const [text, setText] = useState('');
  const [note, setNote] = useState(false);
  const [pick, setPick] = useState(0);
  const canned = useCanned(inbox, text);
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
      store.client.typing(conversationId, true, { note });
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
      const opts = { ...(action?.kind === 'reply' ? { replyToId: action.message.id } : {}), ...(note ? { note } : {}) };
      if (inbox && !member) {
        // Writing is for members: take a conversation nobody owns, else join the owner.
        const join =
          inbox.assigneeId === null
            ? store.client.inbox.assign(conversationId, me ?? null)
            : store.client.inbox.join(conversationId);
        void join.then(() => store.send(conversationId, body, opts)).catch(() => {});
      } else store.send(conversationId, body, opts);
    }
    setText('');
    onAction(null);
    stopTyping();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    const suggestion = canned.matches[Math.min(pick, canned.matches.length - 1)];
    if (suggestion && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      const n = canned.matches.length;
      setPick((p) => (p + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
      return;
    }
    if (suggestion && (e.key === 'Enter' || e.key === 'Tab')) {
      e.preventDefault();
      onChange(canned.fill(suggestion));
      setPick(0);
      return;
    }
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
    <div className={note ? 'composer composer-note' : 'composer'}>
      {inbox ? (
        <div className="compose-modes" role="tablist" aria-label={t('inbox.composeMode')}>
          <button
            type="button"
            role="tab"
            aria-selected={!note}
            className={note ? 'tab' : 'tab active'}
            onClick={() => setNote(false)}
          >
            {t('inbox.reply')}
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={note}
            className={note ? 'tab active' : 'tab'}
            onClick={() => setNote(true)}
          >
            {t('inbox.note')}
          </button>
          <span className="muted">{t('inbox.cannedHint')}</span>
        </div>
      ) : null}
      {canned.matches.length > 0 ? (
        <ul className="canned" aria-label={t('inbox.canned')}>
          {canned.matches.map((c, i) => (
            <li key={c.id} className={i === pick ? 'active' : undefined}>
              <button
                type="button"
                aria-current={i === pick}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => onChange(canned.fill(c))}
              >
                <strong>/{c.shortcut}</strong> <span className="muted">{c.text}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
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
          placeholder={note ? t('inbox.notePlaceholder') : t('conversation.placeholder')}
          aria-label={note ? t('inbox.notePlaceholder') : t('conversation.placeholder')}
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
