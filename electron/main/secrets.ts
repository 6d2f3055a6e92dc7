import type { SecretCodec } from '../core/settings-file.ts';
import type { ElectronApi } from './electron-api.ts';

/**
 * Secrets at rest go through the OS keychain (safeStorage). Where Linux has no keyring,
 * safeStorage would fall back to a hard-coded key: say so rather than pretend.
 */
export function secretStorage(safeStorage: ElectronApi['safeStorage'], platform: NodeJS.Platform): { codec: SecretCodec | undefined; warning: string | undefined } {
  const plainTextOnLinux = platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text';
  if (!safeStorage.isEncryptionAvailable() || plainTextOnLinux) {
    return { codec: undefined, warning: 'No keyring is available: secrets are stored in plain text in the settings file (readable only by your user).' };
  }
  return {
    codec: {
      encrypt: (plain) => safeStorage.encryptString(plain).toString('base64'),
      decrypt: (stored) => safeStorage.decryptString(Buffer.from(stored, 'base64')),
    },
    warning: undefined,
  };
}
