import type { MediaRef } from '@kurier/protocol';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../lib/use-chat';
import { Dialog } from '../../ui/dialog';
import { Icon } from '../../ui/icons';

// pdf.js is large; it loads only when a PDF card is on screen, never with the app shell.
const PdfPreview = lazy(() => import('./pdf-preview'));

/** A signed URL for a file, fetched when the component mounts; null until then. */
function useMediaUrl(media: MediaRef, variant: 'original' | 'thumbnail'): string | null {
  const store = useStore();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    store.client.mediaUrl(media, variant).then(
      (u) => live && setUrl(u),
      () => live && setUrl(null),
    );
    return () => {
      live = false;
    };
  }, [store, media, variant]);
  return url;
}

const isImage = (m: MediaRef) => m.mime.startsWith('image/') && m.hasThumbnail;
const isPdf = (m: MediaRef) => m.mime === 'application/pdf';

/** The file of a file message: an image inline, a PDF card with its first page, or a file card. */
export function Attachment({ media }: { media: MediaRef }) {
  if (isImage(media)) return <ImageAttachment media={media} />;
  return <FileCard media={media} pdf={isPdf(media)} />;
}

function ImageAttachment({ media }: { media: MediaRef }) {
  const { t } = useTranslation();
  const thumb = useMediaUrl(media, 'thumbnail');
  const [open, setOpen] = useState(false);
  // Reserve the box before the thumbnail arrives, so the history does not jump.
  const ratio = media.width && media.height ? media.width / media.height : 4 / 3;
  const width = Math.min(320, media.width ?? 320);
  return (
    <>
      <button
        type="button"
        className="image-attachment"
        onClick={() => setOpen(true)}
        aria-label={t('files.openImage', { name: media.name })}
        style={{ width, aspectRatio: String(ratio) }}
      >
        {thumb ? <img src={thumb} alt={media.name} width={width} data-testid="image-thumbnail" /> : null}
      </button>
      {open ? <ImageViewer media={media} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function ImageViewer({ media, onClose }: { media: MediaRef; onClose: () => void }) {
  const { t } = useTranslation();
  const url = useMediaUrl(media, 'original');
  return (
    <Dialog title={media.name} onClose={onClose} wide>
      {url ? (
        <img className="image-viewer" src={url} alt={media.name} />
      ) : (
        <p className="muted">{t('common.loading')}</p>
      )}
      {url ? (
        <a className="button" href={url} download={media.name}>
          {t('files.download')}
        </a>
      ) : null}
    </Dialog>
  );
}

function FileCard({ media, pdf }: { media: MediaRef; pdf: boolean }) {
  const { t } = useTranslation();
  const url = useMediaUrl(media, 'original');
  return (
    <div className={pdf ? 'file-card pdf' : 'file-card'} data-testid={pdf ? 'pdf-card' : 'file-card'}>
      {pdf ? (
        // The page box exists before the link and pdf.js arrive, so the history never jumps.
        url ? (
          <Suspense fallback={<div className="pdf-page" />}>
            <PdfPreview url={url} />
          </Suspense>
        ) : (
          <div className="pdf-page" />
        )
      ) : null}
      <div className="file-info">
        <span className="file-icon" aria-hidden="true">
          {pdf ? 'PDF' : (media.name.split('.').pop()?.slice(0, 4).toUpperCase() ?? 'FILE')}
        </span>
        <span className="file-text">
          <strong className="file-name">{media.name}</strong>
          <span className="muted">
            {formatBytes(media.size)}
            {pdf && media.pageCount ? ` · ${t('files.pages', { count: media.pageCount })}` : ''}
          </span>
        </span>
      </div>
      <div className="file-actions">
        {pdf ? (
          <a href={url ?? undefined} target="_blank" rel="noopener noreferrer">
            {t('files.open')}
          </a>
        ) : null}
        <a href={url ?? undefined} download={media.name}>
          <Icon name="down" size={14} /> {t('files.download')}
        </a>
      </div>
    </div>
  );
}
