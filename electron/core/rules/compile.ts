import { RULE_REGEX_MAX, type RuleInput, type Severity } from '../../../shared/contract.ts';
import { BadInputError } from '../errors.ts';
import type { LevelAlert } from '../level/envelope.ts';
import type { LevelDevice } from '../level/level-api.ts';

/** A rule that cannot be saved as written (a bad regex, say): answered 400 with the reason. */
/** A rule that cannot be saved as written (a bad pattern, a repeat that could stall the relay). */
export class InvalidRuleError extends BadInputError {
  override readonly name: string = 'InvalidRuleError';
}

/** What a rule is asked about: the alert, and its device and groups, each looked up only if a rule asks. */
export interface RuleSubject {
  alert: LevelAlert;
  device(): LevelDevice | undefined;
  /** The device's group first, then the groups above it (a rule on a group covers its subgroups). */
  groupIds(): readonly string[];
}

/**
 * A subject with what several rules ask worked out once per alert (the name in lower case, the
 * device's tags), so fifty rules cost fifty comparisons rather than fifty conversions.
 */
export class RuleQuestion {
  readonly subject: RuleSubject;
  #name: string | undefined;
  #lowerName: string | undefined;
  #tags: Set<string> | undefined;

  constructor(subject: RuleSubject) {
    this.subject = subject;
  }

  get name(): string {
    return (this.#name ??= (this.subject.alert.name ?? '').slice(0, NAME_MATCHED_CHARS));
  }

  get lowerName(): string {
    return (this.#lowerName ??= this.name.toLowerCase());
  }

  get tags(): Set<string> {
    return (this.#tags ??= new Set(tagsOf(this.subject.device())));
  }
}

export interface CompiledRule {
  id: number;
  name: string;
  actions: RuleInput['actions'];
  matches(question: RuleQuestion): boolean;
}

/**
 * Alert names are matched on their first 1,000 characters: with the regex checks below this
 * bounds what one evaluation can cost, whatever a sender puts in a name.
 */
const NAME_MATCHED_CHARS = 1000;

/** `{2}`, `{2,}`, `{2,5}` at `at`: whether it is a quantifier, whether its count varies, and whether it repeats more than once. */
function braceQuantifier(pattern: string, at: number): { varies: boolean; repeats: boolean } | undefined {
  const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
  if (!match) return undefined;
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : match[3] === '' ? Number.POSITIVE_INFINITY : Number(match[3]);
  return { varies: max > min, repeats: max > 1 };
}

/** Whether a quantifier starts at `at` that repeats a variable number of times (`*`, `+`, `{n,}`, `{n,m>n}`). */
function variesAt(pattern: string, at: number): boolean {
  const char = pattern[at];
  return char === '*' || char === '+' || (char === '{' && (braceQuantifier(pattern, at)?.varies ?? false));
}

/** Whether a quantifier starts at `at` that lets what it follows match more than once. */
function repeatsAt(pattern: string, at: number): boolean {
  const char = pattern[at];
  return char === '*' || char === '+' || (char === '{' && (braceQuantifier(pattern, at)?.repeats ?? false));
}

/**
 * Where a group that repeats contains something that repeats too, like `(a+)+` or `(\w*\s?)*`:
 * the shape that makes a backtracking engine take exponential time on a name that almost matches.
 * JavaScript has no linear-time engine to fall back on, so such a pattern is refused when saved.
 */
export function nestedRepeatAt(pattern: string): number | undefined {
  // Per open group: whether something inside it repeats a variable number of times.
  const groups: { start: number; varies: boolean }[] = [{ start: 0, varies: false }];
  let inClass = false;
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at];
    if (char === '\\') {
      at++;
      if (!inClass && variesAt(pattern, at + 1)) groups.at(-1)!.varies = true;
      continue;
    }
    if (inClass) {
      if (char === ']') {
        inClass = false;
        if (variesAt(pattern, at + 1)) groups.at(-1)!.varies = true;
      }
      continue;
    }
    if (char === '[') inClass = true;
    else if (char === '(') groups.push({ start: at, varies: false });
    else if (char === ')' && groups.length > 1) {
      const group = groups.pop()!;
      if (group.varies && repeatsAt(pattern, at + 1)) return group.start;
      if (group.varies || variesAt(pattern, at + 1)) groups.at(-1)!.varies = true;
    } else if (char === '*' || char === '+' || (char === '{' && braceQuantifier(pattern, at))) {
      // A quantifier itself; what it repeats was counted when that atom was read.
    } else if (variesAt(pattern, at + 1)) groups.at(-1)!.varies = true;
  }
  return undefined;
}

/** What the engine said, without its "Invalid regular expression: /…/i: " preamble. */
function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'i');
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

/**
 * Where a pattern goes wrong, as a 0-based position: an unclosed group or class where it opens,
 * otherwise the character at which the shortest failing prefix fails with the same complaint.
 */
function problemPosition(pattern: string, problem: string): number {
  if (/Unterminated group/i.test(problem) || /Unterminated character class/i.test(problem)) {
    const opener = /group/i.test(problem) ? '(' : '[';
    const open: number[] = [];
    let inClass = false;
    for (let at = 0; at < pattern.length; at++) {
      const char = pattern[at];
      if (char === '\\') at++;
      else if (inClass && char !== ']') continue;
      else if (char === '[') {
        inClass = true;
        if (opener === '[') open.push(at);
      } else if (char === ']') {
        inClass = false;
        if (opener === '[') open.pop();
      } else if (opener === '(' && char === '(') open.push(at);
      else if (opener === '(' && char === ')') open.pop();
    }
    if (open.length > 0) return open.at(-1)!;
  }
  for (let length = 1; length <= pattern.length; length++) {
    if (regexProblem(pattern.slice(0, length)) === problem) return length - 1;
  }
  return pattern.length - 1;
}

/** Checks a name pattern as it will run; the error says where it goes wrong and why. */
export function compileNamePattern(pattern: string): RegExp {
  if (pattern.length > RULE_REGEX_MAX) throw new InvalidRuleError(`the name pattern is longer than ${RULE_REGEX_MAX} characters`);
  const problem = regexProblem(pattern);
  if (problem) {
    const at = problemPosition(pattern, problem);
    throw new InvalidRuleError(`the name pattern is not a valid regular expression at position ${at + 1} (“${pattern[at] ?? ''}”): ${problem}`);
  }
  const nested = nestedRepeatAt(pattern);
  if (nested !== undefined) {
    throw new InvalidRuleError(
      `the name pattern repeats a group that itself repeats, at position ${nested + 1}: on a name that almost matches this can take minutes; write it without the outer repeat`,
    );
  }
  return new RegExp(pattern, 'i');
}

/** `*` any run of characters, `?` one; the whole hostname, in any case. */
export function hostnamePattern(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*+/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** A device's tags, whether Level lists them as names or as objects with a name. */
function tagsOf(device: LevelDevice | undefined): string[] {
  const tags = device?.tags;
  if (!Array.isArray(tags)) return [];
  return tags
    .map((tag: unknown) => (typeof tag === 'string' ? tag : typeof tag === 'object' && tag && 'name' in tag ? String((tag as { name: unknown }).name) : ''))
    .map((tag) => tag.toLowerCase());
}

const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * Turns a saved rule into one predicate over an alert, built once per change of the rules: each
 * condition it has becomes a check, cheapest first, so most alerts are decided without a look-up.
 */
export function compileRule(rule: RuleInput & { id: number }): CompiledRule {
  const { conditions } = rule;
  const checks: ((question: RuleQuestion) => boolean)[] = [];
  if (conditions.severities) {
    const severities = new Set<Severity>(conditions.severities);
    checks.push(({ subject }) => subject.alert.severity !== undefined && severities.has(subject.alert.severity));
  }
  if (conditions.nameContains) {
    const keyword = conditions.nameContains.toLowerCase();
    checks.push((question) => question.lowerName.includes(keyword));
  }
  if (conditions.nameRegex !== undefined) {
    const pattern = compileNamePattern(conditions.nameRegex);
    checks.push((question) => pattern.test(question.name));
  }
  if (conditions.hostname) {
    const pattern = hostnamePattern(conditions.hostname);
    checks.push(({ subject }) => pattern.test((subject.alert.device_hostname ?? subject.device()?.hostname ?? '').slice(0, 255)));
  }
  if (conditions.platform) {
    const platform = conditions.platform;
    checks.push(({ subject }) => same(subject.device()?.platform, platform));
  }
  if (conditions.role) {
    const role = conditions.role;
    checks.push(({ subject }) => same(subject.device()?.role, role));
  }
  if (conditions.tags) {
    const wanted = conditions.tags.map((tag) => tag.toLowerCase());
    checks.push((question) => wanted.some((tag) => question.tags.has(tag)));
  }
  if (conditions.group) {
    const group = conditions.group;
    checks.push(({ subject }) => subject.groupIds().includes(group));
  }
  return {
    id: rule.id,
    name: rule.name,
    actions: rule.actions,
    matches: (question) => {
      for (const check of checks) if (!check(question)) return false;
      return true;
    },
  };
}
