import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../lib/format';
import type { Upload } from '../../lib/store';
import { useChat, useStore } from '../../lib/use-chat';
import { Icon } from '../../ui/icons';

const EMPTY: Upload[] = [];

/** Files of this conversation on their way up: progress, cancel, or the reason they failed. */
export function UploadList({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const store = useStore();
  const uploads = useChat((s) => s.uploads);
  const mine = Object.values(uploads).filter((u) => u.conversationId === conversationId);
  if (mine.length === 0) return null;
  return (
    <ul className="uploads" aria-label={t('files.attach')} data-testid="uploads">
      {(mine.length ? mine : EMPTY).map((u) => (
        <li key={u.id} className={u.error ? 'upload failed' : 'upload'}>
          {u.error ? (
            <span role="alert">
              {t('files.failed', {
                name: u.name,
                reason:
                  u.error === 'FILE_TOO_LARGE'
                    ? t('files.tooLarge')
                    : t(`errors.${u.error}`, { defaultValue: u.error }),
              })}
            </span>
          ) : (
            <>
              <span className="upload-name">{t('files.uploading', { name: u.name })}</span>
              <progress max={u.total || 1} value={u.sent} aria-label={u.name} />
              <span className="muted">{formatBytes(u.total)}</span>
            </>
          )}
          <button
            type="button"
            className="icon-button"
            onClick={() => (u.error ? store.dismissUpload(u.id) : store.cancelUpload(u.id))}
            aria-label={u.error ? t('common.close') : t('files.cancel')}
          >
            <Icon name="close" size={16} />
          </button>
        </li>
      ))}
    </ul>
  );
}
