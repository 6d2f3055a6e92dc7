import { builtinModules } from 'node:module';
import { defineConfig, type UserConfig } from 'vite';
import react from '@vitejs/plugin-react';
import pkg from './package.json' with { type: 'json' };

const nodeExternals = [...builtinModules, ...builtinModules.map((name) => `node:${name}`), 'electron', ...Object.keys(pkg.dependencies)];

/**
 * One CommonJS file per Electron entry. The sandboxed preload may require nothing but electron,
 * so everything else is bundled into it; main loads its dependencies from node_modules.
 */
function electronEntry(name: 'main' | 'preload', emptyOutDir: boolean): UserConfig {
  const external = name === 'preload' ? ['electron'] : nodeExternals;
  return {
    ssr: name === 'preload' ? { noExternal: true } : {},
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
 * `vite build`: the renderer (dist/renderer). `--mode main` and `--mode preload`: the Electron
 * entries (dist/electron).
 */
export default defineConfig(({ mode }) => {
  if (mode === 'main') return electronEntry('main', true);
  if (mode === 'preload') return electronEntry('preload', false);
  return {
    root: 'renderer',
    base: './',
    plugins: [react()],
    build: { outDir: '../dist/renderer', emptyOutDir: true, target: 'chrome140' },
  };
});
