import { useEffect, useState } from 'preact/hooks';
import type { WidgetSession } from './session.js';

/** Re-renders the caller whenever the session changes. */
export function useSession(session: WidgetSession): WidgetSession['state'] {
  const [, setVersion] = useState(0);
  useEffect(() => session.on('change', () => setVersion((v) => v + 1)), [session]);
  return session.state;
}
