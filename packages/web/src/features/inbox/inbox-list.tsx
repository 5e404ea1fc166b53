import type { InboxEntry, InboxStatus, InboxView, Team } from '@kurier/protocol';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatListTime } from '../../lib/format';
import { navigate } from '../../lib/router';
import { systemText } from '../../lib/system-text';
import { useChat, useStore } from '../../lib/use-chat';
import { Avatar } from '../../ui/avatar';
import { ErrorText } from '../../ui/error-text';
import { useInboxView } from './use-inbox';
import { waitingFor } from './waiting';

const VIEWS: InboxView[] = ['mine', 'unassigned', 'all'];
const STATUSES: InboxStatus[] = ['open', 'pending', 'snoozed', 'resolved'];

function Row({ entry, active }: { entry: InboxEntry; active: boolean }) {
  const { t, i18n } = useTranslation();
  const users = useChat((s) => s.users);
  const last = entry.lastMessage;
  const preview = !last
    ? ''
    : last.type === 'note'
      ? `${t('inbox.note')}: ${last.text ?? ''}`
      : last.type === 'system'
        ? systemText(last, users, t)
        : (last.text ?? (last.media ? `📎 ${last.media.name}` : ''));
  const name = entry.contact.name ?? entry.contact.email ?? t('inbox.customer');
  return (
    <li className="chat-row">
      <a
        href={`/inbox/${encodeURIComponent(entry.conversationId)}`}
        className={active ? 'conversation-row active' : 'conversation-row'}
        aria-current={active ? 'page' : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate({ name: 'inbox', id: entry.conversationId });
        }}
      >
        <Avatar id={entry.contact.id} name={name} />
        <span className="row-main">
          <span className="row-title">{name}</span>
          <span className="row-preview">{preview}</span>
          <span className="inbox-chips">
            {entry.assigneeId ? (
              <span className="chip">{users[entry.assigneeId]?.displayName ?? '…'}</span>
            ) : (
              <span className="chip chip-warn">{t('inbox.unassigned')}</span>
            )}
            {entry.waitingSince && entry.status === 'open' ? (
              <span className="chip chip-wait">
                {t('inbox.waiting', { time: waitingFor(entry.waitingSince, { locale: i18n.language }) })}
              </span>
            ) : null}
            {entry.labels.map((l) => (
              <span key={l} className="chip chip-label">
                {l}
              </span>
            ))}
          </span>
        </span>
        <span className="row-meta">
          <time dateTime={new Date(entry.lastActivityAt).toISOString()}>{formatListTime(entry.lastActivityAt)}</time>
        </span>
      </a>
    </li>
  );
}

/** The inbox sidebar: views with live counts, status and label filters, the conversations. */
export function InboxList({ activeId }: { activeId: string | null }) {
  const { t } = useTranslation();
  const role = useChat((s) => s.me?.role);
  const [view, setView] = useState<InboxView>('mine');
  const [status, setStatus] = useState<InboxStatus>('open');
  const [label, setLabel] = useState('');
  const [teamId, setTeamId] = useState('');
  const [teams, setTeams] = useState<Team[]>([]);
  const store = useStore();
  useEffect(() => {
    void store.client.inbox.teams().then(setTeams, () => {});
  }, [store]);
  const { items, counts, error } = useInboxView({
    view,
    status,
    ...(label ? { label } : {}),
    ...(teamId ? { teamId } : {}),
  });
  const labels = Object.keys(counts?.byLabel ?? {}).sort();

  return (
    <div className="chat-list inbox-list">
      <nav className="inbox-views" aria-label={t('inbox.views')}>
        {VIEWS.map((v) => (
          <button
            key={v}
            type="button"
            className={v === view ? 'tab active' : 'tab'}
            aria-pressed={v === view}
            onClick={() => setView(v)}
          >
            {t(`inbox.view.${v}`)}
            {counts ? <span className="count">{counts[v]}</span> : null}
          </button>
        ))}
      </nav>
      <div className="inbox-filters">
        <label>
          <span className="sr-only">{t('inbox.status')}</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as InboxStatus)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`inbox.statuses.${s}`)}
                {counts ? ` (${counts.byStatus[s]})` : ''}
              </option>
            ))}
          </select>
        </label>
        {teams.length > 0 ? (
          <label>
            <span className="sr-only">{t('inbox.team')}</span>
            <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">{t('inbox.allTeams')}</option>
              {teams.map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name}
                  {counts?.byTeam[team.id] ? ` (${counts.byTeam[team.id]})` : ''}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          <span className="sr-only">{t('inbox.label')}</span>
          <select value={label} onChange={(e) => setLabel(e.target.value)}>
            <option value="">{t('inbox.allLabels')}</option>
            {labels.map((l) => (
              <option key={l} value={l}>
                {l} ({counts?.byLabel[l]})
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="link" onClick={() => navigate({ name: 'contacts' })}>
          {t('contacts.title')}
        </button>
        {role === 'owner' || role === 'admin' ? (
          <button type="button" className="link" onClick={() => navigate({ name: 'reports' })}>
            {t('inbox.reports')}
          </button>
        ) : null}
      </div>
      {error ? <ErrorText code={error} /> : null}
      {items === null ? (
        <p className="muted pad">{t('common.loading')}</p>
      ) : items.length === 0 ? (
        <p className="empty-list pad">{t(`inbox.empty.${view}`)}</p>
      ) : (
        <ul className="conversations">
          {items.map((entry) => (
            <Row key={entry.conversationId} entry={entry} active={entry.conversationId === activeId} />
          ))}
        </ul>
      )}
    </div>
  );
}
