import { useSyncExternalStore } from 'react';

/** Theme choice; `system` follows the operating system. */
export type Theme = 'system' | 'light' | 'dark';

const THEME_KEY = 'kurier:theme';
const NOTIFY_KEY = 'kurier:notifications';
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};

/** The stored theme. */
export function theme(): Theme {
  const t = localStorage.getItem(THEME_KEY);
  return t === 'light' || t === 'dark' ? t : 'system';
}

/** Applies a theme to the document (CSS reads `data-theme`). */
export function applyTheme(t: Theme = theme()): void {
  const dark = t === 'dark' || (t === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function setTheme(t: Theme): void {
  localStorage.setItem(THEME_KEY, t);
  applyTheme(t);
  emit();
}

/** Whether the user wants desktop notifications (and the browser allows them). */
export function notificationsEnabled(): boolean {
  return localStorage.getItem(NOTIFY_KEY) === 'on' && 'Notification' in window && Notification.permission === 'granted';
}

/** Turns notifications on (asking the browser first) or off. */
export async function setNotifications(on: boolean): Promise<void> {
  if (on && 'Notification' in window && Notification.permission === 'default') await Notification.requestPermission();
  localStorage.setItem(NOTIFY_KEY, on ? 'on' : 'off');
  emit();
}

/** Re-renders when a preference changes. */
export function usePrefs(): { theme: Theme; notifications: boolean } {
  const t = useSyncExternalStore(subscribe, theme);
  const n = useSyncExternalStore(subscribe, notificationsEnabled);
  return { theme: t, notifications: n };
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => applyTheme());
