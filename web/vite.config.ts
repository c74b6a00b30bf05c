// The page: built from web/ into build/web (which the server serves). `vite` in dev mode proxies
// the socket to a server started with `isolab serve` on its default port.
import { defineConfig } from 'vite';
import { precompress } from './precompress.js';

const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: webRoot,
  plugins: [precompress(`${webRoot}../build/web`)],
  base: './',
  build: {
    outDir: `${webRoot}../build/web`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The editor chunk (Monaco, ~4 MB) is loaded with import() only when an editor tab opens; the
    // first page load stays around 0.5 MB. The default 500 kB warning would fire on every build.
    chunkSizeWarningLimit: 4500,
    // Bundling Monaco takes most of the build's time; that is expected, not worth a warning each build.
    rolldownOptions: {
      checks: { bundlerTimings: false },
      // Three pages: the lab (its entry keeps the name index-*), the speaker's notes window beside it
      // (speaker.html), and the audience's read-only view of a speaker's terminal (/w/CODE).
      input: { index: `${webRoot}index.html`, speaker: `${webRoot}speaker.html`, watch: `${webRoot}watch.html` },
    },
  },
  server: {
    proxy: {
      // changeOrigin stays false: the server accepts a browser only when Origin names the Host it was asked on.
      '/socket.io': { target: 'http://127.0.0.1:7681', ws: true },
      '/api': { target: 'http://127.0.0.1:7681' },
    },
  },
});
