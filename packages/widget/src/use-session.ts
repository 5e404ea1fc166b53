import { useEffect, useState } from 'preact/hooks';
import type { WidgetSession } from './session.js';

/** Re-renders the caller whenever the session changes. */
export function useSession(session: WidgetSession): WidgetSession['state'] {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const off = session.on('change', () => setVersion((v) => v + 1));
    // Effects run after paint: a change in between (the config arriving on a fast server) was
    // missed, and a guest page stayed blank until the next one, which might never come.
    setVersion((v) => v + 1);
    return off;
  }, [session]);
  return session.state;
}
