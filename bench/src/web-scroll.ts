// The page-side half of the web benchmark's scroll scenario.

/** What the scroll run measured in the page. */
export interface ScrollResult {
  seconds: number;
  frames: number;
  framesOver50ms: number;
  worstFrameMs: number;
  reachedFirst: boolean;
}

// Up by a screen per frame until the top stays the top (no older page arrives any more), timing
// every animation frame meanwhile.
export const SCROLL_SCRIPT = `(async () => {
  const el = document.querySelector('[data-testid="message-list"], .baseline-list');
  const frames = [];
  let last = performance.now();
  let running = true;
  const tick = (now) => { frames.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const start = performance.now();
  let stillAtTop = 0;
  while (performance.now() - start < 120000 && stillAtTop < 30) {
    el.scrollTop -= el.clientHeight;
    await new Promise((r) => requestAnimationFrame(r));
    stillAtTop = el.scrollTop === 0 ? stillAtTop + 1 : 0;
  }
  running = false;
  return {
    seconds: Math.round(performance.now() - start) / 1000,
    frames: frames.length,
    framesOver50ms: frames.filter((f) => f > 50).length,
    worstFrameMs: Math.round(Math.max(...frames)),
    reachedFirst: el.textContent.includes('Nachricht 1:'),
  };
})()`;
