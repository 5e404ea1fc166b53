import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ChatList } from '../features/chats/chat-list';
import { SearchDialog } from '../features/chats/search-dialog';
import { ConversationView } from '../features/conversation/conversation-view';
import { ContactsView } from '../features/inbox/contacts-view';
import { InboxList } from '../features/inbox/inbox-list';
import { InboxSettings } from '../features/inbox/inbox-settings';
import { ReportsView } from '../features/inbox/reports-view';
import { SettingsView } from '../features/settings/settings-view';
import { isArchived, orderedConversations } from '../lib/order';
import { navigate, useRoute } from '../lib/router';
import { type StoredSession, sessionClient, userStorage } from '../lib/session';
import { keepSnapshots, loadSnapshot } from '../lib/snapshot';
import { ChatStore } from '../lib/store';
import { ChatContext, useChat } from '../lib/use-chat';
import { ConnectionBanner } from './connection-banner';
import { useDesktopSignals } from './desktop-signals';
import { InboxConversation } from './inbox-conversation';

/** The logged-in app: one store over one client for the whole session. */
export function Shell({ session, onLogout }: { session: StoredSession; onLogout: () => void }) {
  const storage = useMemo(() => userStorage(session), [session]);
  const store = useMemo(() => new ChatStore(sessionClient(session, storage)), [session, storage]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { t } = useTranslation();

  useEffect(() => {
    const { client } = store;
    const offState = client.on('state', (s) => {
      if (s.status === 'closed' && s.reason === 'unauthenticated') onLogout();
    });
    const stopSnapshots = keepSnapshots(storage, store);
    void loadSnapshot(storage).then((snapshot) => snapshot && store.hydrate(snapshot));
    store.load().catch((err: unknown) => {
      const code = (err as { code?: string }).code;
      if (code === 'UNAUTHENTICATED' || code === 'SESSION_EXPIRED') onLogout();
      else setLoadError(code ?? 'NETWORK');
    });
    // Offline at start is fine: the SDK keeps trying, and the outbox waits in IndexedDB.
    client.connect().catch(() => {});
    const typingTimer = setInterval(() => store.expireTyping(), 1000);
    // Back online: reconnect now instead of waiting out the backoff.
    const onOnline = () => client.reconnect();
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('online', onOnline);
      stopSnapshots();
      offState();
      clearInterval(typingTimer);
      client.close();
    };
  }, [store, storage, onLogout]);

  return (
    <ChatContext.Provider value={store}>
      <ShellLayout onLogout={onLogout} />
      {loadError ? (
        <p className="toast" role="alert">
          {t('errors.generic', { code: loadError })}
        </p>
      ) : null}
    </ChatContext.Provider>
  );
}

/** Chats or the team inbox, for staff who serve customers. */
function SidebarSwitch({ inbox }: { inbox: boolean }) {
  const { t } = useTranslation();
  return (
    <nav className="sidebar-switch" aria-label={t('inbox.title')}>
      <button
        type="button"
        className={inbox ? 'tab' : 'tab active'}
        aria-pressed={!inbox}
        onClick={() => navigate({ name: 'home' })}
      >
        {t('inbox.chats')}
      </button>
      <button
        type="button"
        className={inbox ? 'tab active' : 'tab'}
        aria-pressed={inbox}
        onClick={() => navigate({ name: 'inbox', id: null })}
      >
        {t('inbox.title')}
      </button>
    </nav>
  );
}

function ShellLayout({ onLogout }: { onLogout: () => void }) {
  const route = useRoute();
  const [searching, setSearching] = useState(false);
  const { t } = useTranslation();
  const role = useChat((s) => s.me?.role);
  useDesktopSignals();
  useShortcuts({ openSearch: () => setSearching(true) });
  const activeId = route.name === 'chat' ? route.id : null;
  const inInbox = route.name === 'inbox' || route.name === 'reports' || route.name === 'contacts';
  const serves = role === 'owner' || role === 'admin' || role === 'agent';
  const showMain =
    route.name === 'chat' ||
    route.name === 'settings' ||
    route.name === 'reports' ||
    route.name === 'contacts' ||
    (route.name === 'inbox' && route.id !== null);
  return (
    <div className={showMain ? 'shell shell-main' : 'shell'}>
      <ConnectionBanner />
      <aside className="sidebar" aria-label={inInbox ? t('inbox.title') : t('chats.title')}>
        {serves ? <SidebarSwitch inbox={inInbox} /> : null}
        {inInbox ? (
          <InboxList activeId={route.name === 'inbox' ? route.id : null} />
        ) : (
          <ChatList activeId={activeId} onSearch={() => setSearching(true)} />
        )}
      </aside>
      <main className="main">
        {route.name === 'chat' ? (
          <ConversationView key={route.id} conversationId={route.id} />
        ) : route.name === 'inbox' && route.id ? (
          <InboxConversation key={route.id} conversationId={route.id} />
        ) : route.name === 'reports' ? (
          <ReportsView />
        ) : route.name === 'contacts' ? (
          <ContactsView />
        ) : route.name === 'settings' ? (
          <SettingsView onLogout={onLogout}>
            {role === 'owner' || role === 'admin' ? <InboxSettings /> : null}
          </SettingsView>
        ) : (
          <div className="empty-state">
            <img src="/icon.svg" alt="" width={72} height={72} />
            <p>{t('conversation.pick')}</p>
          </div>
        )}
      </main>
      {searching ? <SearchDialog onClose={() => setSearching(false)} /> : null}
    </div>
  );
}

/** Ctrl+K search; Alt+↑/↓ previous/next chat in list order. */
function useShortcuts({ openSearch }: { openSearch: () => void }) {
  const route = useRoute();
  const conversations = useChat((s) => s.conversations);
  const prefs = useChat((s) => s.prefs);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        openSearch();
        return;
      }
      if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        // Within the list the current chat is in: the main list, or the archive.
        const archived = route.name === 'chat' && isArchived(prefs[route.id]);
        const list = orderedConversations(conversations, prefs, { archived });
        if (list.length === 0) return;
        e.preventDefault();
        const current = route.name === 'chat' ? list.findIndex((c) => c.conversation.id === route.id) : -1;
        const next = e.key === 'ArrowDown' ? Math.min(list.length - 1, current + 1) : Math.max(0, current - 1);
        const target = list[next];
        if (target) navigate({ name: 'chat', id: target.conversation.id });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openSearch, route, conversations, prefs]);
}
