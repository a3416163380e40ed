import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Zendesk loads `assets/iframe.html` from the app package, so everything the page needs is built
// into dist/assets with relative URLs; manifest.json and translations/ are added by finish-build.
export default defineConfig({
  plugins: [react()],
  base: './',
  publicDir: 'public',
  build: {
    outDir: 'dist/assets',
    emptyOutDir: true,
    assetsDir: '.',
    target: 'es2020',
    rollupOptions: { input: 'iframe.html' },
  },
});
