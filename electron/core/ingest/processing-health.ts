import type { Diagnosis } from '../../../shared/contract.ts';
import type { ProcessingState } from './processor.ts';

/** Behind by less than this, processing is keeping up: nobody needs to hear about it. */
export const LAG_SHOWN_AFTER_MS = 1000;
/** A delivery that could not be processed is reported this long, unless a later delivery of its event (a re-run once the cause was fixed) was received. */
export const FAILED_SHOWN_FOR_MS = 24 * 60 * 60_000;

function seconds(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function deliveries(n: number): string {
  return `${n.toLocaleString('en')} ${n === 1 ? 'delivery' : 'deliveries'}`;
}

/**
 * What Health says about the second stage: how far processing lags behind the acknowledgements
 * (over a second), what it waits for or why it stopped, and the deliveries it could not apply.
 */
export function processingFindings(state: ProcessingState | undefined, failed: { n: number; lastId: number } | undefined, now: number): Diagnosis[] {
  const found: Diagnosis[] = [];
  const lagMs = state?.oldest ? now - state.oldest.receivedAt : 0;
  if (state?.stalledSince !== undefined) {
    found.push({
      id: 'processing-stalled',
      level: 'error',
      title: `Processing has stopped: ${deliveries(state.waiting)} received and not yet applied`,
      detail: `Nothing was applied for ${seconds(now - state.stalledSince)}; the oldest waiting is delivery #${state.oldest?.id ?? '?'}. ${
        state.problem ? `The last attempt failed: ${state.problem.reason}.` : state.waitingFor ? `It waits for ${state.waitingFor}.` : ''
      } Webhooks are still acknowledged and kept, but nobody is paged for them until processing goes on; /healthz answers 503 and the heartbeat is withheld.`,
      fix: 'See the log for the processor’s error. Free disk space or close the program holding relay.sqlite; restarting the relay applies what is waiting, in order.',
      deliveryId: state.oldest?.id,
    });
  } else if (state && lagMs > LAG_SHOWN_AFTER_MS) {
    found.push({
      id: 'processing-lag',
      level: 'warning',
      title: `Processing is ${seconds(lagMs)} behind: ${deliveries(state.waiting)} waiting`,
      detail: `Acknowledged deliveries are applied in the order they came (the oldest waiting is #${state.oldest!.id}).${
        state.waitingFor ? ` It waits for ${state.waitingFor}.` : state.problem ? ` The last attempt failed: ${state.problem.reason}; it is tried again.` : ''
      }`,
      fix: 'Nothing to do while it shrinks: a burst of webhooks is being worked through. If it grows, see the log.',
      deliveryId: state.oldest!.id,
    });
  }
  if (failed) {
    found.push({
      id: 'processing-failed',
      level: 'warning',
      title: `${deliveries(failed.n)} could not be processed`,
      detail: `The relay acknowledged ${failed.n === 1 ? 'it' : 'them'} but could not apply ${failed.n === 1 ? 'it' : 'them'}, so nothing went to ilert; the last was delivery #${failed.lastId}. Later deliveries were processed as usual.`,
      fix: 'Open the delivery in Deliveries to see why; re-run it once the cause is fixed.',
      deliveryId: failed.lastId,
    });
  }
  return found;
}
