import type { Agent, InboxEntry, InboxStatus, Team } from '@kurier/protocol';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { saveFile } from '../../lib/save-file';
import { useChat, useStore } from '../../lib/use-chat';
import { ErrorText } from '../../ui/error-text';

const HOUR = 3_600_000;

/** Snooze choices: in an hour, tomorrow 9:00, next Monday 9:00 (local time). */
function snoozeTimes(now = new Date()): { key: string; at: number }[] {
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const monday = new Date(now);
  monday.setDate(now.getDate() + ((8 - now.getDay()) % 7 || 7));
  monday.setHours(9, 0, 0, 0);
  return [
    { key: 'hour', at: now.getTime() + HOUR },
    { key: 'tomorrow', at: tomorrow.getTime() },
    { key: 'monday', at: monday.getTime() },
  ];
}

/**
 * The inbox controls of a customer conversation: who owns it, its status, team and labels, and
 * a warning when a colleague is already typing an answer.
 */
export function InboxBar({ entry }: { entry: InboxEntry }) {
  const { t } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const users = useChat((s) => s.users);
  const typing = useChat((s) => s.typing[entry.conversationId]);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [labels, setLabels] = useState(entry.labels.join(', '));
  const [error, setError] = useState<string | null>(null);
  const id = entry.conversationId;

  useEffect(() => {
    void store.client.inbox.agents().then(setAgents, () => {});
    void store.client.inbox.teams().then(setTeams, () => {});
  }, [store]);
  useEffect(() => setLabels(entry.labels.join(', ')), [entry.labels]);

  const run = (action: () => Promise<unknown>) => {
    setError(null);
    action().catch((err: unknown) => setError((err as { code?: string }).code ?? 'NETWORK'));
  };
  const status = (s: InboxStatus, snoozedUntil?: number) =>
    run(() => store.client.inbox.setStatus(id, snoozedUntil ? { status: s, snoozedUntil } : { status: s }));
  const colleagues = Object.keys(typing ?? {}).filter((u) => u !== me?.id && u !== entry.contact.id);

  return (
    <div className="inbox-bar" data-testid="inbox-bar">
      <div className="inbox-bar-row">
        <label>
          <span>{t('inbox.assignee')}</span>
          <select
            value={entry.assigneeId ?? ''}
            onChange={(e) => run(() => store.client.inbox.assign(id, e.target.value || null))}
          >
            <option value="">{t('inbox.unassigned')}</option>
            {agents.map((a) => (
              <option key={a.userId} value={a.userId}>
                {a.userId === me?.id ? t('inbox.me', { name: a.displayName }) : a.displayName}
                {a.online ? ' ●' : ''}
              </option>
            ))}
          </select>
        </label>
        {entry.assigneeId !== me?.id ? (
          <button
            type="button"
            className="secondary"
            onClick={() => run(() => store.client.inbox.assign(id, me?.id ?? null))}
          >
            {t('inbox.takeIt')}
          </button>
        ) : null}
        <label>
          <span>{t('inbox.team')}</span>
          <select
            value={entry.teamId ?? ''}
            onChange={(e) => e.target.value && run(() => store.client.inbox.transfer(id, e.target.value))}
          >
            <option value="">—</option>
            {teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
        <span className={`status-chip status-${entry.status}`}>{t(`inbox.statuses.${entry.status}`)}</span>
        {entry.status === 'resolved' ? (
          <button type="button" className="secondary" onClick={() => status('open')}>
            {t('inbox.reopen')}
          </button>
        ) : (
          <>
            <button type="button" className="primary" onClick={() => status('resolved')}>
              {t('inbox.resolve')}
            </button>
            {entry.status !== 'pending' ? (
              <button type="button" className="secondary" onClick={() => status('pending')}>
                {t('inbox.setPending')}
              </button>
            ) : null}
            <select
              aria-label={t('inbox.snooze')}
              value=""
              onChange={(e) => e.target.value && status('snoozed', Number(e.target.value))}
            >
              <option value="">{t('inbox.snooze')}</option>
              {snoozeTimes().map((s) => (
                <option key={s.key} value={s.at}>
                  {t(`inbox.snoozeUntil.${s.key}`)}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      <div className="inbox-bar-row">
        <span className="muted">{entry.contact.email}</span>
        <form
          className="labels-form"
          onSubmit={(e) => {
            e.preventDefault();
            const list = labels.split(/[,\s]+/).filter(Boolean);
            run(() => store.client.inbox.setLabels(id, list));
          }}
        >
          <label>
            <span>{t('inbox.labels')}</span>
            <input value={labels} onChange={(e) => setLabels(e.target.value)} placeholder={t('inbox.labelsHint')} />
          </label>
        </form>
        {entry.csatScore ? <span className="chip">{t('inbox.rated', { score: entry.csatScore })}</span> : null}
        <button
          type="button"
          className="link"
          onClick={() =>
            run(async () => {
              const html = await store.client.requestText(
                `/api/v1/inbox/conversations/${encodeURIComponent(id)}/transcript`,
              );
              saveFile(`transcript-${id}.html`, html, 'text/html');
            })
          }
        >
          {t('inbox.transcript')}
        </button>
      </div>
      {colleagues.length > 0 ? (
        <p className="collision" role="status">
          {t('inbox.collision', { names: colleagues.map((u) => users[u]?.displayName ?? '…').join(', ') })}
        </p>
      ) : null}
      <ErrorText code={error} />
    </div>
  );
}
