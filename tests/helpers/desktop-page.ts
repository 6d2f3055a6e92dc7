/**
 * The desktop app's window in Chromium: the page is the real renderer (served byte for byte by the
 * app's app:// handler), `window.relay` is made by the real dist/electron/preload.cjs, and its
 * ipcRenderer is bridged (Playwright's exposeBinding) to the ipcMain handlers of
 * dist/electron/main.cjs running under the Electron stand-in.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import type { DesktopProcess } from './desktop-process.ts';
import { ROOT } from './relay-harness.ts';

/** What Electron gives a sandboxed preload as `require('electron')`, with IPC crossing to the test. */
const electronInPage = `
(() => {
  const listeners = new Map();
  window.__ipcEmit = (channel, value) => { for (const listener of listeners.get(channel) ?? []) listener({ sender: null }, value); };
  const electron = {
    contextBridge: { exposeInMainWorld: (key, api) => Object.defineProperty(window, key, { value: Object.freeze(api) }) },
    ipcRenderer: {
      invoke: (channel, input) => window.__ipcInvoke(channel, input),
      on: (channel, listener) => { listeners.set(channel, [...(listeners.get(channel) ?? []), listener]); },
      off: (channel, listener) => { listeners.set(channel, (listeners.get(channel) ?? []).filter((entry) => entry !== listener)); },
    },
  };
  const module = { exports: {} };
  const require = (name) => { if (name === 'electron') return electron; throw new Error('a sandboxed preload can require only electron, not ' + name); };
  (function (require, module, exports) {
PRELOAD
  })(require, module, module.exports);
})();
`;

export interface DesktopPage {
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** Opens the app's window for `desktop` and waits until the dashboard is ready. */
export async function openDesktopPage(desktop: DesktopProcess): Promise<DesktopPage> {
  // The renderer exactly as the app:// handler serves it, headers (CSP) included.
  const server = http.createServer((request, response) => {
    desktop.command<{ status: number; headers: Record<string, string>; body: string }>('protocolFetch', { url: `app://relay${request.url}` }).then(
      (answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      },
      (error: Error) => {
        response.writeHead(500);
        response.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser: Browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.exposeBinding('__ipcInvoke', async ({ frame }, channel: string, input: unknown) => {
    // The frame's real address, seen as Electron would see the app's page.
    const frameUrl = frame.url().replace(origin, 'app://relay');
    return desktop.command('invoke', { channel, frameUrl, input });
  });
  const preload = fs.readFileSync(path.join(ROOT, 'dist/electron/preload.cjs'), 'utf8');
  await context.addInitScript({ content: electronInPage.replace('PRELOAD', () => preload) });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Changes the main process pushes to the window reach the page's ipcRenderer listeners.
  desktop.child.on('message', (message: { event: string; channel?: string; value?: unknown }) => {
    if (message.event === 'send')
      void page
        .evaluate(([channel, value]) => (window as unknown as { __ipcEmit(c: unknown, v: unknown): void }).__ipcEmit(channel, value), [message.channel, message.value] as const)
        .catch(() => undefined);
  });
  await page.goto(`${origin}/`);
  await page.getByTestId('app-ready').waitFor();
  return {
    page,
    pageErrors,
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}
