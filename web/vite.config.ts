// The page: built from web/ into build/web (which the server serves). `vite` in dev mode proxies
// the socket to a server started with `isolab serve` on its default port.
import { defineConfig } from 'vite';

const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: webRoot,
  base: './',
  build: {
    outDir: `${webRoot}../build/web`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: {
      // changeOrigin stays false: the server accepts a browser only when Origin names the Host it was asked on.
      '/socket.io': { target: 'http://127.0.0.1:7681', ws: true },
      '/api': { target: 'http://127.0.0.1:7681' },
    },
  },
});
