import type { RuleDryRun, RuleInput, RulesView } from '../../../shared/contract.ts';
import type { Hold } from '../holds/hold.ts';
import type { LevelAlert } from '../level/envelope.ts';
import type { LevelDevice } from '../level/level-api.ts';
import { NotFoundError } from '../errors.ts';
import type { RouteChoice } from '../routing/router.ts';
import { ruleRef, type RuleRows } from '../store/rules.ts';
import type { Logger } from '../logger.ts';
import { compileRule, InvalidRuleError, RuleQuestion, type CompiledRule, type RuleSubject } from './compile.ts';

/** A dry run looks back this far… */
export const DRY_RUN_DAYS = 7;
/** …at this many alerts at most, the newest: the answer stays quick however busy the week was. */
export const DRY_RUN_LIMIT = 10_000;

export interface RuleBookOptions {
  /** The ilert targets a rule may route to (the default one included). */
  targets: () => readonly string[];
  device: (id: string) => LevelDevice | undefined;
  /** A group and the groups above it. */
  groupsOf: (groupId: string) => readonly string[];
  log: Logger;
}

function describeActions(actions: RuleInput['actions']): string {
  if (actions.drop) return 'drop';
  return [
    actions.target && `to ${actions.target}`,
    actions.routingKey && `routing key ${actions.routingKey}`,
    actions.priority && `priority ${actions.priority}`,
    actions.holdDownSeconds !== undefined && `hold-down ${actions.holdDownSeconds} s`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** The hold of an ALERT a rule dropped: until someone sends it by hand ("Send now"), or its RESOLVE settles it. */
export function ruleHold(route: RouteChoice): Hold | undefined {
  const rule = route.rule;
  return rule?.drop ? { reason: `dropped by rule “${rule.name}”`, until: undefined, ref: ruleRef(rule.id) } : undefined;
}

/**
 * The rules that decide what pages: saved whole (every rule checked first), evaluated in order
 * after routing, the first match wins. They are compiled once per save and held in memory, so an
 * alert costs a few comparisons per rule, plus one read of its device only if a rule reached asks
 * about the device (tags, role, platform, group).
 */
export class RuleBook {
  readonly #rows: RuleRows;
  readonly #options: RuleBookOptions;
  #compiled: CompiledRule[];

  constructor(rows: RuleRows, options: RuleBookOptions) {
    this.#rows = rows;
    this.#options = options;
    // Saved rules were checked when saved; one that no longer compiles (a newer engine) is left out, said once.
    this.#compiled = this.#rows.all().rules.flatMap((rule) => {
      try {
        return [compileRule(rule)];
      } catch (error) {
        options.log.error(`rule ${rule.id} “${rule.name}” is left out: ${(error as Error).message}`);
        return [];
      }
    });
  }

  list(): RulesView {
    return this.#rows.all();
  }

  /** Checks every rule, then replaces the list; an error names the rule by its place and name. */
  save(rules: readonly RuleInput[], by: string, now: number): { view: RulesView; described: string } {
    this.#check(rules);
    const ids = this.#rows.replace(rules, by, now);
    this.#compiled = rules.map((rule, index) => compileRule({ ...rule, id: ids[index]! }));
    const described = rules.length === 0 ? 'no rules' : rules.map((rule, index) => `${index + 1}. “${rule.name}”: ${describeActions(rule.actions)}`).join('; ');
    return { view: this.#rows.all(), described };
  }

  #check(rules: readonly RuleInput[]): CompiledRule[] {
    const targets = this.#options.targets();
    return rules.map((rule, index) => {
      const which = `rule ${index + 1} “${rule.name}”`;
      if (rule.actions.target && !targets.includes(rule.actions.target)) {
        throw new NotFoundError(`${which}: there is no ilert target named “${rule.actions.target}”: add it in Settings → ilert targets first`);
      }
      try {
        return compileRule({ ...rule, id: rule.id ?? 0 });
      } catch (error) {
        if (error instanceof InvalidRuleError) throw new InvalidRuleError(`${which}: ${error.message}`);
        throw error;
      }
    });
  }

  #question(alert: LevelAlert, devices?: Map<string, LevelDevice | undefined>): RuleQuestion {
    const { device: lookUp, groupsOf } = this.#options;
    let device: { found: LevelDevice | undefined } | undefined;
    let groups: readonly string[] | undefined;
    const subject: RuleSubject = {
      alert,
      device: () => {
        if (device) return device.found;
        const id = alert.device_id;
        if (!id) return (device = { found: undefined }).found;
        if (devices && !devices.has(id)) devices.set(id, lookUp(id));
        return (device = { found: devices ? devices.get(id) : lookUp(id) }).found;
      },
      groupIds: () => {
        if (groups) return groups;
        const groupId = subject.device()?.group_id;
        return (groups = groupId ? groupsOf(groupId) : []);
      },
    };
    return new RuleQuestion(subject);
  }

  /** The route after the first rule that matches; the route as it was when none does. */
  apply(alert: LevelAlert, route: RouteChoice): RouteChoice {
    if (this.#compiled.length === 0) return route;
    const question = this.#question(alert);
    const rule = this.#compiled.find((each) => each.matches(question));
    if (!rule) return route;
    const { actions } = rule;
    const applied: RouteChoice = { ...route, rule: { id: rule.id, name: rule.name, drop: actions.drop === true } };
    if (actions.target || actions.routingKey) {
      applied.target = actions.target ?? route.target;
      applied.routingKey = actions.routingKey ?? (actions.target ? undefined : route.routingKey);
      // The rule chose where it goes: an unmapped group or a route's minimum severity no longer skips it.
      applied.skip = undefined;
    }
    if (actions.priority) applied.priority = actions.priority;
    if (actions.holdDownSeconds !== undefined) applied.holdDownSeconds = actions.holdDownSeconds;
    applied.reason = `rule “${rule.name}”: ${describeActions(actions)}; routing: ${route.reason}`;
    return applied;
  }

  /**
   * How many of the last 7 days' alerts each rule of a draft would have been the first match for,
   * judged on the devices and groups as the mirror knows them now. Reads at most DRY_RUN_LIMIT
   * alerts, newest first, through an index; each device is looked up once.
   */
  dryRun(rules: readonly RuleInput[], now: number): RuleDryRun {
    const compiled = this.#check(rules);
    const from = now - DRY_RUN_DAYS * 86_400_000;
    const rows = this.#rows.recentAlerts(from, DRY_RUN_LIMIT + 1);
    const capped = rows.length > DRY_RUN_LIMIT;
    const looked = rows.slice(0, DRY_RUN_LIMIT);
    const matched = compiled.map(() => 0);
    let unmatched = 0;
    const devices = new Map<string, LevelDevice | undefined>();
    for (const row of looked) {
      const question = this.#question(JSON.parse(row.data) as LevelAlert, devices);
      const index = compiled.findIndex((rule) => rule.matches(question));
      if (index < 0) unmatched++;
      else matched[index]!++;
    }
    return { from, looked: looked.length, limit: DRY_RUN_LIMIT, capped, matched, unmatched };
  }
}
