import type { AuthResponse } from '@kurier/protocol';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../lib/router';
import { anonymousClient, deviceName, errorCode } from '../../lib/session';
import { ErrorText } from '../../ui/error-text';
import { Field } from '../../ui/field';

type OnAuth = (auth: AuthResponse) => void;

function AuthCard({ title, intro, children }: { title: string; intro?: string; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="auth-brand">
          <img src="/icon.svg" alt="" width={48} height={48} />
          <div>
            <strong>{t('app.name')}</strong>
            <span>{t('app.tagline')}</span>
          </div>
        </div>
        <h1>{title}</h1>
        {intro ? <p className="muted">{intro}</p> : null}
        {children}
      </div>
    </main>
  );
}

/** Runs a credential request, keeping the error code for display. */
function useSubmit<TValues>(onAuth: OnAuth, run: (values: TValues) => Promise<AuthResponse>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent, values: TValues) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAuth(await run(values));
    } catch (err) {
      setError(errorCode(err));
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

/** Username and password. */
export function LoginScreen({ onAuth }: { onAuth: OnAuth }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [setupNeeded, setSetupNeeded] = useState(false);
  const { busy, error, submit } = useSubmit(onAuth, () =>
    anonymousClient().login(username.trim(), password, deviceName()),
  );
  useEffect(() => {
    anonymousClient()
      .request<{ needed: boolean }>('GET', '/api/v1/setup')
      .then((r) => setSetupNeeded(r.needed))
      .catch(() => {});
  }, []);
  return (
    <AuthCard title={t('auth.loginTitle')}>
      {setupNeeded ? <p className="notice">{t('auth.setupNeeded')}</p> : null}
      <form onSubmit={(e) => void submit(e, null)} className="form">
        <Field label={t('auth.username')} autoComplete="username" value={username} onValue={setUsername} required />
        <Field
          label={t('auth.password')}
          type="password"
          autoComplete="current-password"
          value={password}
          onValue={setPassword}
          required
        />
        <ErrorText code={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('auth.login')}
        </button>
      </form>
    </AuthCard>
  );
}

interface NewAccount {
  username: string;
  displayName: string;
  password: string;
}

function NewAccountForm({
  button,
  onSubmit,
  busy,
  error,
}: {
  button: string;
  onSubmit: (e: FormEvent, values: NewAccount) => void;
  busy: boolean;
  error: string | null;
}) {
  const { t } = useTranslation();
  const [displayName, setDisplayName] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      onSubmit={(e) => onSubmit(e, { username: username.trim(), displayName: displayName.trim(), password })}
      className="form"
    >
      <Field
        label={t('auth.displayName')}
        autoComplete="name"
        value={displayName}
        onValue={setDisplayName}
        required
        maxLength={80}
      />
      <Field
        label={t('auth.username')}
        autoComplete="username"
        value={username}
        onValue={setUsername}
        required
        pattern="[a-zA-Z0-9._\-]{2,32}"
      />
      <Field
        label={t('auth.newPassword')}
        type="password"
        autoComplete="new-password"
        minLength={10}
        value={password}
        onValue={setPassword}
        required
      />
      <ErrorText code={error} />
      <button type="submit" className="primary" disabled={busy}>
        {button}
      </button>
    </form>
  );
}

/** First start: the owner account, from the one-time setup link. */
export function SetupScreen({ token, onAuth }: { token: string | null; onAuth: OnAuth }) {
  const { t } = useTranslation();
  const { busy, error, submit } = useSubmit(onAuth, (v: NewAccount) =>
    anonymousClient().setup({ token: token ?? '', ...v }),
  );
  if (!token) return <AuthCard title={t('auth.setupTitle')} intro={t('auth.setupMissingToken')} />;
  return (
    <AuthCard title={t('auth.setupTitle')} intro={t('auth.setupIntro')}>
      <NewAccountForm button={t('auth.setupButton')} busy={busy} error={error} onSubmit={(e, v) => void submit(e, v)} />
    </AuthCard>
  );
}

/** Accepting an invitation link. */
export function InviteScreen({ token, onAuth }: { token: string | null; onAuth: OnAuth }) {
  const { t } = useTranslation();
  const { busy, error, submit } = useSubmit(onAuth, (v: NewAccount) =>
    anonymousClient().acceptInvite({ token: token ?? '', ...v }),
  );
  if (!token) {
    return (
      <AuthCard title={t('auth.inviteTitle')} intro={t('auth.inviteMissingToken')}>
        <button type="button" onClick={() => navigate({ name: 'login' })}>
          {t('auth.login')}
        </button>
      </AuthCard>
    );
  }
  return (
    <AuthCard title={t('auth.inviteTitle')} intro={t('auth.inviteIntro')}>
      <NewAccountForm
        button={t('auth.inviteButton')}
        busy={busy}
        error={error}
        onSubmit={(e, v) => void submit(e, v)}
      />
    </AuthCard>
  );
}
