// The page-side half of the web benchmark's scroll scenario.

/** What the scroll run measured in the page. */
export interface ScrollResult {
  seconds: number;
  frames: number;
  framesOver50ms: number;
  worstFrameMs: number;
  reachedFirst: boolean;
  /**
   * The long frames as Chromium's Long Animation Frames API saw them: how long, how much of it
   * was script (and which callbacks), how much style and layout. Empty where the API is missing.
   */
  longFrames: {
    ms: number;
    scriptMs: number;
    renderMs: number;
    scripts: string[];
  }[];
}

// Up by a screen per frame until the top stays the top (no older page arrives any more), timing
// every animation frame meanwhile.
export const SCROLL_SCRIPT = `(async () => {
  const el = document.querySelector('[data-testid="message-list"], .baseline-list');
  const frames = [];
  let last = performance.now();
  let running = true;
  const loaf = [];
  let observer = null;
  if (PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')) {
    observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.duration > 50) loaf.push(e); });
    observer.observe({ type: 'long-animation-frame' });
  }
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
  observer?.disconnect();
  return {
    longFrames: loaf.map((e) => ({
      ms: Math.round(e.duration),
      scriptMs: Math.round(e.scripts.reduce((n, s) => n + s.duration, 0)),
      renderMs: Math.round(e.startTime + e.duration - (e.renderStart || e.startTime + e.duration)),
      scripts: e.scripts
        .filter((s) => s.duration >= 5)
        .map((s) => s.invokerType + ' ' + s.invoker + ' ' + Math.round(s.duration) + 'ms'
          + (s.forcedStyleAndLayoutDuration ? ' (forced layout ' + Math.round(s.forcedStyleAndLayoutDuration) + 'ms)' : '')),
    })),
    seconds: Math.round(performance.now() - start) / 1000,
    frames: frames.length,
    framesOver50ms: frames.filter((f) => f > 50).length,
    worstFrameMs: Math.round(Math.max(...frames)),
    reachedFirst: el.textContent.includes('Nachricht 1:'),
  };
})()`;
