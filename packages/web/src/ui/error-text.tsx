import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';

/** An error code from the server as a sentence in the user's language. */
export function errorText(t: TFunction, code: string): string {
  const key = `errors.${code}`;
  return t(key, { defaultValue: t('errors.generic', { code }) });
}

/** An error code from the server as an alert paragraph. */
export function ErrorText({ code }: { code: string | null }) {
  const { t } = useTranslation();
  if (!code) return null;
  return (
    <p className="form-error" role="alert">
      {errorText(t, code)}
    </p>
  );
}
