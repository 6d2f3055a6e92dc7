import { builtinModules } from 'node:module';
import { defineConfig, type UserConfig } from 'vite';
import react from '@vitejs/plugin-react';
import pkg from './package.json' with { type: 'json' };

const builtins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];
const nodeExternals = [...builtins, ...Object.keys(pkg.dependencies)];

/**
 * One self-contained CommonJS file per Electron entry: everything but electron (and, for main,
 * Node's built-ins) is bundled in. Nothing is then loaded from node_modules at run time, so an
 * ESM-only dependency cannot meet CommonJS interop inside app.asar, and the sandboxed preload
 * requires nothing but electron, as it must.
 */
function electronEntry(name: 'main' | 'preload', emptyOutDir: boolean): UserConfig {
  const external = name === 'preload' ? ['electron'] : ['electron', ...builtins];
  return {
    ssr: { noExternal: true },
    build: {
      outDir: 'dist/electron',
      emptyOutDir,
      target: 'node22',
      minify: false,
      ssr: `electron/${name}/${name}.ts`,
      rollupOptions: { external, output: { format: 'cjs', entryFileNames: `${name}.cjs` } },
    },
  };
}

/**
 * `vite build`: the renderer (dist/renderer). `--mode cli`: the headless host (dist/cli).
 * `--mode main` and `--mode preload`: the Electron entries (dist/electron).
 */
/** The headless host as one ES module, so `npm run serve` starts without TypeScript stripping. */
const cliEntry: UserConfig = {
  build: {
    outDir: 'dist/cli',
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    ssr: 'electron/cli/serve.ts',
    rollupOptions: { external: nodeExternals, output: { format: 'es', entryFileNames: 'serve.js' } },
  },
};

export default defineConfig(({ mode }) => {
  if (mode === 'cli') return cliEntry;
  if (mode === 'main') return electronEntry('main', true);
  if (mode === 'preload') return electronEntry('preload', false);
  return {
    root: 'renderer',
    base: './',
    plugins: [react()],
    build: {
      outDir: '../dist/renderer',
      emptyOutDir: true,
      target: 'chrome140',
      // The libraries (React, TanStack Query, zod) in a chunk of their own: the dashboard's code and
      // theirs each stay under Vite's 500 kB warning, and an update to one leaves the other cached.
      rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'vendor', test: /node_modules/ }] } } },
    },
  };
});
