/** @jsxImportSource preact */
import { useEffect, useState } from 'preact/hooks';
import { Chat } from './chat.js';
import type { Locale, Translate } from './i18n.js';
import { PreChat } from './prechat.js';
import type { WidgetSession } from './session.js';
import { useSession } from './use-session.js';

/** How the widget runs: a launcher with a panel inside a site's iframe, or a whole page (guest link). */
export type Mode = 'embed' | 'page';

interface Props {
  session: WidgetSession;
  t: Translate;
  locale: Locale;
  mode: Mode;
  identity: { externalId: string; hash: string; name?: string; email?: string } | null;
}

function statusLine(session: WidgetSession, t: Translate, locale: Locale): string {
  const c = session.state.config;
  if (!c) return '';
  if (!c.open) {
    if (!c.nextOpenAt) return t('closedNow');
    const when = new Intl.DateTimeFormat(locale, { weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(
      c.nextOpenAt,
    );
    return t('closedUntil', { when });
  }
  return t(c.replyTime === 'minutes' ? 'replyMinutes' : c.replyTime === 'hours' ? 'replyHours' : 'replyDay');
}

/** Tells the embedding page how big the frame must be. */
function resize(open: boolean): void {
  if (window.parent !== window) window.parent.postMessage({ type: 'kurier:resize', open }, '*');
}

/** The widget: launcher (embedded), header, then the form or the conversation. */
export function App({ session, t, locale, mode, identity }: Props) {
  const state = useSession(session);
  const [open, setOpen] = useState(mode === 'page');
  const config = state.config;

  useEffect(() => {
    if (mode === 'embed') resize(open);
  }, [open, mode]);
  useEffect(() => {
    if (config) document.documentElement.style.setProperty('--brand', config.color);
  }, [config]);
  useEffect(() => {
    if (mode !== 'embed') return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [mode]);

  const panel = (
    <section class="panel" aria-label={config?.name ?? 'Chat'}>
      <header>
        <div>
          <h1>{config?.name ?? ''}</h1>
          <p class="status">
            {config?.open ? <span class="dot" aria-hidden="true" /> : null}
            {statusLine(session, t, locale)}
          </p>
        </div>
        {mode === 'embed' ? (
          <button type="button" class="icon" aria-label={t('close')} onClick={() => setOpen(false)}>
            ✕
          </button>
        ) : null}
      </header>
      {state.error ? (
        <p class="error" role="alert">
          {t(state.error as 'error')}
        </p>
      ) : null}
      {!config ? null : state.conversations === null ? (
        <PreChat session={session} config={config} t={t} locale={locale} identity={identity} />
      ) : state.current ? (
        <Chat session={session} config={config} t={t} locale={locale} visible={open} />
      ) : null}
    </section>
  );

  if (mode === 'page') return <main class="page">{panel}</main>;
  return (
    <div class="embed">
      {open ? panel : null}
      <button
        type="button"
        class="launcher"
        aria-expanded={open}
        aria-label={open ? t('close') : t('open')}
        onClick={() => setOpen(!open)}
      >
        {open ? '✕' : '💬'}
      </button>
    </div>
  );
}
