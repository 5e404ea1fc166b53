/** @jsxImportSource preact */
import type { WidgetConfig } from '@kurier/protocol';
import { useState } from 'preact/hooks';
import type { Locale, Translate } from './i18n.js';
import type { WidgetSession } from './session.js';

interface Props {
  session: WidgetSession;
  config: WidgetConfig;
  t: Translate;
  locale: Locale;
  /** Name and e-mail the website knows, with its identity hash. */
  identity: { externalId: string; hash: string; name?: string; email?: string } | null;
}

/**
 * The pre-chat form with the first message; outside business hours the same form is the offline
 * form ("leave a message"). The `website` field is a honeypot: hidden from people, filled by bots.
 */
export function PreChat({ session, config, t, locale, identity }: Props) {
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState(identity?.name ?? '');
  const [email, setEmail] = useState(identity?.email ?? '');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [text, setText] = useState('');
  const [consent, setConsent] = useState(false);
  const [website, setWebsite] = useState('');

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    const form = {
      name,
      email,
      fields,
      consent: consent as true,
      locale,
      ...(website ? { website } : {}),
      ...(identity ? { identity: { externalId: identity.externalId, hash: identity.hash } } : {}),
    };
    await session.start(form, text);
    setBusy(false);
  }

  return (
    <form class="prechat" onSubmit={submit}>
      <p class="bubble theirs">{config.open ? config.greeting[locale] : config.awayMessage[locale]}</p>
      <label>
        {t('name')}
        <input
          required
          maxLength={100}
          autoComplete="name"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <label>
        {t('email')}
        <input
          required
          type="email"
          maxLength={254}
          autoComplete="email"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </label>
      {config.preChatFields.map((f) => (
        <label key={f.key}>
          {f.label[locale]}
          <input
            // One literal for the checker: preact's input types split on `type`.
            type={f.type as 'text'}
            required={f.required}
            maxLength={500}
            value={fields[f.key] ?? ''}
            onInput={(e) => setFields({ ...fields, [f.key]: e.currentTarget.value })}
          />
        </label>
      ))}
      <label>
        {t('message')}
        <textarea required maxLength={4096} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <label class="honeypot" aria-hidden="true">
        Website
        <input tabIndex={-1} autoComplete="off" value={website} onInput={(e) => setWebsite(e.currentTarget.value)} />
      </label>
      <label class="consent">
        <input type="checkbox" required checked={consent} onChange={(e) => setConsent(e.currentTarget.checked)} />
        <span>
          {config.privacyNotice[locale]}{' '}
          {config.privacyPolicyUrl ? (
            <a href={config.privacyPolicyUrl} target="_blank" rel="noopener noreferrer">
              {t('privacyPolicy')}
            </a>
          ) : null}
        </span>
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t('starting') : config.open ? t('start') : t('leaveMessage')}
      </button>
    </form>
  );
}
