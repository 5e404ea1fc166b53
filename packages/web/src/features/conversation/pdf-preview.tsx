import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { useEffect, useRef, useState } from 'react';

// The worker is a file of our own origin: the CSP allows scripts from 'self' only.
GlobalWorkerOptions.workerSrc = workerUrl;
const WIDTH = 280;

/** The first page of a PDF, drawn by pdf.js into a canvas (never as HTML, never with eval). */
export default function PdfPreview({ url }: { url: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  useEffect(() => {
    const task = getDocument({ url, isEvalSupported: false });
    let live = true;
    task.promise
      .then(async (doc) => {
        const page = await doc.getPage(1);
        const el = canvas.current;
        if (!live || !el) return;
        const scale = (WIDTH / page.getViewport({ scale: 1 }).width) * (window.devicePixelRatio || 1);
        const viewport = page.getViewport({ scale });
        el.width = Math.floor(viewport.width);
        el.height = Math.floor(viewport.height);
        await page.render({ canvas: el, viewport }).promise;
        if (live) setState('ready');
      })
      .catch(() => live && setState('failed'));
    return () => {
      live = false;
      void task.destroy();
    };
  }, [url]);
  if (state === 'failed') return null;
  return <canvas ref={canvas} className="pdf-page" data-testid="pdf-preview" data-state={state} />;
}
