import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import pkg from './package.json' with { type: 'json' };

const nodeExternals = [...builtinModules, ...builtinModules.map((name) => `node:${name}`), 'electron', ...Object.keys(pkg.dependencies)];

/**
 * `vite build` builds the renderer (dist/renderer); `vite build --mode electron` bundles the
 * Electron main process and the sandboxed preload (which must be a single CommonJS file).
 */
export default defineConfig(({ mode }) =>
  mode === 'electron'
    ? {
        build: {
          outDir: 'dist/electron',
          emptyOutDir: true,
          target: 'node22',
          minify: false,
          ssr: true,
          rollupOptions: {
            input: { main: 'electron/main/main.ts', preload: 'electron/preload/preload.ts' },
            external: nodeExternals,
            output: [{ format: 'cjs', entryFileNames: '[name].cjs' }],
          },
        },
      }
    : {
        root: 'renderer',
        base: './',
        plugins: [react()],
        build: { outDir: '../dist/renderer', emptyOutDir: true, target: 'chrome140' },
      },
);
