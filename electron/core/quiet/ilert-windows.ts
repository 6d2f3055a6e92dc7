import type { CreateWindowInput } from '../../../shared/contract.ts';
import type { IlertApi, MaintenanceWindowSource } from '../ilert/ilert-api.ts';
import type { MaintenanceWindowRows } from '../store/maintenance-windows.ts';
import { BadInputError } from '../errors.ts';

/** ilert's schema allows at most 50 alert sources in one maintenance window. */
const MAX_ALERT_SOURCES = 50;

/** An ilert target as the relay sends to it: its Events API integration key, none for a pass-through URL. */
export interface IlertTargetKey {
  name: string;
  integrationKey: string | undefined;
}

export interface IlertWindowsOptions {
  rows: MaintenanceWindowRows;
  /** ilert's REST API with the user API key; undefined without one. */
  api: () => IlertApi | undefined;
  /** The targets the relay sends to, configured ones only. */
  targets: () => IlertTargetKey[];
}

/**
 * "Also in ilert": the matching one-off maintenance window in ilert for a relay window over a whole
 * target (or everything), so ilert shows its alert source IN_MAINTENANCE too, and deleted again when
 * the relay window is ended early (https://docs.ilert.com, "Maintenance windows"; POST and DELETE
 * /api/maintenance-windows in ilert's API reference, https://api.ilert.com/api-docs/).
 *
 * The relay window is saved first and stays whatever ilert answers: ilert is asked afterwards, and
 * what goes wrong there is kept on the relay window and shown with it. All the window's alert
 * sources go into one ilert window, so ilert has either the whole window or none of it.
 */
export class IlertWindows {
  readonly #rows: MaintenanceWindowRows;
  readonly #options: IlertWindowsOptions;

  constructor(options: IlertWindowsOptions) {
    this.#options = options;
    this.#rows = options.rows;
  }

  /** The targets whose alert sources the window would cover; throws BadInputError (400) when the option does not apply. */
  targetsFor(input: CreateWindowInput): IlertTargetKey[] {
    const { scope } = input;
    if (!('target' in scope) && !('all' in scope)) {
      throw new BadInputError(
        '“also in ilert” is for a window over a whole ilert target or over everything: ilert’s maintenance windows cover whole alert sources, not Level groups or devices',
      );
    }
    if (input.days) {
      throw new BadInputError('“also in ilert” is for one-off windows: ilert’s maintenance windows have no weekly recurrence, so a weekly window would be in ilert only once');
    }
    if (!this.#options.api()) throw new BadInputError('“also in ilert” needs an ilert API key (Settings → ilert) to create the window in ilert');
    const configured = this.#options.targets();
    const targets = 'all' in scope ? configured : configured.filter((target) => target.name === scope.target);
    if (targets.length === 0) throw new BadInputError('target' in scope ? `no ilert target named “${scope.target}”` : 'no ilert target is configured');
    const passThrough = targets.find((target) => !target.integrationKey);
    if (passThrough) {
      throw new BadInputError(
        `the target “${passThrough.name}” sends to a pass-through URL, not with an integration key, so the relay cannot look its alert source up: create that window in ilert by hand`,
      );
    }
    if (targets.length > MAX_ALERT_SOURCES)
      throw new BadInputError(`an ilert maintenance window covers at most ${MAX_ALERT_SOURCES} alert sources; this one would cover ${targets.length}`);
    return targets;
  }

  /**
   * Creates the ilert window for relay window `windowId` and records its id, or records why it could
   * not: looking up an alert source or the POST failing leaves ilert without a window.
   */
  async open(windowId: number, input: CreateWindowInput & { createdBy: string }, targets: IlertTargetKey[], now: number): Promise<{ windowId?: number; problem?: string }> {
    const api = this.#options.api();
    try {
      if (!api) throw new Error('the ilert API key was removed meanwhile');
      const sources: MaintenanceWindowSource[] = [];
      for (const target of targets) sources.push(await api.maintenanceWindowSource(target.integrationKey!));
      const ilertWindowId = await api.createMaintenanceWindow({
        summary: input.name,
        description: [input.reason, `Made by the Level → ilert relay (window ${windowId}) for ${input.createdBy}.`].filter(Boolean).join(' — '),
        // ilert is asked a moment after the window starts: a start in the past would only be history there.
        start: new Date(Math.max(Date.parse(input.start), now)).toISOString(),
        end: new Date(Date.parse(input.end)).toISOString(),
        alertSources: sources,
      });
      this.#rows.setIlert(windowId, { windowId: ilertWindowId, problem: undefined });
      return { windowId: ilertWindowId };
    } catch (error) {
      const problem = `the relay window is saved and holds alerts, but ilert has no matching window: ${(error as Error).message}`;
      this.#rows.setIlert(windowId, { windowId: undefined, problem });
      return { problem };
    }
  }

  /** Deletes the ilert window of a relay window ended early; what went wrong, if anything (the relay window is ended either way). */
  async close(windowId: number, ilertWindowId: number): Promise<string | undefined> {
    const api = this.#options.api();
    try {
      if (!api) throw new Error('no ilert API key is set any more');
      await api.deleteMaintenanceWindow(ilertWindowId);
      this.#rows.setIlert(windowId, { windowId: undefined, problem: undefined });
      return undefined;
    } catch (error) {
      const problem = `the relay window is ended, but ilert’s maintenance window ${ilertWindowId} could not be deleted, so its alert source stays in maintenance until that window ends: delete it in ilert (${(error as Error).message})`;
      this.#rows.setIlert(windowId, { windowId: ilertWindowId, problem });
      return problem;
    }
  }
}
