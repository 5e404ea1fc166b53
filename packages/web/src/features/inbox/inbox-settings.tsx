import type { Agent, CannedReply, InboxAdmin, Team, User } from '@kurier/protocol';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorCode } from '../../lib/session';
import { useChat, useStore } from '../../lib/use-chat';
import { ErrorText } from '../../ui/error-text';

/** The snippet a website pastes before `</body>`. */
function embedCode(key: string): string {
  return `<script src="${location.origin}/widget.js" data-key="${key}" async></script>`;
}

/**
 * Team inbox setup for owners and admins: inboxes with their embed code and guest link, teams
 * and who is in them, how many conversations routing gives each agent, and canned replies.
 */
export function InboxSettings() {
  const { t } = useTranslation();
  const store = useStore();
  const users = useChat((s) => s.users);
  const [inboxes, setInboxes] = useState<InboxAdmin[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [canned, setCanned] = useState<CannedReply[]>([]);
  const [error, setError] = useState<string | null>(null);
  const { client } = store;

  const reload = useCallback(async () => {
    const [i, tm, a, c] = await Promise.all([
      client.inbox.inboxes(),
      client.inbox.teams(),
      client.inbox.agents(),
      client.inbox.cannedReplies(),
    ]);
    setInboxes(i as InboxAdmin[]);
    setTeams(tm);
    setAgents(a);
    setCanned(c);
  }, [client]);
  useEffect(() => {
    reload().catch((err: unknown) => setError(errorCode(err)));
  }, [reload]);
  const run = (action: () => Promise<unknown>) => (e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    action()
      .then(reload)
      .catch((err: unknown) => setError(errorCode(err)));
  };
  const staff = Object.values(users).filter((u): u is User => u.username !== '');

  return (
    <fieldset className="inbox-settings">
      <legend>{t('inboxSettings.title')}</legend>
      <ErrorText code={error} />
      <h3>{t('inboxSettings.teams')}</h3>
      {teams.map((team) => (
        <div key={team.id} className="team">
          <strong>{team.name}</strong>
          <div className="members">
            {staff.map((u) => (
              <label key={u.id} className="choice">
                <input
                  type="checkbox"
                  checked={team.memberIds.includes(u.id)}
                  onChange={run(() =>
                    client.request('PUT', `/api/v1/teams/${team.id}`, {
                      name: team.name,
                      memberIds: team.memberIds.includes(u.id)
                        ? team.memberIds.filter((id) => id !== u.id)
                        : [...team.memberIds, u.id],
                    }),
                  )}
                />
                {u.displayName}
              </label>
            ))}
          </div>
        </div>
      ))}
      <NamedForm
        label={t('inboxSettings.newTeam')}
        onSubmit={(name) => run(() => client.request('POST', '/api/v1/teams', { name, memberIds: [] }))()}
      />

      <h3>{t('inboxSettings.inboxes')}</h3>
      {inboxes.map((inbox) => (
        <div key={inbox.id} className="inbox-card">
          <strong>{inbox.name}</strong>
          <label>
            {t('inboxSettings.embed')}
            <input readOnly value={embedCode(inbox.widgetKey)} onFocus={(e) => e.target.select()} />
          </label>
          <label>
            {t('inboxSettings.guestLink')}
            <input readOnly value={`${location.origin}/c/${inbox.slug}`} onFocus={(e) => e.target.select()} />
          </label>
          <div className="members">
            {teams.map((team) => (
              <label key={team.id} className="choice">
                <input
                  type="checkbox"
                  checked={inbox.teamIds.includes(team.id)}
                  onChange={run(() =>
                    client.request('PATCH', `/api/v1/inboxes/${inbox.id}`, {
                      teamIds: inbox.teamIds.includes(team.id)
                        ? inbox.teamIds.filter((id) => id !== team.id)
                        : [...inbox.teamIds, team.id],
                    }),
                  )}
                />
                {team.name}
              </label>
            ))}
          </div>
        </div>
      ))}
      <NamedForm
        label={t('inboxSettings.newInbox')}
        onSubmit={(name) => run(() => client.request('POST', '/api/v1/inboxes', { name }))()}
      />

      <h3>{t('inboxSettings.capacity')}</h3>
      <table className="report-table">
        <tbody>
          {agents.map((a) => (
            <tr key={a.userId}>
              <td>{a.displayName}</td>
              <td>{t('inboxSettings.open', { count: a.open })}</td>
              <td>
                <input
                  type="number"
                  min={0}
                  max={100}
                  aria-label={t('inboxSettings.capacityOf', { name: a.displayName })}
                  defaultValue={a.capacity}
                  onBlur={(e) => run(() => client.inbox.setCapacity(a.userId, Number(e.target.value)))()}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>{t('inboxSettings.canned')}</h3>
      <ul className="canned-list">
        {canned.map((c) => (
          <li key={c.id}>
            <strong>/{c.shortcut}</strong> {c.text}{' '}
            <button
              type="button"
              className="link"
              onClick={run(() => client.request('DELETE', `/api/v1/canned-replies/${c.id}`))}
            >
              {t('common.delete')}
            </button>
          </li>
        ))}
      </ul>
      <CannedForm onSubmit={(shortcut, text) => run(() => client.inbox.createCannedReply({ shortcut, text }))()} />
    </fieldset>
  );
}

function NamedForm({ label, onSubmit }: { label: string; onSubmit: (name: string) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) onSubmit(name.trim());
        setName('');
      }}
    >
      <input
        aria-label={label}
        placeholder={label}
        value={name}
        onChange={(e) => setName(e.target.value)}
        maxLength={100}
      />
      <button type="submit">{t('common.add')}</button>
    </form>
  );
}

function CannedForm({ onSubmit }: { onSubmit: (shortcut: string, text: string) => void }) {
  const { t } = useTranslation();
  const [shortcut, setShortcut] = useState('');
  const [text, setText] = useState('');
  return (
    <form
      className="inline-form canned-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!shortcut || !text.trim()) return;
        onSubmit(shortcut, text.trim());
        setShortcut('');
        setText('');
      }}
    >
      <input
        aria-label={t('inboxSettings.shortcut')}
        placeholder="hallo"
        value={shortcut}
        pattern="[a-z0-9][a-z0-9_\-]{0,29}"
        onChange={(e) => setShortcut(e.target.value.toLowerCase())}
      />
      <input
        aria-label={t('inboxSettings.cannedText')}
        placeholder={t('inboxSettings.cannedPlaceholder')}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit">{t('common.add')}</button>
    </form>
  );
}
