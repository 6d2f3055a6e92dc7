import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by both hosts, for this effect: it keeps V8's heap near what the relay holds, not
 * at its largest since the last burst of webhooks. First, so that it comes before every other
 * module's own allocations (evaluated after it, in import order).
 *
 * Under load V8 grows the young generation to 128 MB (two 64 MB semi-spaces) and gives it back only
 * at a garbage collection made while allocation is slow; an idle relay allocates too little to make
 * one, so the tray app kept the memory of its busiest minute for hours. Measured on the headless
 * relay, 50,000–100,000 alerts sent at once by 50 connections: RSS 261–279 MB after the load, of
 * which about 20 MB was live heap. With these two flags the young generation stays near its starting
 * size and the old one grows by a tenth past what is live: 161–165 MB, and the load took as long
 * (`npm run bench` figure 4, 100,000 device events: 251 MB → 154 MB).
 *
 * `--optimize-for-size` gave 142 MB but took the same load 25 % slower (it also makes the compiler
 * inline less); `--max-semi-space-size` caps the young generation but V8 reads it only at start-up,
 * which Electron allows for its main process on the command line alone (`--js-flags`, not settable
 * by a packaged app). These two are read each time V8 resizes the heap.
 */
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--heap-growing-percent=10');
