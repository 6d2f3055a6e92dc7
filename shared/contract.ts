/**
 * The one contract between the relay core and any UI: every method with its input and output
 * schema, and every pushed event. The admin HTTP API (browser) and IPC (Electron) both serve it;
 * adding a method is one entry here plus its handler.
 */
import { z } from 'zod';

const id = z.object({ id: z.number().int().positive() });
const none = z.object({}).strict();

export const relayStatusSchema = z.object({
  receiverListening: z.boolean(),
  receiverUrl: z.string().optional(),
  queueDepth: z.number().int(),
  failedJobs: z.number().int(),
  lastDeliveryAt: z.number().optional(),
  problems: z.array(z.string()),
});

export const methods = {
  getStatus: { input: none, output: relayStatusSchema },
  rerunDelivery: { input: id, output: z.object({ statusCode: z.number().int(), body: z.record(z.string(), z.unknown()) }) },
  rerunJob: { input: id, output: z.object({ queued: z.literal(true) }) },
  retryAllFailed: { input: none, output: z.object({ count: z.number().int() }) },
} as const;

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.input<(typeof methods)[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<(typeof methods)[M]['output']>;
export type Handlers = { [M in MethodName]: (input: z.output<(typeof methods)[M]['input']>) => Promise<MethodOutput<M>> | MethodOutput<M> };

/** Pushed from the core to every UI, batched (see ChangeBatcher). */
export const pushedEvents = {
  changes: z.object({
    deliveries: z.array(z.number().int()),
    jobs: z.array(z.number().int()),
    alerts: z.array(z.string()),
  }),
} as const;

export type PushedEventName = keyof typeof pushedEvents;
export type PushedEvent<E extends PushedEventName> = z.output<(typeof pushedEvents)[E]>;

/** Errors cross the boundary as a code and a message a person can act on. */
export const errorSchema = z.object({ error: z.object({ code: z.enum(['bad_input', 'not_found', 'internal']), message: z.string() }) });
