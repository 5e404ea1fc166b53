import { defineConfig } from 'vite';

// Two builds share this file: the frame app (index.html, served at /widget/frame and /c/<slug>)
// and, with KURIER_WIDGET_LOADER=1, the embed script as one unhashed file (dist/widget.js).
const loader = process.env.KURIER_WIDGET_LOADER === '1';

export default defineConfig({
  base: '/widget/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: loader
    ? {
        outDir: 'dist',
        emptyOutDir: false,
        lib: { entry: 'src/loader.ts', formats: ['iife'], name: 'KurierWidgetLoader', fileName: () => 'widget.js' },
      }
    : { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
});
