import type { ConnectionView, DesktopHandlers } from '../../shared/bridge.ts';
import { pairWithTeamRelay, probeCertificate, teamRelayOrigin } from '../core/remote/remote-relay.ts';
import { LocalBackend, type DesktopBackend } from './backend.ts';
import type { Connection, DesktopState } from './desktop-state.ts';
import { RemoteBackend } from './remote-backend.ts';

type ConnectionMethods = 'getConnection' | 'probeTeamRelay' | 'connectTeamRelay' | 'useLocalRelay' | 'updateTeamNotifications';

export interface ConnectionHost {
  state: () => DesktopState;
  backend: () => DesktopBackend | undefined;
  /** Stops whatever runs now and starts the relay `connection` names. */
  switchRelay: (connection: Connection) => Promise<void>;
}

/** Which relay this app shows: its own, or a team relay it pairs with (after the person confirms its certificate). */
export function connectionHandlers(host: ConnectionHost): Pick<DesktopHandlers, ConnectionMethods> {
  const connectionView = (): ConnectionView => (host.state().hasChosen() ? (host.backend()?.describe() ?? { mode: 'local' }) : { mode: 'unchosen' });
  return {
    getConnection: () => connectionView(),
    probeTeamRelay: async ({ url }) => {
      const origin = teamRelayOrigin(url);
      const { fingerprint256 } = await probeCertificate(origin);
      return { origin, fingerprint256 };
    },
    connectTeamRelay: async ({ url, code, fingerprint256 }) => {
      const origin = teamRelayOrigin(url);
      const pin = await probeCertificate(origin);
      if (pin.fingerprint256 !== fingerprint256) {
        throw new Error(`the relay's certificate is not the one you confirmed (now ${pin.fingerprint256}): check again before connecting`);
      }
      const paired = await pairWithTeamRelay(origin, pin, code);
      // A technician's preferences start as this app's own relay had them.
      const backend = host.backend();
      if (backend instanceof LocalBackend)
        host.state().teamNotifications = { notifyMinSeverity: backend.settings.notifyMinSeverity, notifyResolves: backend.settings.notifyResolves };
      await host.switchRelay({ mode: 'remote', origin, pin, token: paired.token, name: paired.name, role: paired.role });
      return connectionView();
    },
    useLocalRelay: async () => {
      if (host.backend() instanceof LocalBackend) host.state().setConnection({ mode: 'local' });
      else await host.switchRelay({ mode: 'local' });
      return connectionView();
    },
    updateTeamNotifications: (preferences) => {
      if (!(host.backend() instanceof RemoteBackend)) throw new Error('these preferences are for a team relay; this app runs its own (see Settings → Notifications)');
      host.state().teamNotifications = preferences;
      return connectionView();
    },
  };
}
