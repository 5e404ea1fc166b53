import type { AuthResponse } from '@kurier/protocol';
import { type ClientStorage, KurierApiError, KurierClient } from '@kurier/sdk';
import { IndexedDbStorage } from './idb-storage';

const KEY = 'kurier:session';

/** What this browser remembers of a login: the token (the server stores only its hash). */
export interface StoredSession {
  token: string;
  userId: string;
}

/** The remembered session, if any. */
export function storedSession(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<StoredSession>) : null;
    return parsed?.token && parsed.userId ? { token: parsed.token, userId: parsed.userId } : null;
  } catch {
    return null;
  }
}

/** Remembers a fresh login. */
export function rememberSession(auth: AuthResponse): StoredSession {
  const session = { token: auth.token, userId: auth.user.id };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Forgets the login (logout, expired session). The user's outbox database stays. */
export function forgetSession(): void {
  localStorage.removeItem(KEY);
}

/** A client without a session, for login, setup and invitations. */
export function anonymousClient(): KurierClient {
  return new KurierClient({ baseUrl: location.origin });
}

/** The logged-in user's storage: outbox, cursor and the offline snapshot, in IndexedDB, per user. */
export function userStorage(session: StoredSession): ClientStorage {
  return new IndexedDbStorage(`kurier-${session.userId}`);
}

/** The logged-in user's client over that storage. */
export function sessionClient(session: StoredSession, storage: ClientStorage): KurierClient {
  return new KurierClient({ baseUrl: location.origin, token: session.token, storage });
}

/** A device name for the session list: browser and platform, as far as the browser tells. */
export function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Mac OS X/.test(ua)
      ? 'macOS'
      : /Android/.test(ua)
        ? 'Android'
        : /iPhone|iPad/.test(ua)
          ? 'iOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} · ${os}` : browser;
}

/** The error code of anything thrown by the SDK; NETWORK when the server was not reached. */
export function errorCode(err: unknown): string {
  if (err instanceof KurierApiError) return err.code;
  return 'NETWORK';
}
