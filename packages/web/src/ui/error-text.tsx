import { useTranslation } from 'react-i18next';

/** An error code from the server as a sentence in the user's language, announced as an alert. */
export function ErrorText({ code, className = 'form-error' }: { code: string | null; className?: string }) {
  const { t } = useTranslation();
  if (!code) return null;
  return (
    <p className={className} role="alert">
      {t(`errors.${code}`, { defaultValue: t('errors.generic', { code }) })}
    </p>
  );
}
