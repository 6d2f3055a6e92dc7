/**
 * Loaded with `--import` before the built main bundle: `require("electron")` then gets the strict
 * stand-in instead of the real module. STANDIN_PLATFORM makes the app believe it runs on macOS
 * or Windows, to reach their branches (set before the bundle reads process.platform).
 */
import { registerHooks } from 'node:module';

const standin = new URL('./standin.ts', import.meta.url).href;
if (process.env.STANDIN_PLATFORM) Object.defineProperty(process, 'platform', { value: process.env.STANDIN_PLATFORM });

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron') return { url: standin, shortCircuit: true };
    return nextResolve(specifier, context);
  },
});
