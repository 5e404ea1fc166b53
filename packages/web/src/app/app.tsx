import type { AuthResponse } from '@kurier/protocol';
import { useCallback, useState } from 'react';
import { InviteScreen, LoginScreen, SetupScreen } from '../features/auth/auth-screens';
import { navigate, useRoute } from '../lib/router';
import { forgetSession, rememberSession, type StoredSession, storedSession } from '../lib/session';
import { Shell } from './shell';

/** Logged out: login, setup or invitation. Logged in: the messenger. */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<StoredSession | null>(storedSession);
  const onAuth = useCallback((auth: AuthResponse) => {
    setSession(rememberSession(auth));
    navigate({ name: 'home' }, { replace: true });
  }, []);
  const onLogout = useCallback(() => {
    forgetSession();
    setSession(null);
    navigate({ name: 'login' }, { replace: true });
  }, []);

  if (route.name === 'setup') return <SetupScreen token={route.token} onAuth={onAuth} />;
  if (route.name === 'invite' && !session) return <InviteScreen token={route.token} onAuth={onAuth} />;
  if (!session) return <LoginScreen onAuth={onAuth} />;
  return <Shell key={session.token} session={session} onLogout={onLogout} />;
}
