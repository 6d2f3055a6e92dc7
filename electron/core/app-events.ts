/**
 * What changed in the running relay that is not a write to the store: the dashboard and the tray
 * re-read the status, the setup wizard and the routing page when one of these comes.
 */
export type AppTopic =
  /** Settings were saved. */
  | 'settings'
  /** The tunnel started, stopped, or found its public URL. */
  | 'tunnel'
  /** A reachability check of the public URL finished. */
  | 'reachability'
  /** The hourly look at the ilert alert sources finished. */
  | 'alert-sources'
  /** A poll of ilert's open alerts succeeded after failing, or failed. */
  | 'ilert-state'
  /** Syncing with Level's API failed. */
  | 'level-sync'
  /** The setup wizard's integration test moved on. */
  | 'integration-test'
  /** The store started or stopped failing to write. */
  | 'store-health'
  /** Forwarding to a target was paused or resumed, a target began or stopped waiting for ilert's rate limit, or an ilert outage's summary moved. */
  | 'forwarding'
  /** The public port came under pressure (requests turned away for lack of room), or it passed. */
  | 'public-port'
  /** Processing fell more than a second behind the acknowledgements while nothing else changed. */
  | 'processing';

export interface AppEvent {
  kind: 'app';
  topic: AppTopic;
}

/** How a part tells the relay something changed; the relay passes it on to every listener. */
export type Announce = (topic: AppTopic) => void;
