import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useChat } from '../lib/use-chat';

/** Says when messages cannot go out right now, and that they will once the connection returns. */
export function ConnectionBanner() {
  const { t } = useTranslation();
  const connection = useChat((s) => s.connection);
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  let text: string | null = null;
  if (!online) text = t('connection.offline');
  else if (connection.status === 'closed' && connection.reason === 'unauthenticated') text = t('connection.expired');
  else if (connection.status === 'connecting' || connection.status === 'idle') text = t('connection.connecting');
  else if (connection.status !== 'open') text = t('connection.reconnecting');
  if (!text) return null;
  return (
    <div className={online ? 'banner' : 'banner banner-offline'} role="status" data-testid="connection-banner">
      {text}
    </div>
  );
}
