// The embed script: `<script src="https://chat.example.com/widget.js" data-key="wk_…" async>`.
// It only places an iframe; everything else runs inside it, on Kurier's origin and under its CSP.
// Optional: data-lang="de|en", and for visitors the website verified, data-user-id, data-user-hash
// (hex HMAC-SHA256 of the id under the inbox's identity secret), data-user-name, data-user-email.
(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script?.dataset.key) return;
  const origin = new URL(script.src).origin;
  const d = script.dataset;
  const identity =
    d.userId && d.userHash ? { externalId: d.userId, hash: d.userHash, name: d.userName, email: d.userEmail } : null;
  const frame = document.createElement('iframe');
  const query = new URLSearchParams({ key: d.key as string, ...(d.lang ? { lang: d.lang } : {}) });
  frame.src = `${origin}/widget/frame?${query}${identity ? `#${encodeURIComponent(JSON.stringify(identity))}` : ''}`;
  frame.title = 'Chat';
  frame.allow = 'clipboard-write';
  const size = (open: boolean) => {
    Object.assign(frame.style, {
      width: open ? 'min(400px, 100vw)' : '96px',
      height: open ? 'min(680px, 100vh)' : '96px',
    });
  };
  Object.assign(frame.style, {
    position: 'fixed',
    right: '0',
    bottom: '0',
    border: '0',
    background: 'transparent',
    colorScheme: 'normal',
    zIndex: '2147483000',
  });
  size(false);
  // Where the frame may not use storage of its own, the visitor's snapshot lives here.
  const storageKey = `kurier-widget:${d.key}`;
  window.addEventListener('message', (event) => {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    const data = event.data as { type?: string; open?: boolean; value?: string | null } | null;
    if (data?.type === 'kurier:resize') size(Boolean(data.open));
    if (data?.type === 'kurier:storage:get')
      frame.contentWindow?.postMessage({ type: 'kurier:storage', value: localStorage.getItem(storageKey) }, origin);
    if (data?.type === 'kurier:storage:set') {
      if (data.value) localStorage.setItem(storageKey, data.value);
      else localStorage.removeItem(storageKey);
    }
  });
  const mount = () => document.body.appendChild(frame);
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
