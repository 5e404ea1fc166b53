import { Icon } from './icons';

/**
 * A way back: by default the phone layout's way back to the chat list (hidden on wide screens by
 * CSS); `always` shows it on every screen.
 */
export function BackButton({
  label,
  onClick,
  always = false,
}: {
  label: string;
  onClick: () => void;
  always?: boolean;
}) {
  return (
    <button
      type="button"
      className={always ? 'icon-button' : 'icon-button back'}
      onClick={onClick}
      aria-label={label}
      title={label}
    >
      <Icon name="back" />
    </button>
  );
}
