import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConversationView } from '../features/conversation/conversation-view';
import { ContactPanel } from '../features/inbox/contact-panel';
import { InboxBar } from '../features/inbox/inbox-bar';
import { useInboxEntry } from '../features/inbox/use-inbox';
import { useStore } from '../lib/use-chat';
import { ErrorText } from '../ui/error-text';

/** A customer conversation from the inbox: the conversation view with the inbox's controls. */
export function InboxConversation({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const store = useStore();
  const { entry, error } = useInboxEntry(conversationId);
  const [opened, setOpened] = useState<string | null>(null);
  const contactId = entry?.contact.id;
  const contactName = entry?.contact.name ?? null;

  useEffect(() => {
    if (!contactId) return;
    store.openCustomer(conversationId, { id: contactId, name: contactName }).then(
      () => setOpened(null),
      (err: unknown) => setOpened((err as { code?: string }).code ?? 'NETWORK'),
    );
  }, [store, conversationId, contactId, contactName]);

  if (error || opened) return <ErrorText code={error ?? opened} />;
  if (!entry) return <div className="empty-state">{t('common.loading')}</div>;
  return (
    <div className="inbox-conversation">
      <ConversationView conversationId={conversationId} inbox={entry} toolbar={<InboxBar entry={entry} />} />
      <ContactPanel key={entry.contact.id} contactId={entry.contact.id} current={conversationId} />
    </div>
  );
}
