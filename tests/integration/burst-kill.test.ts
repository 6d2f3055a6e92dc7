import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startChildRelay, stopChildRelay, tempDataDir, SECRET, INTEGRATION_KEY, type ChildRelay } from '../helpers/relay-harness.ts';
import { seeded } from '../helpers/seeded.ts';
import { waitUntil } from '../helpers/wait.ts';

const ilert = await new FakeIlert({ perKeyLimit: 100_000 }).start();
after(() => ilert.stop());

const ROUNDS = 10;
const ALERTS_PER_ROUND = 40;
const SENDERS = 8;
/** Each alert as Level reports one: active, active again (an update), resolved; occurred_at a second apart. */
const EPISODE = ['alert_active', 'alert_active', 'alert_resolved'] as const;

/** The relay's database read from the test process, as the sqlite3 shell would; the relay may be running (WAL) or dead. */
function readDatabase<T>(dataDir: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path.join(dataDir, 'relay.sqlite'), { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

test(
  'kill -9 at a random moment of a burst, ten times on one data directory: every acknowledged delivery is applied once, and ilert gets each event once, in order per alert',
  { timeout: 120_000 },
  async () => {
    const seed = Number(process.env.BURST_KILL_SEED ?? Date.now() % 1_000_000);
    console.log(`burst-kill seed: ${seed} (BURST_KILL_SEED=${seed} replays the same kill points and send orders)`);
    const random = seeded(seed);
    // One data directory for all ten rounds, as a real relay killed again and again keeps its own: a
    // kill can then land while the restarted relay still applies the backlog the previous kill left,
    // and every round's recovery starts from a log that earlier crashes already went through.
    const dataDir = tempDataDir('relay-burst-kill-');
    const env = { RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url, ILERT_EVENTS_PER_MINUTE: '100000' };
    let relay: ChildRelay = await startChildRelay(env);
    // Level's receiver URL stays the same across restarts, as it would behind a tunnel.
    const port = new URL(relay.url).port;
    const acknowledged = new Set<string>();
    const alertKeys: string[] = [];
    const atKill: { received: number; inFlight: number; cutOff: number }[] = [];
    const start = Date.now() - 3_600_000;

    try {
      for (let round = 0; round < ROUNDS; round++) {
        const alerts = Array.from({ length: ALERTS_PER_ROUND }, (_, index) => {
          const alertId = `burst-${seed}-${round}-${index}`;
          alertKeys.push(`level-alert-${alertId}`);
          return EPISODE.map((eventType, step) => alertEvent({ eventType, alertId, occurredAt: new Date(start + (round * 10 + step) * 1000).toISOString() }));
        });
        const total = alerts.length * EPISODE.length;
        // Each sender owns some alerts and sends their events in order, interleaved at random: Level
        // sends one alert's events one after the other, many alerts at once.
        const queues = Array.from({ length: SENDERS }, (_, sender) => {
          const mine = alerts.filter((_, index) => index % SENDERS === sender).map((events) => [...events]);
          const order: (typeof mine)[number] = [];
          while (mine.length > 0) {
            const pick = Math.floor(random() * mine.length);
            order.push(mine[pick]!.shift()!);
            if (mine[pick]!.length === 0) mine.splice(pick, 1);
          }
          return order;
        });
        const killAfter = Math.floor(total * (0.1 + random() * 0.8));
        let ackedThisRound = 0;
        let cutOff = 0;
        let restarting: Promise<ChildRelay> | undefined;
        const dying = relay;
        const restart = () =>
          (restarting ??= dying.exited.then(async () => {
            const counts = readDatabase(dataDir, (db) => ({
              received: (db.prepare(`SELECT count(*) AS n FROM deliveries WHERE outcome = 'received'`).get() as { n: number }).n,
              inFlight: (db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'in_flight'`).get() as { n: number }).n,
            }));
            atKill.push({ ...counts, cutOff: 0 });
            return (relay = await startChildRelay({ ...env, RELAY_PORT: port }));
          }));
        const sender = (url: string) => new LevelSender({ url, secret: SECRET, attempts: 1 });
        await Promise.all(
          queues.map(async (queue) => {
            for (const event of queue) {
              // Like Level: an event without a 2xx is sent again, the same bytes, until it is taken;
              // Level waits minutes between attempts, this waits for the restart instead.
              for (let attempt = 0; ; attempt++) {
                assert.ok(attempt < 5, `event ${event.event_id} was refused five times`);
                const target = restarting ? (await restarting).url : dying.url;
                const outcome = await sender(target).deliver(event);
                if (outcome.acknowledged) break;
                if (outcome.attempts[0]?.status === null) cutOff++;
                await (restarting ?? sleep(20));
              }
              acknowledged.add(event.event_id);
              if (++ackedThisRound === killAfter) {
                dying.child.kill('SIGKILL');
                void restart();
              }
            }
          }),
        );
        await restart();
        atKill.at(-1)!.cutOff = cutOff;
      }

      // Everything acknowledged is applied and every job has its final word, then the relay stops cleanly.
      // The relay is another process: what it has stored is read from its database.
      await waitUntil(
        () =>
          readDatabase(dataDir, (db) => {
            const open = db
              .prepare(`SELECT (SELECT count(*) FROM deliveries WHERE outcome = 'received') + (SELECT count(*) FROM outbox WHERE status IN ('queued', 'in_flight')) AS n`)
              .get() as { n: number };
            return open.n === 0;
          }),
        30_000,
        'the last relay to apply and send everything',
      );
    } finally {
      await stopChildRelay(relay);
    }

    const midProcessing = atKill.filter((kill) => kill.received > 0).length;
    const midSending = atKill.filter((kill) => kill.inFlight > 0).length;
    console.log(
      `burst-kill: ${ROUNDS} kills; deliveries acknowledged but not yet applied at the kill: [${atKill.map((kill) => kill.received).join(', ')}] (${midProcessing}/${ROUNDS} kills mid-processing); ` +
        `ilert requests on the wire: [${atKill.map((kill) => kill.inFlight).join(', ')}] (${midSending}/${ROUNDS} kills mid-send); requests cut off: [${atKill.map((kill) => kill.cutOff).join(', ')}]`,
    );
    assert.equal(acknowledged.size, ROUNDS * ALERTS_PER_ROUND * EPISODE.length, 'every event was acknowledged in the end');
    assert.ok(midProcessing >= 1, 'at least one kill landed while acknowledged deliveries waited to be applied');

    const stored = readDatabase(dataDir, (db) => ({
      deliveries: db.prepare(`SELECT event_id, outcome, count(*) AS n FROM deliveries WHERE event_id IS NOT NULL GROUP BY event_id, outcome`).all() as {
        event_id: string;
        outcome: string;
        n: number;
      }[],
      jobs: db.prepare(`SELECT id, event_id, alert_key, event_type, status, maybe_delivered FROM outbox ORDER BY id`).all() as {
        id: number;
        event_id: string;
        alert_key: string;
        event_type: string;
        status: string;
        maybe_delivered: number;
      }[],
    }));
    // Status counts stay exact through the kills: the kept counters (what Health and the status bar
    // read) agree with the rows they count.
    const counters = readDatabase(dataDir, (db) => ({
      kept: db
        .prepare(
          `SELECT name, n FROM facts WHERE (name LIKE 'jobs:%' OR name LIKE 'deliveries:%' OR name LIKE 'alerts:active:%' OR name = 'webhooks:accepted') AND n != 0 ORDER BY name`,
        )
        .all(),
      counted: db
        .prepare(
          `SELECT name, n FROM (
           SELECT 'jobs:' || status || ':' || target AS name, count(*) AS n FROM outbox GROUP BY status, target
           UNION ALL SELECT 'deliveries:' || outcome, count(*) FROM deliveries WHERE outcome IN ('received', 'failed') GROUP BY outcome
           UNION ALL SELECT 'alerts:active:' || coalesce(severity, 'information'), count(*) FROM alerts WHERE state = 'active' GROUP BY coalesce(severity, 'information')
           UNION ALL SELECT 'webhooks:accepted', count(*) FROM deliveries WHERE source = 'webhook' AND outcome != 'rejected' HAVING count(*) > 0
         ) ORDER BY name`,
        )
        .all(),
    }));
    assert.deepEqual(counters.kept, counters.counted);

    // The processor applied each acknowledged event exactly once: one 'accepted' delivery (Level's
    // resends of it are duplicates), one outbox job. Nothing is left 'received'.
    const accepted = new Map<string, number>();
    for (const row of stored.deliveries) {
      assert.ok(row.outcome === 'accepted' || row.outcome === 'duplicate', `delivery of ${row.event_id} ended ${row.outcome}`);
      if (row.outcome === 'accepted') accepted.set(row.event_id, row.n);
    }
    for (const eventId of acknowledged) assert.equal(accepted.get(eventId), 1, `event ${eventId} applied once`);
    const jobsPerEvent = new Map<string, number>();
    for (const job of stored.jobs) jobsPerEvent.set(job.event_id, (jobsPerEvent.get(job.event_id) ?? 0) + 1);
    for (const eventId of acknowledged) assert.equal(jobsPerEvent.get(eventId), 1, `one outbox job for event ${eventId}`);
    assert.equal(stored.jobs.length, acknowledged.size);

    // ilert saw every job that was sent, and only those. A request on the wire at a kill may reach
    // ilert twice (its outcome was lost with the process: the design's one admitted resend); such a
    // job says so (maybe_delivered). Nothing else is repeated.
    const seen = new Map<string, number>();
    for (const received of ilert.events) {
      const eventId = (received.body.customDetails as { levelEventId: string }).levelEventId;
      seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
    }
    let resent = 0;
    for (const job of stored.jobs) {
      assert.ok(job.status === 'delivered' || job.status === 'skipped', `job ${job.id} ended ${job.status}`);
      const times = seen.get(job.event_id) ?? 0;
      if (job.status === 'skipped') assert.equal(times, 0, `skipped job ${job.id} (${job.event_type} ${job.alert_key}) never reached ilert`);
      else if (job.maybe_delivered) assert.ok(times === 1 || times === 2, `job ${job.id}, on the wire at a kill, reached ilert once or twice (${times})`);
      else assert.equal(times, 1, `job ${job.id} (${job.event_type} ${job.alert_key}) reached ilert exactly once`);
      if (times === 2) resent++;
    }
    const onTheWire = atKill.reduce((sum, kill) => sum + kill.inFlight, 0);
    assert.ok(resent <= onTheWire, `only requests on the wire at a kill (${onTheWire} in all) were sent twice (${resent})`);

    // In order per alert: ilert saw each alert's events in the order of its jobs (Level's order), a
    // resend never after a later event, so a RESOLVE never comes before (or is followed by) its ALERT.
    const jobOf = new Map(stored.jobs.map((job) => [job.event_id, job]));
    let sentAlerts = 0;
    for (const key of alertKeys) {
      const order = ilert.eventsFor(key).map((received) => jobOf.get((received.body.customDetails as { levelEventId: string }).levelEventId)!.id);
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `ilert saw ${key}'s events in order`,
      );
      const types = ilert.eventTypesFor(key);
      if (types.length > 0) {
        sentAlerts++;
        assert.equal(types.at(-1), 'RESOLVE', `${key} ends resolved at ilert (${types.join(' ')})`);
        assert.equal(types[0], 'ALERT', `${key} opens with its ALERT (${types.join(' ')})`);
      }
    }
    console.log(
      `burst-kill: ${sentAlerts}/${alertKeys.length} alerts reached ilert (the rest were resolved before their ALERT went: skipped together); ${resent} requests sent twice`,
    );
    assert.deepEqual(ilert.schemaViolations, []);
  },
);
