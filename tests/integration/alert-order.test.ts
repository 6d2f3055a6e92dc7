/**
 * Invariant 3 (order per alert) as a property: Level tells each alert's story (active, resolved,
 * active, … at rising times), the webhooks arrive shuffled and some twice, ilert fails now and
 * then; once the relay has drained, ilert and the relay hold Level's latest word for every alert.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert, type FaultMode } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, FAST_TUNING, startRelay } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import { seeded } from '../helpers/seeded.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { alertsById } from '../helpers/parts.ts';

const SEED = Number(process.env.ALERT_ORDER_SEED ?? 20_260_313);
const ALERTS = 120;

const ilert = await new FakeIlert({ perKeyLimit: 1_000_000 }).start();
after(() => ilert.stop());

test(
  `${ALERTS} alerts, their webhooks shuffled and some repeated, ilert failing now and then: each alert ends as Level last said (seed ${SEED})`,
  { timeout: 90_000 },
  async (t) => {
    const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertEventsPerMinute: 100_000 }, { ...FAST_TUNING, requestTimeoutMs: 2000 });
    t.after(() => harness.stop());
    const random = seeded(SEED);
    // All in the past: a time ahead of its receipt would count as received (EVENT_TIME_AHEAD_LIMIT_MS).
    const start = Date.now() - (ALERTS + 1) * 60_000;
    const stories = Array.from({ length: ALERTS }, (_, index) => {
      const alertId = `order-${SEED}-${index}`;
      const length = 1 + Math.floor(random() * 5);
      return Array.from({ length }, (_, step) =>
        alertEvent({ alertId, eventType: step % 2 === 0 ? 'alert_active' : 'alert_resolved', occurredAt: new Date(start + index * 60_000 + step * 1000).toISOString() }),
      );
    });
    const deliveries = stories.flat().flatMap((event) => (random() < 0.1 ? [event, event] : [event]));
    for (let index = deliveries.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [deliveries[index], deliveries[other]] = [deliveries[other]!, deliveries[index]!];
    }
    const faults: FaultMode[] = [{ kind: 'status', status: 503 }, { kind: 'drop' }, { kind: 'status', status: 429 }];
    // Eight at a time, as Level's senders overlap: the shuffle is the seed's, the interleaving the machine's.
    const queue = [...deliveries];
    const lane = async () => {
      for (let event = queue.shift(); event; event = queue.shift()) {
        ilert.mode = random() < 0.3 ? faults[Math.floor(random() * faults.length)]! : { kind: 'ok' };
        assert.equal((await harness.sender.deliver(event)).acknowledged, true);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    ilert.mode = { kind: 'ok' };
    await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 60_000, 'every job sent or skipped');
    assert.equal(harness.relay.status().failedJobs, 0);

    const wrong: string[] = [];
    const held = new Map(
      alertsById(
        harness.relay,
        stories.map((story) => story[0]!.data.id),
      ).map((alert) => [alert.levelAlertId, alert.state]),
    );
    for (const story of stories) {
      const latest = story.at(-1)!;
      const active = latest.event_type === 'alert_active';
      const inIlert = ilert.alertByKey(alertKeyFor(latest.data.id));
      const ilertOpen = inIlert !== undefined && inIlert.status !== 'RESOLVED';
      const relayState = held.get(latest.data.id);
      if (ilertOpen !== active || relayState !== (active ? 'active' : 'resolved')) {
        wrong.push(`${latest.data.id}: Level last said ${latest.event_type}, ilert ${inIlert?.status ?? 'has nothing'}, relay ${relayState}`);
      }
    }
    assert.deepEqual(wrong, []);
  },
);
