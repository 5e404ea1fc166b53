/** @jsxImportSource preact */
import { render } from 'preact';
import { App, type Mode } from './app.js';
import { pickLocale, translator } from './i18n.js';
import { WidgetSession } from './session.js';
import { WidgetStorage } from './storage.js';
import './widget.css';

type Identity = { externalId: string; hash: string; name?: string; email?: string };

/** The website's verified user, handed over in the URL fragment (never sent to a server log). */
function identityFromHash(): Identity | null {
  try {
    const value = JSON.parse(decodeURIComponent(location.hash.slice(1)) || 'null') as Partial<Identity> | null;
    return value?.externalId && value.hash ? (value as Identity) : null;
  } catch {
    return null;
  }
}

async function keyOf(params: URLSearchParams, slug: string | undefined): Promise<string> {
  if (!slug) return params.get('key') ?? '';
  const res = await fetch(`/api/v1/widget/slug/${encodeURIComponent(slug)}`);
  return res.ok ? ((await res.json()) as { key: string }).key : '';
}

const params = new URLSearchParams(location.search);
// A guest link (`/c/<slug>`) is the widget as a whole page, for customers without the website.
const slug = /^\/c\/([a-z0-9-]+)\/?$/.exec(location.pathname)?.[1];
const mode: Mode = slug || params.get('mode') === 'page' ? 'page' : 'embed';
const locale = pickLocale(params.get('lang'), navigator.languages);
document.documentElement.lang = locale;
document.documentElement.classList.add(mode);
const key = await keyOf(params, slug);
const session = new WidgetSession({ baseUrl: location.origin, key, storage: await WidgetStorage.open(key) });
const root = document.getElementById('root') as HTMLElement;
render(
  <App session={session} t={translator(locale)} locale={locale} mode={mode} identity={identityFromHash()} />,
  root,
);
void session.open();
