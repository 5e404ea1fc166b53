import { Icon } from './icons';

/** The phone layout's way back to the chat list (hidden on wide screens by CSS). */
export function BackButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <button type="button" className="icon-button back" onClick={onClick} aria-label={label}>
      <Icon name="back" />
    </button>
  );
}
