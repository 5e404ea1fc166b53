import { useTranslation } from 'react-i18next';

/** An error code from the server as a sentence in the user's language. */
export function ErrorText({ code }: { code: string | null }) {
  const { t, i18n } = useTranslation();
  if (!code) return null;
  const key = `errors.${code}`;
  return (
    <p className="form-error" role="alert">
      {i18n.exists(key) ? t(key) : t('errors.generic', { code })}
    </p>
  );
}
