/** @jsxImportSource preact */
import type { Message, WidgetConfig } from '@kurier/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Locale, Translate } from './i18n.js';
import { Bubble, systemLine } from './message.js';
import type { WidgetSession } from './session.js';
import { useSession } from './use-session.js';

interface Props {
  session: WidgetSession;
  config: WidgetConfig;
  t: Translate;
  locale: Locale;
  visible: boolean;
}

/** Display names of staff in a conversation: from the list, and from "joined" announcements. */
function staffNames(session: WidgetSession, id: string, messages: readonly Message[]): Map<string, string> {
  const listed = session.state.conversations?.find((c) => c.conversation.id === id)?.staff ?? {};
  const names = new Map(Object.entries(listed));
  for (const m of messages)
    if (m.system?.event === 'assigned' && m.system.userId && m.system.displayName)
      names.set(m.system.userId, m.system.displayName);
  return names;
}

function Rating({ session, t }: { session: WidgetSession; t: Translate }) {
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState('');
  return (
    <form
      class="rating"
      onSubmit={(e) => {
        e.preventDefault();
        if (score > 0) void session.rate(score, comment.trim());
      }}
    >
      <p>{t('rate')}</p>
      <fieldset class="stars">
        <legend class="sr">{t('rate')}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} class={n <= score ? 'star on' : 'star'}>
            <input
              type="radio"
              name="score"
              value={n}
              checked={score === n}
              aria-label={t('stars', { n })}
              onChange={() => setScore(n)}
            />
            <span aria-hidden="true">★</span>
          </label>
        ))}
      </fieldset>
      <textarea
        rows={2}
        maxLength={1000}
        placeholder={t('rateComment')}
        value={comment}
        onInput={(e) => setComment(e.currentTarget.value)}
      />
      <button type="submit" class="primary" disabled={score === 0}>
        {t('rateSend')}
      </button>
    </form>
  );
}

/** Downloads the conversation as an HTML file (the request needs the visitor's token). */
function TranscriptLink({ session, t, locale }: { session: WidgetSession; t: Translate; locale: Locale }) {
  async function download() {
    const path = session.transcriptUrl(locale);
    if (!path) return;
    const html = await session.client.requestText(path);
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'transcript.html';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return (
    <button type="button" class="link" onClick={() => void download().catch(() => {})}>
      {t('transcript')}
    </button>
  );
}

/** The conversation: messages, receipts, typing, the composer, and rating once it is resolved. */
export function Chat({ session, config, t, locale, visible }: Props) {
  const state = useSession(session);
  const id = state.current as string;
  const messages = state.messages.get(id) ?? [];
  const list = useRef<HTMLDivElement>(null);
  const [draft, setDraft] = useState('');
  const me = session.client.userId;
  const names = staffNames(session, id, messages);
  const status = session.status(id);
  const listed = state.conversations?.find((c) => c.conversation.id === id);
  const staffRead = Math.max(
    0,
    ...(state.members.get(id) ?? []).filter((m) => m.userId !== me && m.leftAt === null).map((m) => m.readSeq),
  );
  const lastMine = [...messages].reverse().find((m) => m.senderId === me && m.type !== 'system');
  const typing = [...(state.typing.get(id) ?? [])].map((u) => names.get(u) ?? t('someone'));

  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
    if (visible) session.markRead();
  }, [messages.length, typing.length, visible, session]);

  async function send() {
    const text = draft;
    setDraft('');
    // Writing again reopens a resolved conversation (the server does that).
    await session.send(text);
  }

  return (
    <div class="chat">
      <div class="messages" ref={list} aria-live="polite">
        {messages.map((m) => {
          if (m.type === 'system') {
            const line = systemLine(m, t, { away: config.awayMessage[locale], greeting: config.greeting[locale] });
            return line ? (
              <p key={m.id} class="system">
                {line}
              </p>
            ) : null;
          }
          const mine = m.senderId === me;
          return (
            <Bubble
              key={m.id}
              m={m}
              mine={mine}
              sender={names.get(m.senderId) ?? t('team')}
              client={session.client}
              t={t}
              receipt={m === lastMine ? (staffRead >= m.seq ? t('read') : t('sent')) : null}
            />
          );
        })}
        {typing.length > 0 ? <p class="typing">{t('typing', { name: typing.join(', ') })}</p> : null}
      </div>
      {state.upload ? (
        <progress
          class="upload"
          value={state.upload.progress}
          max={1}
          aria-label={t('uploading', { name: state.upload.name })}
        />
      ) : null}
      {!state.online ? <p class="offline">{t('offline')}</p> : null}
      {status === 'resolved' && config.csat && listed?.csatScore == null ? <Rating session={session} t={t} /> : null}
      {status === 'resolved' && listed?.csatScore != null ? <p class="system">{t('thanks')}</p> : null}
      <TranscriptLink session={session} t={t} locale={locale} />
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label class="attach" title={t('attach')}>
          <span aria-hidden="true">📎</span>
          <span class="sr">{t('attach')}</span>
          <input
            type="file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (file) void session.sendFile(file);
            }}
          />
        </label>
        <textarea
          rows={1}
          maxLength={4096}
          placeholder={t('write')}
          aria-label={t('write')}
          value={draft}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            session.client.typing(id, e.currentTarget.value.length > 0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" class="send" disabled={!draft.trim()} aria-label={t('send')}>
          ➤
        </button>
      </form>
    </div>
  );
}
