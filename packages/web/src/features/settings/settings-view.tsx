import type { InviteResponse, Session } from '@kurier/protocol';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDay, formatTime } from '../../lib/format';
import { type Language, setLanguage } from '../../lib/i18n';
import { setNotifications, setTheme, type Theme, usePrefs } from '../../lib/prefs';
import { navigate } from '../../lib/router';
import { errorCode } from '../../lib/session';
import { useChat, useStore } from '../../lib/use-chat';
import { BackButton } from '../../ui/back-button';
import { ErrorText } from '../../ui/error-text';
import { Field } from '../../ui/field';

/** Language, theme, notifications, password, devices, invitations, logout. */
export function SettingsView({ onLogout, children }: { onLogout: () => void; children?: ReactNode }) {
  const { t, i18n } = useTranslation();
  const store = useStore();
  const me = useChat((s) => s.me);
  const prefs = usePrefs();
  const blocked = 'Notification' in window && Notification.permission === 'denied';
  const logout = async (everywhere: boolean) => {
    await store.client.request('POST', everywhere ? '/api/v1/logout-all' : '/api/v1/logout').catch(() => {});
    onLogout();
  };
  return (
    <section className="settings" aria-label={t('settings.title')}>
      <header className="conversation-header">
        <BackButton label={t('common.back')} onClick={() => navigate({ name: 'home' })} />
        <div className="header-text">
          <h1>{t('settings.title')}</h1>
          {me ? (
            <span className="muted">
              {me.displayName} · @{me.username} · {t(`roles.${me.role}`)}
            </span>
          ) : null}
        </div>
      </header>
      <div className="settings-body">
        <fieldset>
          <legend>{t('settings.language')}</legend>
          {(['de', 'en'] as Language[]).map((lang) => (
            <label key={lang} className="choice">
              <input
                type="radio"
                name="language"
                checked={i18n.language === lang}
                onChange={() => void setLanguage(lang)}
              />
              {lang === 'de' ? 'Deutsch' : 'English'}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('settings.theme')}</legend>
          {(['system', 'light', 'dark'] as Theme[]).map((th) => (
            <label key={th} className="choice">
              <input type="radio" name="theme" checked={prefs.theme === th} onChange={() => setTheme(th)} />
              {t(`settings.theme${th[0]?.toUpperCase()}${th.slice(1)}`)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('settings.notifications')}</legend>
          <label className="choice">
            <input
              type="checkbox"
              checked={prefs.notifications}
              disabled={blocked}
              onChange={(e) => void setNotifications(e.target.checked)}
            />
            {t('settings.notificationsOn')}
          </label>
          {blocked ? <p className="muted">{t('settings.notificationsBlocked')}</p> : null}
        </fieldset>
        <PasswordForm />
        <Sessions />
        {me && me.role !== 'member' ? <Invite /> : null}
        {children}
        <fieldset>
          <legend>{t('shortcuts.title')}</legend>
          <ul className="shortcuts">
            <li>{t('shortcuts.send')}</li>
            <li>{t('shortcuts.search')}</li>
            <li>{t('shortcuts.switch')}</li>
            <li>{t('shortcuts.close')}</li>
          </ul>
        </fieldset>
        <div className="button-row">
          <button type="button" onClick={() => void logout(false)}>
            {t('settings.logout')}
          </button>
          <button type="button" className="danger" onClick={() => void logout(true)}>
            {t('settings.logoutAll')}
          </button>
        </div>
      </div>
    </section>
  );
}

function PasswordForm() {
  const { t } = useTranslation();
  const store = useStore();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      await store.client.request('POST', '/api/v1/me/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (err) {
      setError(errorCode(err));
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      <fieldset>
        <legend>{t('settings.password')}</legend>
        <Field
          label={t('settings.currentPassword')}
          type="password"
          autoComplete="current-password"
          value={current}
          onValue={setCurrent}
          required
        />
        <Field
          label={t('settings.newPassword')}
          type="password"
          autoComplete="new-password"
          minLength={10}
          value={next}
          onValue={setNext}
          required
        />
        <ErrorText code={error} />
        {done ? <p role="status">{t('settings.passwordChanged')}</p> : null}
        <button type="submit">{t('common.save')}</button>
      </fieldset>
    </form>
  );
}

function Sessions() {
  const { t } = useTranslation();
  const store = useStore();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const reload = () => void store.client.sessions().then(setSessions, () => setSessions([]));
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per mount
  useEffect(reload, []);
  return (
    <fieldset>
      <legend>{t('settings.sessions')}</legend>
      {sessions === null ? <p className="muted">{t('common.loading')}</p> : null}
      <ul className="sessions">
        {sessions?.map((s) => (
          <li key={s.id}>
            <span>
              <strong>{s.deviceName}</strong>
              {s.current ? ` · ${t('settings.thisDevice')}` : ''}
              <span className="muted">
                {' '}
                · {t('settings.lastActive', { when: `${formatDay(s.lastUsedAt)} ${formatTime(s.lastUsedAt)}` })}
              </span>
            </span>
            {!s.current ? (
              <button
                type="button"
                onClick={() => void store.client.request('DELETE', `/api/v1/sessions/${s.id}`).then(reload, reload)}
              >
                {t('settings.logoutDevice')}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

function Invite() {
  const { t } = useTranslation();
  const store = useStore();
  const [role, setRole] = useState<'member' | 'agent' | 'admin'>('member');
  const [invite, setInvite] = useState<InviteResponse | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const create = async () => {
    setError(null);
    setCopied(false);
    try {
      setInvite(await store.client.request<InviteResponse>('POST', '/api/v1/invites', { role }));
    } catch (err) {
      setError(errorCode(err));
    }
  };
  return (
    <fieldset>
      <legend>{t('settings.invite')}</legend>
      <div className="inline-form">
        <select
          aria-label={t('settings.inviteRole')}
          value={role}
          onChange={(e) => setRole(e.target.value as 'member' | 'agent' | 'admin')}
        >
          <option value="member">{t('roles.member')}</option>
          <option value="agent">{t('roles.agent')}</option>
          <option value="admin">{t('roles.admin')}</option>
        </select>
        <button type="button" onClick={() => void create()}>
          {t('settings.createInvite')}
        </button>
      </div>
      <ErrorText code={error} />
      {invite ? (
        <div className="invite">
          <p className="muted">{t('settings.inviteLink')}</p>
          <input
            readOnly
            value={invite.url}
            aria-label={t('settings.invite')}
            data-testid="invite-url"
            onFocus={(e) => e.target.select()}
          />
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard?.writeText(invite.url).then(
                () => setCopied(true),
                () => {},
              )
            }
          >
            {copied ? t('common.copied') : t('common.copy')}
          </button>
        </div>
      ) : null}
    </fieldset>
  );
}
