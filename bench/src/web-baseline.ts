// The web benchmark's baseline: the same rows as plain, pre-rendered HTML with no framework, no
// data loading and no virtualisation — what a browser does with the DOM alone.

const STYLE = `<style>
body { margin: 0; font-family: system-ui, sans-serif; }
.conversation-row { display: flex; gap: .7rem; padding: .6rem .75rem; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #0f766e; }
.baseline-list { height: 100vh; overflow-y: auto; padding: 0 1rem; }
.row { padding: 2px 0; }
.bubble { background: #fff; border-radius: 14px; padding: .45rem .7rem; max-width: 70%; box-shadow: 0 1px 2px #0002; }
</style>`;

/** A chat list of `n` conversations, fully rendered by the server. */
export function baselineList(n: number): string {
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `<a class="conversation-row" href="#"><span class="avatar"></span><span><b>Team ${i + 1}</b><br><span>Letzte Nachricht</span></span><time>14:0${i % 10}</time></a>`,
  ).join('');
  return `<!doctype html><html><head><meta charset="utf-8">${STYLE}</head><body>${rows}</body></html>`;
}

/** `n` messages in one scrolling list, all in the DOM, scrolled to the newest. */
export function baselineMessages(n: number): string {
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `<div class="row"><div class="bubble">Nachricht ${i + 1}: ${'Lorem ipsum dolor sit amet, '.repeat(1 + (i % 4))}<div>14:05 ✓</div></div></div>`,
  ).join('');
  return `<!doctype html><html><head><meta charset="utf-8">${STYLE}</head><body><div class="baseline-list">${rows}</div><script>const l=document.querySelector('.baseline-list');l.scrollTop=l.scrollHeight;</script></body></html>`;
}
