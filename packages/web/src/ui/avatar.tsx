import { hue, initials } from '../lib/format';

/** Initials on a colour derived from the id; a dot shows presence when given. */
export function Avatar({ id, name, size = 40, online }: { id: string; name: string; size?: number; online?: boolean }) {
  return (
    <span
      className="avatar"
      style={{ width: size, height: size, fontSize: size * 0.4, ['--hue' as string]: hue(id) }}
      aria-hidden="true"
    >
      {initials(name)}
      {online ? <span className="avatar-online" /> : null}
    </span>
  );
}
