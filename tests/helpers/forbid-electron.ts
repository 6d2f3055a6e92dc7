/**
 * Loaded with `--import` into every test process and into the headless host under test: fails
 * loudly if any module resolves `electron` at runtime. `import type` is erased and never resolves.
 */
import './compile-cache.ts';
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron' || specifier.startsWith('electron/')) {
      const message = `runtime boundary violated: ${context.parentURL ?? 'an entry point'} imports "${specifier}" at runtime`;
      process.stderr.write(`${message}\n`);
      throw new Error(message);
    }
    return nextResolve(specifier, context);
  },
});
