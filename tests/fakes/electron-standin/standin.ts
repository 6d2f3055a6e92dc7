/**
 * A stand-in for the `electron` module, loaded in place of it (see register.ts) when a test runs
 * the BUILT main bundle under Node in a child process. It is as strict as real Electron where a
 * lax fake would hide a crash users would see:
 * - `ready` comes only after the main script has run; whenReady() waits for it;
 * - registerSchemesAsPrivileged() after ready throws; BrowserWindow, Tray, Notification,
 *   session, powerMonitor, safeStorage and protocol.handle() before ready throw;
 * - a second ipcMain.handle() for one channel throws; webContents.send() on a destroyed window throws;
 * - app.quit() runs before-quit → close each window (a prevented close cancels) → will-quit → quit → exit;
 * - a Notification nothing references is garbage-collected: its click handlers stop firing;
 * - app.getPath('appData'/'userData') are where Electron puts them for the platform (XDG_CONFIG_HOME
 *   or ~/.config on Linux), before ready too, and process.type is 'browser' (electron-store asks both);
 * - setLoginItemSettings() does nothing on Linux; safeStorage on Linux without a keyring reports
 *   encryption as available with the `basic_text` backend, as Electron does; decryptString can fail.
 * The test drives it and watches it over the child's IPC channel (see tests/helpers/desktop-process.ts).
 * Electron API reference: https://www.electronjs.org/docs/latest/api/app
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const env = process.env;
// Electron's main process says which process it is; libraries (electron-store) ask.
Object.defineProperty(process, 'type', { value: 'browser' });
const platform = process.platform;
// Electron sets it to the app's resources directory (app.asar, app-update.yml beside it); a test names one.
if (env.STANDIN_RESOURCES_PATH) Object.defineProperty(process, 'resourcesPath', { value: env.STANDIN_RESOURCES_PATH });
const home = env.STANDIN_HOME ?? fs.mkdtempSync(path.join((env.TMPDIR ?? '/tmp') + path.sep, 'standin-'));

type StandinEvent = { event: string; [key: string]: unknown };
function report(message: StandinEvent): void {
  if (process.send && process.connected) process.send(message);
}

let isReady = false;
let mainScriptDone = false;
function requireReady(what: string): void {
  if (!isReady) throw new Error(`${what} cannot be used before the app is ready`);
}

process.on('uncaughtException', (error) => {
  // Electron shows "A JavaScript error occurred in the main process" and keeps running.
  report({ event: 'uncaught', message: String(error?.stack ?? error) });
});
process.on('unhandledRejection', (reason) => {
  report({ event: 'uncaught', message: `unhandled rejection: ${String((reason as Error)?.stack ?? reason)}` });
});

// ── app ────────────────────────────────────────────────────────────────────────────────────────
class App extends EventEmitter {
  #quitting = false;
  readonly isPackaged = env.STANDIN_PACKAGED === '1';
  readonly commandLine = { appendSwitch() {} };
  loginItem: { openAtLogin: boolean; args?: string[] } = { openAtLogin: false };
  appUserModelId: string | undefined;
  readonly dock =
    platform === 'darwin'
      ? {
          visible: true,
          hide() {
            this.visible = false;
            report({ event: 'dock', visible: false });
          },
          show() {
            this.visible = true;
            report({ event: 'dock', visible: true });
            return Promise.resolve();
          },
          isVisible() {
            return this.visible;
          },
        }
      : undefined;

  isReady() {
    return isReady;
  }
  whenReady(): Promise<void> {
    return isReady ? Promise.resolve() : new Promise((resolve) => this.once('ready', () => resolve()));
  }
  requestSingleInstanceLock() {
    return env.STANDIN_SECOND_INSTANCE !== '1';
  }
  getName() {
    return 'Level ilert Relay';
  }
  getVersion() {
    return '0.0.0-standin';
  }
  getPath(name: string): string {
    // Where Electron puts them (and so where the headless host's defaultDataDir looks for them).
    const appData =
      platform === 'win32'
        ? (env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
        : platform === 'darwin'
          ? path.join(home, 'Library', 'Application Support')
          : env.XDG_CONFIG_HOME || path.join(home, '.config');
    const paths: Record<string, string> = {
      home,
      appData,
      userData: path.join(appData, this.getName()),
      logs: path.join(home, 'logs'),
      temp: path.join(home, 'temp'),
      exe: process.execPath,
    };
    const value = paths[name];
    if (!value) throw new Error(`Failed to get '${name}' path`);
    return value;
  }
  setAppUserModelId(id: string) {
    this.appUserModelId = id;
    report({ event: 'appUserModelId', id });
  }
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }) {
    // Electron documents this API for macOS and Windows only; on Linux it does nothing.
    if (platform === 'linux') return;
    this.loginItem = { ...settings };
    report({ event: 'loginItem', settings });
  }
  getLoginItemSettings() {
    return { ...this.loginItem, wasOpenedAtLogin: env.STANDIN_OPENED_AT_LOGIN === '1' };
  }
  relaunch() {
    report({ event: 'relaunch' });
  }
  quit() {
    if (this.#quitting) return;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.#quitting = true;
    for (const window of [...windows]) {
      if (!window.closeForQuit()) {
        this.#quitting = false;
        report({ event: 'quit-cancelled' });
        return;
      }
    }
    prevented = false;
    this.emit('will-quit', { preventDefault: () => (prevented = true) });
    if (prevented) {
      this.#quitting = false;
      return;
    }
    this.emit('quit', {}, 0);
    this.exit(0);
  }
  exit(code = 0) {
    report({ event: 'exit', code });
    // Let the report reach the parent before the process goes.
    setImmediate(() => process.exit(code));
  }
}
export const app = new App();

// ── windows ────────────────────────────────────────────────────────────────────────────────────
const windows = new Set<BrowserWindow>();
let nextId = 1;

class WebContents extends EventEmitter {
  readonly id = nextId++;
  readonly #window: BrowserWindow;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  url = '';
  constructor(window: BrowserWindow) {
    super();
    this.#window = window;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]) {
    if (this.#window.isDestroyed()) throw new Error('Object has been destroyed');
    report({ event: 'send', channel, value: args[0] });
  }
  getURL() {
    return this.url;
  }
  isDestroyed() {
    return this.#window.isDestroyed();
  }
  /** What a navigation attempt by the page does: true when the app prevented it. */
  attempt(event: string, url: string): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true), url }, url);
    return prevented;
  }
  openDevTools() {
    report({ event: 'devtools' });
  }
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return [...windows];
  }
  readonly id = nextId++;
  readonly options: Record<string, unknown> & { webPreferences?: Record<string, unknown> };
  readonly webContents: WebContents;
  #destroyed = false;
  #visible = false;
  menuRemoved = false;

  constructor(options: BrowserWindow['options'] = {}) {
    requireReady('BrowserWindow');
    super();
    this.options = options;
    this.webContents = new WebContents(this);
    windows.add(this);
    report({ event: 'window', id: this.id, webPreferences: options.webPreferences ?? {}, show: options.show ?? true });
    if (options.show !== false) this.#visible = true;
  }
  async loadURL(url: string): Promise<void> {
    if (this.#destroyed) throw new Error('Object has been destroyed');
    this.webContents.url = url;
    // A page and every script and stylesheet it names come through the registered protocol, as in Chromium.
    const resources: { url: string; status: number; csp: string | null; type: string | null }[] = [];
    const load = async (target: string) => {
      const response = await fetchThroughProtocol(target);
      resources.push({ url: target, status: response.status, csp: response.headers.get('content-security-policy'), type: response.headers.get('content-type') });
      return response;
    };
    const page = await load(url);
    const html = page.status === 200 ? await page.text() : '';
    for (const match of html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)) await load(new URL(match[1]!, url).toString());
    report({ event: 'loaded', id: this.id, url, resources });
    this.webContents.emit('did-finish-load');
    this.emit('ready-to-show');
  }
  show() {
    if (this.#destroyed) throw new Error('Object has been destroyed');
    this.#visible = true;
    this.emit('show');
    report({ event: 'window-visible', id: this.id, visible: true });
  }
  hide() {
    if (this.#destroyed) throw new Error('Object has been destroyed');
    this.#visible = false;
    this.emit('hide');
    report({ event: 'window-visible', id: this.id, visible: false });
  }
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isVisible() {
    return this.#visible;
  }
  isDestroyed() {
    return this.#destroyed;
  }
  removeMenu() {
    this.menuRemoved = true;
  }
  setMenuBarVisibility() {}
  /** The user clicked the close button. */
  close() {
    this.closeForQuit();
  }
  /** Emits a preventable close; true when the window really closed. */
  closeForQuit(): boolean {
    if (this.#destroyed) return true;
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return false;
    this.destroy();
    return true;
  }
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#visible = false;
    windows.delete(this);
    this.emit('closed');
    report({ event: 'window-closed', id: this.id });
    if (windows.size === 0) app.emit('window-all-closed');
  }
}

// ── tray, menus, images ────────────────────────────────────────────────────────────────────────
type MenuItem = { label?: string; type?: string; role?: string; click?: () => void; submenu?: MenuItem[] };
interface Image {
  path: string;
  empty: boolean;
  template: boolean;
  isEmpty(): boolean;
  setTemplateImage(template: boolean): void;
}
export const nativeImage = {
  createFromPath(file: string): Image {
    return {
      path: file,
      empty: !fs.existsSync(file),
      template: false,
      isEmpty() {
        return this.empty;
      },
      setTemplateImage(template: boolean) {
        this.template = template;
      },
    };
  },
  createEmpty(): Image {
    return nativeImage.createFromPath('');
  },
};

let applicationMenu: MenuItem[] | null | undefined;
export const Menu = {
  buildFromTemplate: (template: MenuItem[]) => ({ items: template }),
  setApplicationMenu(menu: { items: MenuItem[] } | null) {
    applicationMenu = menu ? menu.items : null;
  },
};

const trays = new Set<Tray>();
export class Tray extends EventEmitter {
  image: Image;
  tooltip = '';
  menu: MenuItem[] = [];
  destroyed = false;
  constructor(image: Image) {
    requireReady('Tray');
    super();
    this.image = image;
    trays.add(this);
    this.#report();
  }
  setImage(image: Image) {
    this.image = image;
    this.#report();
  }
  setToolTip(tooltip: string) {
    this.tooltip = tooltip;
    this.#report();
  }
  setContextMenu(menu: { items: MenuItem[] }) {
    this.menu = menu.items;
    this.#report();
  }
  destroy() {
    this.destroyed = true;
    trays.delete(this);
  }
  #report() {
    report({
      event: 'tray',
      image: this.image.path,
      empty: this.image.empty,
      template: this.image.template,
      tooltip: this.tooltip,
      menu: this.menu.map((item) => item.label ?? item.type ?? ''),
    });
  }
}

// ── notifications ──────────────────────────────────────────────────────────────────────────────
interface NotificationOptions {
  title: string;
  body?: string;
  urgency?: string;
  actions?: { type: string; text: string }[];
}
/** The OS keeps showing a toast, but its JS object lives only as long as something references it. */
const shownNotifications: { ref: WeakRef<Notification>; options: NotificationOptions }[] = [];
export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }
  readonly options: NotificationOptions;
  constructor(options: NotificationOptions) {
    requireReady('Notification');
    super();
    this.options = options;
  }
  show() {
    shownNotifications.push({ ref: new WeakRef(this), options: this.options });
    report({ event: 'notification', index: shownNotifications.length - 1, options: this.options });
  }
  close() {
    this.emit('close', {});
  }
}

// ── the rest of the API the app uses ──────────────────────────────────────────────────────────
export const clipboard = {
  writeText(text: string) {
    report({ event: 'clipboard', text });
  },
};

export const shell = {
  openExternal(url: string) {
    report({ event: 'openExternal', url });
    return Promise.resolve();
  },
  openPath(file: string) {
    report({ event: 'openPath', path: file });
    return Promise.resolve('');
  },
  showItemInFolder(file: string) {
    report({ event: 'openPath', path: file });
  },
};

let nextDialogAnswer: string[] | undefined;
export const dialog = {
  showErrorBox(title: string, content: string) {
    report({ event: 'errorBox', title, content });
  },
  showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }> {
    const answer = nextDialogAnswer;
    nextDialogAnswer = undefined;
    report({ event: 'openDialog' });
    return Promise.resolve(answer ? { canceled: false, filePaths: answer } : { canceled: true, filePaths: [] });
  },
};

type IpcHandler = (event: { senderFrame: { url: string } | null; sender: unknown }, ...args: unknown[]) => unknown;
const ipcHandlers = new Map<string, IpcHandler>();
export const ipcMain = {
  handle(channel: string, handler: IpcHandler) {
    if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcHandlers.set(channel, handler);
  },
  removeHandler(channel: string) {
    ipcHandlers.delete(channel);
  },
  on() {},
};

const privilegedSchemes: { scheme: string; privileges?: Record<string, boolean> }[] = [];
const protocolHandlers = new Map<string, (request: Request) => Promise<Response> | Response>();
export const protocol = {
  registerSchemesAsPrivileged(schemes: typeof privilegedSchemes) {
    if (isReady) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    privilegedSchemes.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response> | Response) {
    requireReady('protocol.handle');
    if (protocolHandlers.has(scheme)) throw new Error(`The scheme "${scheme}" is already handled`);
    protocolHandlers.set(scheme, handler);
  },
};

async function fetchThroughProtocol(url: string): Promise<Response> {
  const scheme = new URL(url).protocol.slice(0, -1);
  const handler = protocolHandlers.get(scheme);
  if (!handler) return new Response('ERR_UNKNOWN_URL_SCHEME', { status: 599 });
  if (!privilegedSchemes.some((entry) => entry.scheme === scheme && entry.privileges?.standard && entry.privileges?.secure)) {
    return new Response('scheme not registered as standard and secure before ready', { status: 598 });
  }
  return handler(new Request(url));
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};
export const net = {
  async fetch(url: string): Promise<Response> {
    if (!url.startsWith('file:')) throw new Error('the stand-in fetches only file: URLs (no network in tests)');
    const file = fileURLToPath(url);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return new Response('not found', { status: 404 });
    return new Response(fs.readFileSync(file), { headers: { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' } });
  },
  /**
   * Chromium's HTTP client, as electron-updater calls it (Node-style options, `session`, `redirect:
   * 'manual'`): served by Node's, to loopback only (tests talk to nothing else). Its request and
   * response raise the same events electron-updater listens for.
   */
  request(options: http.RequestOptions & { url?: string; session?: unknown; redirect?: string }) {
    requireReady('net.request');
    const { session: _session, redirect: _redirect, url, ...rest } = options;
    const target = url ? new URL(url) : new URL(`${rest.protocol ?? 'http:'}//${rest.hostname ?? rest.host}${rest.port ? `:${rest.port}` : ''}${rest.path ?? '/'}`);
    if (target.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(target.hostname)) {
      throw new Error(`the stand-in's net.request reaches only http://127.0.0.1 (no network in tests), not ${target.href}`);
    }
    const request = http.request(target, { method: rest.method ?? 'GET', headers: rest.headers });
    return Object.assign(request, { followRedirect() {} });
  },
};

const keyring = env.STANDIN_KEYRING ?? 'basic_text';
const safeStorageImpl = {
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => (platform === 'linux' ? keyring : 'unknown'),
  encryptString: (plain: string) => Buffer.from(`sealed:${Buffer.from(plain).toString('base64')}`),
  decryptString: (sealed: Buffer) => {
    if (env.STANDIN_DECRYPT_FAILS === '1') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    const text = sealed.toString();
    if (!text.startsWith('sealed:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(text.slice('sealed:'.length), 'base64').toString();
  },
};
/** Each call checks readiness, like the real module. */
function readyOnly<T extends object>(name: string, target: T): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      requireReady(`${name}.${String(key)}`);
      return Reflect.get(object, key, receiver);
    },
  });
}
export const safeStorage = readyOnly('safeStorage', safeStorageImpl);
export const powerMonitor = readyOnly('powerMonitor', new EventEmitter());
/** Electron's own updater: electron-updater announces `before-quit-for-update` on it before it quits to install. */
export const autoUpdater = new EventEmitter();

let permissionHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
const defaultSession = {
  setPermissionRequestHandler(handler: typeof permissionHandler) {
    permissionHandler = handler;
  },
  setPermissionCheckHandler() {},
};
export const session = readyOnly('session', {
  defaultSession,
  /** A separate session by name (electron-updater asks for its own, uncached): none of their state matters here. */
  fromPartition: (_partition: string, _options?: { cache?: boolean }) => ({ setPermissionRequestHandler() {}, setPermissionCheckHandler() {} }),
});

// ── ready, after the main script has run ───────────────────────────────────────────────────────
// The main script is loaded synchronously by require(); `ready` follows in a later turn.
setImmediate(() => {
  mainScriptDone = true;
  isReady = true;
  app.emit('will-finish-launching');
  app.emit('ready', {}, {});
  report({ event: 'ready' });
});

// ── the test's remote control ──────────────────────────────────────────────────────────────────
type Command = { id: number; command: string; args?: Record<string, unknown> };
const mainWindow = () => [...windows][0];

const commands: Record<string, (args: Record<string, unknown>) => unknown> = {
  state: () => ({
    mainScriptDone,
    ready: isReady,
    windows: [...windows].map((window) => ({
      id: window.id,
      visible: window.isVisible(),
      url: window.webContents.url,
      webPreferences: window.options.webPreferences,
      menuRemoved: window.menuRemoved,
    })),
    trays: [...trays].map((tray) => ({
      image: tray.image.path,
      empty: tray.image.empty,
      template: tray.image.template,
      tooltip: tray.tooltip,
      menu: tray.menu.map((item) => item.label ?? item.type ?? ''),
    })),
    ipcChannels: [...ipcHandlers.keys()],
    privilegedSchemes,
    applicationMenu: applicationMenu === undefined ? 'default' : applicationMenu === null ? null : applicationMenu.map((item) => item.label ?? item.role ?? ''),
    loginItem: app.loginItem,
    appUserModelId: app.appUserModelId,
    dockVisible: app.dock?.isVisible(),
    notifications: shownNotifications.map((entry) => ({ options: entry.options, alive: entry.ref.deref() !== undefined })),
  }),
  invoke: async ({ channel, frameUrl, input }) => {
    const handler = ipcHandlers.get(String(channel));
    if (!handler) throw new Error(`No handler registered for '${String(channel)}'`);
    return handler({ senderFrame: frameUrl === null ? null : { url: String(frameUrl) }, sender: mainWindow()?.webContents }, input);
  },
  protocolFetch: async ({ url }) => {
    const response = await fetchThroughProtocol(String(url));
    return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  },
  trayClick: ({ label }) => {
    const tray = [...trays][0];
    const item = tray?.menu.find((entry) => entry.label === label);
    if (!item?.click) throw new Error(`no tray menu item "${String(label)}" in ${tray?.menu.map((entry) => entry.label).join(', ')}`);
    item.click();
    return true;
  },
  trayIconClick: () => [...trays][0]?.emit('click'),
  /** The user clicks a notification (or its action button) in the OS, possibly minutes later. */
  notificationClick: ({ index, action }) => {
    const entry = shownNotifications[Number(index)];
    const notification = entry?.ref.deref();
    if (!notification) return { fired: false };
    if (action) notification.emit('action', {}, 0);
    else notification.emit('click');
    return { fired: true };
  },
  gc: async () => {
    // Let the current job end, so WeakRefs made in it can be cleared, then collect.
    await new Promise((resolve) => setImmediate(resolve));
    (globalThis as { gc?: () => void }).gc?.();
    return shownNotifications.map((entry) => entry.ref.deref() !== undefined);
  },
  windowClose: () => mainWindow()?.close(),
  windowAttempt: ({ event, url }) => mainWindow()?.webContents.attempt(String(event), String(url)),
  windowOpen: ({ url }) => mainWindow()?.webContents.windowOpenHandler?.({ url: String(url) }),
  permission: ({ permission }) =>
    new Promise((resolve) => {
      if (!permissionHandler) return resolve('no handler');
      permissionHandler(undefined, String(permission), resolve);
    }),
  /** Cmd-Q, logout or shutdown: the OS asks the app to quit, without going through the tray. */
  osQuit: () => app.quit(),
  /** Windows ends the session: `before-quit` is skipped, windows get `session-end`. */
  sessionEnd: () => {
    for (const window of windows) window.emit('session-end', {});
    return true;
  },
  activate: () => app.emit('activate', {}, false),
  secondInstance: () => app.emit('second-instance', {}, [], process.cwd()),
  resume: () => (powerMonitor as EventEmitter).emit('resume'),
  answerOpenDialog: ({ paths }) => {
    nextDialogAnswer = paths as string[];
    return true;
  },
};

if (process.send) {
  process.on('message', (message: Command) => {
    const run = commands[message.command];
    Promise.resolve()
      .then(() => {
        if (!run) throw new Error(`unknown stand-in command ${message.command}`);
        return run(message.args ?? {});
      })
      .then(
        (result) => report({ event: 'reply', id: message.id, result }),
        (error: unknown) => report({ event: 'reply', id: message.id, error: String((error as Error)?.message ?? error) }),
      );
  });
  // The control channel must not keep the app alive: the app decides when it exits.
  process.channel?.unref();
}

// Like Electron's message loop, the process lives until the app quits, whatever else is running.
setInterval(() => undefined, 2 ** 30);
