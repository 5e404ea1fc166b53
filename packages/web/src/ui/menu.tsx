import { useEffect, useRef } from 'react';

/** One entry of a menu. */
export interface MenuItem {
  label: string;
  onSelect: () => void;
}

/**
 * A small popup menu (WAI-ARIA menu pattern): focus moves to the first item, ↑/↓/Home/End move
 * between items, Enter/Space choose, Esc, Tab or a click elsewhere close and give focus back.
 */
export function Menu({ label, items, onClose }: { label: string; items: MenuItem[]; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const root = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    root?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    const onPointer = (e: PointerEvent) => {
      if (root && !root.contains(e.target as Node)) onClose();
    };
    document.addEventListener('pointerdown', onPointer, true);
    return () => {
      document.removeEventListener('pointerdown', onPointer, true);
      // Back to where the user was, unless they clicked somewhere that took focus.
      if (opener?.isConnected && (document.activeElement === document.body || root?.contains(document.activeElement)))
        opener.focus();
    };
  }, [onClose]);

  const move = (e: React.KeyboardEvent) => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number) => buttons[(i + buttons.length) % buttons.length]?.focus();
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(buttons.length - 1);
    else if (e.key === 'Escape' || e.key === 'Tab') onClose();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <div className="menu" role="menu" aria-label={label} ref={ref} onKeyDown={move}>
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          tabIndex={-1}
          onClick={() => {
            onClose();
            item.onSelect();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
