import { pathToFileURL } from 'node:url';
import { APP_SCHEME, RENDERER_CSP, resolveAppFile } from '../core/desktop/app-protocol.ts';
import type { ElectronApi } from './electron-api.ts';

/** Must run before the app is ready. */
export function registerAppScheme(protocol: ElectronApi['protocol']): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the built renderer from app://relay/, never a file outside it, always with the CSP. */
export function serveRenderer(electron: Pick<ElectronApi, 'protocol' | 'net'>, rendererDir: string): void {
  electron.protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(request.url, rendererDir);
    if (!file) return new Response('not found', { status: 404 });
    const response = await electron.net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('content-security-policy', RENDERER_CSP);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
