import type { InputHTMLAttributes } from 'react';

/** A labelled text input: the label wraps the field, so clicking it focuses the input. */
export function Field({
  label,
  onValue,
  ...input
}: { label: string; onValue: (value: string) => void } & Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange'>) {
  return (
    <label>
      {label}
      <input {...input} onChange={(e) => onValue(e.target.value)} />
    </label>
  );
}
