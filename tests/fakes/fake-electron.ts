/**
 * A stand-in for the parts of Electron the main-process glue uses, recording what the glue did.
 * It lets the glue run under plain Node, where the Electron binary is not available.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ElectronApi } from '../../electron/main/electron-api.ts';

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  sent: { channel: string; value: unknown }[] = [];
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  send(channel: string, value: unknown) {
    this.sent.push({ channel, value });
    this.emit('sent');
  }
  /** Emits like Electron does and tells whether a listener prevented the default. */
  attempt(event: string, url: string): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

export function createFakeElectron(options: { singleInstance?: boolean; keyring?: boolean } = {}) {
  /** Emits 'change' whenever the glue does something observable, so tests await instead of polling. */
  const changed = new EventEmitter();
  const record = {
    changed,
    quitCalls: 0,
    loginItem: undefined as { openAtLogin: boolean } | undefined,
    windows: [] as FakeBrowserWindow[],
    trays: [] as FakeTray[],
    notifications: [] as FakeNotification[],
    clipboard: [] as string[],
    openedExternally: [] as string[],
    errorBoxes: [] as { title: string; content: string }[],
    ipcHandlers: new Map<string, (event: { senderFrame: { url: string } | null }, input: unknown) => unknown>(),
    protocolHandler: undefined as ((request: Request) => Promise<Response>) | undefined,
    privilegedSchemes: [] as unknown[],
    permissionHandler: undefined as undefined | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void),
  };

  class FakeApp extends EventEmitter {
    requestSingleInstanceLock() {
      return options.singleInstance ?? true;
    }
    whenReady() {
      return Promise.resolve();
    }
    quit() {
      record.quitCalls++;
      let prevented = false;
      this.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) this.emit('quit');
    }
    setLoginItemSettings(settings: { openAtLogin: boolean }) {
      record.loginItem = settings;
    }
  }

  class FakeBrowserWindow extends EventEmitter {
    readonly options: { webPreferences: Record<string, unknown> };
    readonly webContents = new FakeWebContents();
    visible = false;
    destroyed = false;
    loadedUrl: string | undefined;
    constructor(windowOptions: { webPreferences: Record<string, unknown> }) {
      super();
      this.options = windowOptions;
      this.webContents.on('sent', () => changed.emit('change'));
      record.windows.push(this);
    }
    loadURL(url: string) {
      this.loadedUrl = url;
      this.emit('ready-to-show');
      return Promise.resolve();
    }
    show() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return this.destroyed;
    }
    /** What clicking the window's close button does. */
    userClose() {
      let prevented = false;
      this.emit('close', { preventDefault: () => (prevented = true) });
      if (!prevented) this.destroyed = true;
    }
  }

  class FakeTray extends EventEmitter {
    image: string;
    tooltip = '';
    menu: { label?: string; type?: string; click?: () => void }[] = [];
    constructor(image: string) {
      super();
      this.image = image;
      record.trays.push(this);
    }
    setImage(image: string) {
      this.image = image;
    }
    setToolTip(tooltip: string) {
      this.tooltip = tooltip;
    }
    setContextMenu(menu: { label?: string; type?: string; click?: () => void }[]) {
      this.menu = menu;
    }
    click(label: string) {
      const item = this.menu.find((entry) => entry.label === label);
      if (!item?.click) throw new Error(`no tray menu item "${label}" in ${this.menu.map((entry) => entry.label).join(', ')}`);
      item.click();
    }
  }

  class FakeNotification extends EventEmitter {
    static isSupported() {
      return true;
    }
    readonly options: { title: string; body: string; urgency?: string; actions?: { type: string; text: string }[] };
    shown = false;
    constructor(notificationOptions: FakeNotification['options']) {
      super();
      this.options = notificationOptions;
    }
    show() {
      this.shown = true;
      record.notifications.push(this);
      changed.emit('change');
    }
  }

  const app = new FakeApp();
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (template: unknown[]) => template },
    Notification: FakeNotification,
    nativeImage: { createFromPath: (file: string) => file },
    clipboard: { writeText: (text: string) => record.clipboard.push(text) },
    shell: { openExternal: (url: string) => (record.openedExternally.push(url), Promise.resolve()) },
    dialog: { showErrorBox: (title: string, content: string) => record.errorBoxes.push({ title, content }) },
    ipcMain: { handle: (channel: string, handler: never) => record.ipcHandlers.set(channel, handler) },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => record.privilegedSchemes.push(...schemes),
      handle: (_scheme: string, handler: (request: Request) => Promise<Response>) => (record.protocolHandler = handler),
    },
    net: { fetch: async (url: string) => new Response(fs.readFileSync(fileURLToPath(url)), { headers: { 'content-type': 'text/html' } }) },
    safeStorage: {
      isEncryptionAvailable: () => options.keyring ?? true,
      getSelectedStorageBackend: () => (options.keyring ?? true ? 'gnome_libsecret' : 'basic_text'),
      encryptString: (plain: string) => Buffer.from(`sealed:${plain}`),
      decryptString: (sealed: Buffer) => sealed.toString().replace(/^sealed:/, ''),
    },
    powerMonitor: new EventEmitter(),
    session: { defaultSession: { setPermissionRequestHandler: (handler: typeof record.permissionHandler) => (record.permissionHandler = handler) } },
  };
  return { electron: electron as unknown as ElectronApi, record, app };
}
