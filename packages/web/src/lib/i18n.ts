import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { de } from './locales/de';
import { en } from './locales/en';

/** Languages the app speaks. */
export const LANGUAGES = ['de', 'en'] as const;
/** One of the app's languages. */
export type Language = (typeof LANGUAGES)[number];

const KEY = 'kurier:language';

/** The stored choice, else the browser's preference, else German (our first users). */
export function initialLanguage(): Language {
  const stored = localStorage.getItem(KEY);
  if (stored === 'de' || stored === 'en') return stored;
  for (const lang of navigator.languages ?? [navigator.language]) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'de' || base === 'en') return base;
  }
  return 'de';
}

/** Switches and remembers the language. */
export async function setLanguage(language: Language): Promise<void> {
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
  await i18n.changeLanguage(language);
}

void i18n.use(initReactI18next).init({
  resources: { de: { translation: de }, en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  // React escapes every string it renders; i18next escaping on top would double-escape.
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export default i18n;
