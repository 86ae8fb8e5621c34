import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  // open: false — never start a browser (on a machine without a desktop that prints a stack trace).
  server: { port: 5173, host: '127.0.0.1', open: false },
  preview: { port: 4173, host: '127.0.0.1', strictPort: true },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // The app, and the engine benchmark page (bench.html: the browser side of npm run bench).
    rollupOptions: { input: { main: 'index.html', bench: 'bench.html' } },
  },
});
