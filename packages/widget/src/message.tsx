/** @jsxImportSource preact */
import type { MediaRef, Message } from '@kurier/protocol';
import type { KurierClient } from '@kurier/sdk';
import { useEffect, useState } from 'preact/hooks';
import type { Translate } from './i18n.js';

/** A system message in the customer's words, or null for those the customer need not see. */
export function systemLine(m: Message, t: Translate, opts: { away: string; greeting: string }): string | null {
  const e = m.system;
  if (!e) return null;
  switch (e.event) {
    case 'assigned':
      return e.userId ? t('joined', { name: e.displayName ?? t('team') }) : t('left');
    case 'auto_reply':
      if (e.reply === 'greeting') return opts.greeting;
      return e.reply === 'away' ? opts.away : t('queue', { position: e.position ?? 1 });
    case 'status_changed':
      return e.status === 'resolved'
        ? t('resolved')
        : e.status === 'open'
          ? t('reopened')
          : e.status === 'pending'
            ? t('pending')
            : null;
    default:
      return null;
  }
}

function FileBody({ client, media, t }: { client: KurierClient; media: MediaRef; t: Translate }) {
  const [urls, setUrls] = useState<{ original: string; thumbnail: string | null } | null>(null);
  useEffect(() => {
    let live = true;
    void Promise.all([
      client.mediaUrl(media, 'original'),
      media.hasThumbnail ? client.mediaUrl(media, 'thumbnail') : Promise.resolve(null),
    ]).then(([original, thumbnail]) => live && setUrls({ original, thumbnail }));
    return () => {
      live = false;
    };
  }, [client, media]);
  if (!urls) return <span class="file">{media.name}</span>;
  return (
    <a class="file" href={urls.original} target="_blank" rel="noopener noreferrer" download={media.name}>
      {urls.thumbnail ? <img src={urls.thumbnail} alt={media.name} /> : `📎 ${media.name || t('file')}`}
    </a>
  );
}

/** One bubble: the visitor's own on the right, the team's on the left with the sender's name. */
export function Bubble(props: {
  m: Message;
  mine: boolean;
  sender: string;
  client: KurierClient;
  t: Translate;
  receipt: string | null;
}) {
  const { m, mine, sender, client, t, receipt } = props;
  return (
    <div class={`row ${mine ? 'mine' : 'theirs'}`}>
      {mine ? null : <span class="sender">{sender}</span>}
      <div class={`bubble ${mine ? 'mine' : 'theirs'}`}>
        {m.media ? <FileBody client={client} media={m.media} t={t} /> : null}
        {m.text ? <span class="text">{m.text}</span> : null}
      </div>
      {receipt ? <span class="receipt">{receipt}</span> : null}
    </div>
  );
}
