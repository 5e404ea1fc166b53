import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { mentions } from '../lib/mentions';
import { attentionCount, isArchived, isMuted } from '../lib/order';
import { notificationsEnabled } from '../lib/prefs';
import { navigate } from '../lib/router';
import { useChat, useStore } from '../lib/use-chat';

/** Unread count in the title and the installed app's badge; notifications while hidden. */
export function useDesktopSignals(): void {
  const store = useStore();
  const { t } = useTranslation();
  const unread = useChat((s) => s.unread);
  const prefs = useChat((s) => s.prefs);

  useEffect(() => {
    // Muted and archived chats keep their own badge in the list but do not call for attention.
    const total = attentionCount(unread, prefs);
    document.title = total > 0 ? `(${total}) ${t('app.name')}` : t('app.name');
    const nav = navigator as Navigator & { setAppBadge?(n: number): Promise<void>; clearAppBadge?(): Promise<void> };
    if (total > 0) void nav.setAppBadge?.(total).catch(() => {});
    else void nav.clearAppBadge?.().catch(() => {});
  }, [unread, prefs, t]);

  useEffect(
    () =>
      store.client.on('message', (message, { isNew }) => {
        const me = store.state.me;
        if (!isNew || message.senderId === me?.id || message.type === 'system') return;
        if (!document.hidden || !notificationsEnabled()) return;
        const prefs = store.state.prefs[message.conversationId];
        if (isMuted(prefs) || isArchived(prefs)) return;
        const detail = store.state.conversations[message.conversationId];
        // Staff receive every customer message of their inboxes; only what is theirs calls: a
        // note that mentions them, or a customer writing in a conversation they own.
        const customer = !detail || detail.conversation.kind === 'customer';
        const mine = detail?.members.some((m) => m.userId === me?.id && m.leftAt === null) ?? false;
        const route = customer ? ({ name: 'inbox', id: message.conversationId } as const) : null;
        if (customer && !(message.type === 'note' ? mentions(message.text, me?.username) : mine)) return;
        const sender = store.state.users[message.senderId]?.displayName ?? '';
        const title = detail?.conversation.kind === 'group' ? `${sender} · ${detail.conversation.name ?? ''}` : sender;
        // Only the conversation id goes to the OS tag; the text stays in the notification body.
        const n = new Notification(title, { body: message.text ?? '', tag: message.conversationId, icon: '/icon.svg' });
        n.onclick = () => {
          window.focus();
          navigate(route ?? { name: 'chat', id: message.conversationId });
          n.close();
        };
      }),
    [store],
  );
}
