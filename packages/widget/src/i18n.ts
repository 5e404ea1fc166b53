/**
 * The widget's texts in German and English. A dictionary instead of i18next: the widget has a
 * 60 KB budget and about forty strings (see docs/ARCHITECTURE.md, deliberate exceptions).
 */
const de = {
  open: 'Chat öffnen',
  close: 'Chat schließen',
  online: 'Wir sind online',
  replyMinutes: 'Wir antworten meist innerhalb weniger Minuten',
  replyHours: 'Wir antworten meist innerhalb weniger Stunden',
  replyDay: 'Wir antworten meist innerhalb eines Tages',
  closedUntil: 'Gerade nicht erreichbar – wieder da {{when}}',
  closedNow: 'Gerade nicht erreichbar',
  name: 'Name',
  email: 'E-Mail',
  message: 'Ihre Nachricht',
  privacyPolicy: 'Datenschutzerklärung',
  start: 'Chat starten',
  leaveMessage: 'Nachricht hinterlassen',
  starting: 'Wird gesendet …',
  required: 'Pflichtfeld',
  write: 'Nachricht schreiben …',
  send: 'Senden',
  attach: 'Datei anhängen',
  uploading: 'Lade {{name}} hoch …',
  typing: '{{name}} schreibt …',
  someone: 'Jemand',
  team: 'Team',
  you: 'Sie',
  sent: 'Gesendet',
  read: 'Gelesen',
  joined: '{{name}} ist dem Chat beigetreten',
  left: 'Ihr Gespräch wartet auf die nächste freie Person',
  queue: 'Sie sind Nummer {{position}} in der Warteschlange. Gleich ist jemand für Sie da.',
  resolved: 'Das Gespräch wurde beendet.',
  reopened: 'Das Gespräch wurde wieder geöffnet.',
  pending: 'Wir warten auf Ihre Antwort.',
  rate: 'Wie zufrieden waren Sie?',
  rateComment: 'Möchten Sie uns noch etwas sagen? (optional)',
  rateSend: 'Bewertung senden',
  thanks: 'Danke für Ihre Bewertung!',
  newConversation: 'Neues Gespräch',
  transcript: 'Verlauf herunterladen',
  error: 'Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.',
  badKey: 'Dieser Chat ist nicht eingerichtet.',
  offline: 'Keine Verbindung – Nachrichten werden gesendet, sobald Sie wieder online sind.',
  blocked: 'Dieses Gespräch ist geschlossen.',
  tooMany: 'Zu viele Versuche. Bitte warten Sie einen Moment.',
  file: 'Datei',
  stars: '{{n}} von 5',
};

const en: typeof de = {
  open: 'Open chat',
  close: 'Close chat',
  online: 'We are online',
  replyMinutes: 'We usually reply within a few minutes',
  replyHours: 'We usually reply within a few hours',
  replyDay: 'We usually reply within a day',
  closedUntil: 'Away right now – back {{when}}',
  closedNow: 'Away right now',
  name: 'Name',
  email: 'Email',
  message: 'Your message',
  privacyPolicy: 'Privacy policy',
  start: 'Start chat',
  leaveMessage: 'Leave a message',
  starting: 'Sending …',
  required: 'Required',
  write: 'Write a message …',
  send: 'Send',
  attach: 'Attach a file',
  uploading: 'Uploading {{name}} …',
  typing: '{{name}} is typing …',
  someone: 'Someone',
  team: 'Team',
  you: 'You',
  sent: 'Sent',
  read: 'Read',
  joined: '{{name}} joined the chat',
  left: 'Your conversation waits for the next free person',
  queue: 'You are number {{position}} in the queue. Someone will be with you shortly.',
  resolved: 'The conversation was closed.',
  reopened: 'The conversation was reopened.',
  pending: 'We are waiting for your reply.',
  rate: 'How satisfied were you?',
  rateComment: 'Anything else you want to tell us? (optional)',
  rateSend: 'Send rating',
  thanks: 'Thank you for your rating!',
  newConversation: 'New conversation',
  transcript: 'Download transcript',
  error: 'That did not work. Please try again.',
  badKey: 'This chat is not set up.',
  offline: 'No connection – messages are sent as soon as you are back online.',
  blocked: 'This conversation is closed.',
  tooMany: 'Too many attempts. Please wait a moment.',
  file: 'File',
  stars: '{{n}} of 5',
};

/** A language the widget speaks. */
export type Locale = 'de' | 'en';
/** A text key. */
export type TextKey = keyof typeof de;

const dictionaries = { de, en };

/** The visitor's language: asked for explicitly, else the browser's, else German. */
export function pickLocale(asked: string | null, browser: readonly string[]): Locale {
  for (const tag of [asked, ...browser]) {
    const base = tag?.slice(0, 2).toLowerCase();
    if (base === 'de' || base === 'en') return base;
  }
  return 'de';
}

/** A translator for one locale; `{{name}}` placeholders are filled from `vars`. */
export function translator(locale: Locale) {
  const dict = dictionaries[locale];
  return (key: TextKey, vars: Record<string, string | number> = {}) =>
    dict[key].replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(vars[name] ?? ''));
}

/** A translator. */
export type Translate = ReturnType<typeof translator>;
