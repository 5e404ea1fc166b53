import { useSyncExternalStore } from 'react';

/** The app's screens, parsed from the URL. */
export type Route =
  | { name: 'home' }
  | { name: 'chat'; id: string }
  | { name: 'settings' }
  | { name: 'inbox'; id: string | null }
  | { name: 'reports' }
  | { name: 'contacts' }
  | { name: 'login' }
  | { name: 'setup'; token: string | null }
  | { name: 'invite'; token: string | null };

/** URL → route. Unknown paths show the chat list. */
export function parseRoute(url: URL): Route {
  const path = url.pathname;
  if (path.startsWith('/chats/')) return { name: 'chat', id: decodeURIComponent(path.slice('/chats/'.length)) };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/inbox') return { name: 'inbox', id: null };
  if (path === '/inbox/reports') return { name: 'reports' };
  if (path === '/inbox/contacts') return { name: 'contacts' };
  if (path.startsWith('/inbox/')) return { name: 'inbox', id: decodeURIComponent(path.slice('/inbox/'.length)) };
  if (path === '/login') return { name: 'login' };
  if (path === '/setup') return { name: 'setup', token: url.searchParams.get('token') };
  if (path === '/invite') return { name: 'invite', token: url.searchParams.get('token') };
  return { name: 'home' };
}

/** Route → path. */
export function pathOf(route: Route): string {
  switch (route.name) {
    case 'chat':
      return `/chats/${encodeURIComponent(route.id)}`;
    case 'settings':
      return '/settings';
    case 'inbox':
      return route.id ? `/inbox/${encodeURIComponent(route.id)}` : '/inbox';
    case 'reports':
      return '/inbox/reports';
    case 'contacts':
      return '/inbox/contacts';
    case 'login':
      return '/login';
    case 'setup':
      return route.token ? `/setup?token=${encodeURIComponent(route.token)}` : '/setup';
    case 'invite':
      return route.token ? `/invite?token=${encodeURIComponent(route.token)}` : '/invite';
    case 'home':
      return '/';
  }
}

const listeners = new Set<() => void>();
let current = location.href;
let currentRoute = parseRoute(new URL(current));

function refresh(): void {
  if (location.href === current) return;
  current = location.href;
  currentRoute = parseRoute(new URL(current));
  for (const l of listeners) l();
}
window.addEventListener('popstate', refresh);

/** Goes to a route (a history entry unless `replace`). */
export function navigate(route: Route, { replace = false } = {}): void {
  const path = pathOf(route);
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  refresh();
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => currentRoute,
  );
}
