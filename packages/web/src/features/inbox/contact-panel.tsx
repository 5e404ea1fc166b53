import type { ContactDetail, InboxEntry } from '@kurier/protocol';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDay } from '../../lib/format';
import { navigate } from '../../lib/router';
import { errorCode } from '../../lib/session';
import { useStore } from '../../lib/use-chat';
import { ErrorText } from '../../ui/error-text';

/**
 * A contact's profile beside their conversation: name, e-mail, attributes, tags, consent, earlier
 * conversations, and blocking.
 */
export function ContactPanel({ contactId, current }: { contactId: string; current?: string }) {
  const { t } = useTranslation();
  const store = useStore();
  const [detail, setDetail] = useState<ContactDetail | null>(null);
  const [history, setHistory] = useState<InboxEntry[]>([]);
  const [tags, setTags] = useState('');
  const [error, setError] = useState<string | null>(null);
  const { inbox } = store.client;

  useEffect(() => {
    let live = true;
    void Promise.all([
      inbox.contact(contactId),
      ...(['open', 'pending', 'snoozed', 'resolved'] as const).map((status) =>
        inbox.view({ contactId, status, view: 'all', limit: 20 }),
      ),
    ]).then(
      ([d, ...pages]) => {
        if (!live) return;
        setDetail(d as ContactDetail);
        setTags((d as ContactDetail).contact.tags.join(', '));
        setHistory(
          pages.flatMap((p) => (p as { items: InboxEntry[] }).items).sort((a, b) => b.createdAt - a.createdAt),
        );
      },
      (err: unknown) => live && setError(errorCode(err)),
    );
    return () => {
      live = false;
    };
  }, [inbox, contactId]);

  const update = (patch: Parameters<typeof inbox.updateContact>[1]) => {
    setError(null);
    inbox.updateContact(contactId, patch).then(setDetail, (err: unknown) => setError(errorCode(err)));
  };
  if (!detail) return <aside className="contact-panel">{error ? <ErrorText code={error} /> : null}</aside>;
  const c = detail.contact;
  const consent = detail.consents.at(-1);

  return (
    <aside className="contact-panel" aria-label={t('contacts.profile')}>
      <h2>{c.name ?? t('inbox.customer')}</h2>
      <p className="muted">{c.email}</p>
      {c.externalId ? <p className="chip">{t('contacts.verified', { id: c.externalId })}</p> : null}
      <dl className="attributes">
        {Object.entries(c.attributes).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          update({ tags: tags.split(/[,\s]+/).filter(Boolean) });
        }}
      >
        <label>
          {t('contacts.tags')}
          <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder={t('inbox.labelsHint')} />
        </label>
      </form>
      <p className="muted small">
        {consent
          ? t('contacts.consent', {
              date: formatDay(consent.createdAt),
              source: consent.source.startsWith('widget:') ? t('contacts.viaWidget') : consent.source,
            })
          : t('contacts.noConsent')}
      </p>
      <h3>{t('contacts.conversations')}</h3>
      <ul className="contact-history">
        {history.map((h) => (
          <li key={h.conversationId}>
            <button
              type="button"
              className="link"
              aria-current={h.conversationId === current}
              onClick={() => navigate({ name: 'inbox', id: h.conversationId })}
            >
              {formatDay(h.createdAt)} · {t(`inbox.statuses.${h.status}`)}
            </button>
            <span className="muted"> {h.lastMessage?.text ?? ''}</span>
          </li>
        ))}
      </ul>
      <button
        type="button"
        className={c.blockedAt ? 'secondary' : 'danger'}
        onClick={() => {
          if (c.blockedAt || window.confirm(t('contacts.confirmBlock', { name: c.name ?? c.email ?? '' })))
            update({ blocked: !c.blockedAt });
        }}
      >
        {c.blockedAt ? t('contacts.unblock') : t('contacts.block')}
      </button>
      <ErrorText code={error} />
    </aside>
  );
}
