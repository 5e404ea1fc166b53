import type { Contact } from '@kurier/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDay } from '../../lib/format';
import { navigate } from '../../lib/router';
import { saveFile } from '../../lib/save-file';
import { errorCode } from '../../lib/session';
import { useChat, useStore } from '../../lib/use-chat';
import { BackButton } from '../../ui/back-button';
import { ErrorText } from '../../ui/error-text';
import { ContactPanel } from './contact-panel';

/** Contacts: search, profile, merging duplicates, and CSV import and export (admins). */
export function ContactsView() {
  const { t } = useTranslation();
  const store = useStore();
  const role = useChat((s) => s.me?.role);
  const admin = role === 'owner' || role === 'admin';
  const [q, setQ] = useState('');
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [duplicate, setDuplicate] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { inbox } = store.client;

  const load = useCallback(
    () =>
      inbox.contacts({ limit: 200, ...(q.trim() ? { q: q.trim() } : {}) }).then(
        (page) => setContacts(page.contacts),
        (err: unknown) => setError(errorCode(err)),
      ),
    [inbox, q],
  );
  useEffect(() => {
    const timer = setTimeout(() => void load(), 200);
    return () => clearTimeout(timer);
  }, [load]);

  const run = (action: () => Promise<unknown>) => {
    setError(null);
    action()
      .then(load)
      .catch((err: unknown) => setError(errorCode(err)));
  };

  return (
    <section className="settings contacts" aria-label={t('contacts.title')}>
      <header className="conversation-header">
        <BackButton label={t('common.back')} onClick={() => navigate({ name: 'inbox', id: null })} />
        <h1>{t('contacts.title')}</h1>
      </header>
      <div className="pad contacts-controls">
        <input
          type="search"
          aria-label={t('contacts.search')}
          placeholder={t('contacts.search')}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        {admin ? (
          <>
            <button
              type="button"
              className="secondary"
              onClick={() => run(async () => saveFile('kontakte.csv', await inbox.exportContacts(), 'text/csv'))}
            >
              {t('contacts.export')}
            </button>
            <label className="secondary file-button">
              {t('contacts.import')}
              <input
                type="file"
                accept=".csv,text/csv"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  e.target.value = '';
                  if (file)
                    run(async () => {
                      const result = await inbox.importContacts(await file.text());
                      setNotice(
                        t('contacts.imported', {
                          created: result.created,
                          updated: result.updated,
                          errors: result.errors.length,
                        }),
                      );
                    });
                }}
              />
            </label>
          </>
        ) : null}
      </div>
      {notice ? (
        <p className="notice pad" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorText code={error} />
      <div className="contacts-body">
        {contacts === null ? (
          <p className="muted pad">{t('common.loading')}</p>
        ) : contacts.length === 0 ? (
          <p className="empty-list pad">{t('contacts.empty')}</p>
        ) : (
          <table className="report-table">
            <thead>
              <tr>
                <th>{t('contacts.name')}</th>
                <th>{t('contacts.email')}</th>
                <th>{t('contacts.tags')}</th>
                <th>{t('contacts.since')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {contacts.map((c) => (
                <tr key={c.id} aria-selected={c.id === selected}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(c.id)}>
                      {c.name ?? '—'}
                    </button>
                    {c.blockedAt ? <span className="chip chip-warn">{t('contacts.blocked')}</span> : null}
                  </td>
                  <td>{c.email}</td>
                  <td>{c.tags.join(', ')}</td>
                  <td>{formatDay(c.createdAt)}</td>
                  <td>
                    {duplicate && duplicate !== c.id ? (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() =>
                          run(async () => {
                            await inbox.mergeContact(c.id, duplicate);
                            setDuplicate(null);
                            setSelected(c.id);
                          })
                        }
                      >
                        {t('contacts.mergeHere')}
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="link"
                        onClick={() => setDuplicate(duplicate === c.id ? null : c.id)}
                      >
                        {duplicate === c.id ? t('common.cancel') : t('contacts.markDuplicate')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {selected ? <ContactPanel key={selected} contactId={selected} /> : null}
      </div>
    </section>
  );
}
