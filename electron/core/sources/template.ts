/**
 * ilert's alert template language (ITL), for sources other than Level:
 * https://docs.ilert.com/alerting/itl-ilert-template-language
 *
 * `{{ data.value }}`, `{{ arr[0].x }}`, `{{ var.lowerCase() }}`, `{{ var.substring(0, 4) }}`,
 * sections `{{#x}}…{{/x}}` (shown when x is present and true; once per item when x is a list) and
 * inverted sections `{{^x}}…{{/x}}` (shown when x is missing, false, empty).
 *
 * Written here rather than taken from a library: mustache.js and Handlebars parse sections and
 * paths, but neither reads ITL's function calls on a value (`var.replaceAll("a", "b")`); Handlebars
 * would need `{{replaceAll var "a" "b"}}`, which is not what ilert users write, and both resolve
 * names through JavaScript property access, so keeping `__proto__` out would mean wrapping them
 * anyway. A hand-written scanner is a few hundred lines, runs in one pass (no regular expressions
 * over user input), and lets parse errors carry their line and column.
 *
 * Parsing and rendering are separate: `parseTemplate` refuses a template with its position when it
 * is saved; `renderTemplate` never throws, renders what is missing as empty, and stops at an output
 * cap and a work budget, so a hostile body cannot make it slow or large.
 */

export const MAX_TEMPLATE_LENGTH = 16_384;
export const MAX_SECTION_DEPTH = 16;
export const DEFAULT_MAX_OUTPUT = 65_536;
/** Node visits per render; a list inside a list inside a list is where this matters. */
const RENDER_STEP_BUDGET = 200_000;

/** Keys that name JavaScript machinery rather than data; never paths, whatever the body holds. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Segment = string | number;
type Arg = string | number;

interface Call {
  name: FunctionName;
  args: Arg[];
}

/** `path: []` is `{{.}}`, the current item of a list. */
interface Expression {
  path: Segment[];
  calls: Call[];
  /** What a closing tag must repeat. */
  canonical: string;
}

type TemplateNode =
  { kind: 'text'; text: string } | { kind: 'value'; expression: Expression } | { kind: 'section'; inverted: boolean; expression: Expression; children: TemplateNode[] };

export interface ParsedTemplate {
  readonly source: string;
  readonly nodes: readonly TemplateNode[];
}

export interface TemplateParseError {
  message: string;
  /** 0-based offset into the template. */
  offset: number;
  /** 1-based, as an editor shows them. */
  line: number;
  column: number;
}

export type ParseResult = { ok: true; template: ParsedTemplate } | { ok: false; error: TemplateParseError };

class ParseFailure extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset && index < source.length; index++) {
    if (source.charCodeAt(index) === 10) {
      line++;
      lineStart = index + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** "line 2, column 7: …", for an API error or a form field. */
export function describeParseError(error: TemplateParseError): string {
  return `line ${error.line}, column ${error.column}: ${error.message}`;
}

// ---------- functions ----------

type ArgKind = 'string' | 'integer';

interface FunctionSpec {
  /** Argument kinds in order; those past `required` may be left out. */
  args: ArgKind[];
  required: number;
  apply: (value: unknown, args: Arg[], cap: number) => unknown;
}

const str = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : typeof value === 'object' ? safeJson(value) : String(value);

// The style letters of formatUnixMs are Java's FormatStyle; Intl's en-US styles in UTC print the
// same texts as ilert's examples ("Jan 29, 2023, 12:05:37 AM"). ICU puts a narrow no-break space
// before AM/PM, which an alert summary would show as odd spacing, so it becomes a plain space.
const DATE_STYLES: Record<string, 'full' | 'long' | 'medium' | 'short'> = { F: 'full', L: 'long', M: 'medium', S: 'short' };
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatInstant(ms: number, style: unknown): string {
  const date = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(date.getTime())) return '';
  const chosen = (typeof style === 'string' && DATE_STYLES[style]) || 'medium';
  let formatter = formatters.get(chosen);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { dateStyle: chosen, timeStyle: chosen, timeZone: 'UTC' });
    formatters.set(chosen, formatter);
  }
  return formatter.format(date).replace(/\u202f/g, ' ');
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

/** replaceAll that stops at the cap: a one-character needle and a long replacement must not build gigabytes. */
function replaceAllCapped(text: string, needle: string, replacement: string, cap: number): string {
  if (needle === '') return text;
  let out = '';
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) break;
    out += text.slice(from, at) + replacement;
    from = at + needle.length;
    if (out.length >= cap) return out.slice(0, cap);
  }
  return (out + text.slice(from)).slice(0, cap);
}

type Matcher = (value: string, probe: string) => boolean;
const MATCHERS: Record<string, Matcher> = {
  startsWith: (value, probe) => value.startsWith(probe),
  equals: (value, probe) => value === probe,
  endsWith: (value, probe) => value.endsWith(probe),
  contains: (value, probe) => value.includes(probe),
};

/**
 * ilert's families: `…Take` swaps in (2) on a match and keeps the value otherwise, `…TakeOrDrop`
 * drops it otherwise; `…Else` swaps in (2) when it does not match, `…ElseOrDrop` drops it on a match.
 */
function matchFunctions(): Record<string, FunctionSpec> {
  const specs: Record<string, FunctionSpec> = {};
  for (const [prefix, matches] of Object.entries(MATCHERS)) {
    const spec = (onMatch: (value: string, swap: string) => string, onMiss: (value: string, swap: string) => string): FunctionSpec => ({
      args: ['string', 'string'],
      required: 2,
      apply: (value, [probe, swap]) => {
        const text = str(value);
        return matches(text, String(probe)) ? onMatch(text, String(swap)) : onMiss(text, String(swap));
      },
    });
    specs[`${prefix}Take`] = spec(
      (_, swap) => swap,
      (text) => text,
    );
    specs[`${prefix}TakeOrDrop`] = spec(
      (_, swap) => swap,
      () => '',
    );
    specs[`${prefix}Else`] = spec(
      (text) => text,
      (_, swap) => swap,
    );
    specs[`${prefix}ElseOrDrop`] = spec(
      () => '',
      (_, swap) => swap,
    );
  }
  return specs;
}

const FUNCTIONS = {
  lowerCase: { args: [], required: 0, apply: (value) => str(value).toLowerCase() },
  upperCase: { args: [], required: 0, apply: (value) => str(value).toUpperCase() },
  // ilert's page describes "from the start index to the end index" and shows "Test result"
  // .substring(5, 7) as "res": 0-based with the end included, which is what this does. (Its
  // one-argument example, .substring(3) as "result", fits no indexing rule; the start is 0-based here.)
  substring: {
    args: ['integer', 'integer'],
    required: 1,
    apply: (value, [start, end]) => {
      const text = str(value);
      return end === undefined ? text.slice(Number(start)) : text.slice(Number(start), Number(end) + 1);
    },
  },
  replaceAll: { args: ['string', 'string'], required: 2, apply: (value, [needle, replacement], cap) => replaceAllCapped(str(value), String(needle), String(replacement), cap) },
  splitTakeAt: {
    args: ['string', 'integer'],
    required: 2,
    apply: (value, [delimiter, index]) => (delimiter === '' ? '' : (str(value).split(String(delimiter))[Number(index)] ?? '')),
  },
  ...matchFunctions(),
  formatUnixMs: { args: ['string'], required: 0, apply: (value, [style]) => formatInstant(toNumber(value), style) },
  formatUnixSec: { args: ['string'], required: 0, apply: (value, [style]) => formatInstant(toNumber(value) * 1000, style) },
  formatDateString: {
    args: ['string'],
    required: 0,
    apply: (value, [style]) => (typeof value === 'string' && value !== '' ? formatInstant(Date.parse(value), style) : ''),
  },
  join: {
    args: ['string'],
    required: 0,
    apply: (value, [delimiter]) => (Array.isArray(value) ? value.map(str).join(delimiter === undefined ? ', ' : String(delimiter)) : str(value)),
  },
  joinFromObjectArr: {
    args: ['string', 'string'],
    required: 1,
    apply: (value, [key, delimiter]) =>
      Array.isArray(value)
        ? value
            .map((item) => str(ownValue(item, String(key))))
            .filter((text) => text !== '')
            .join(delimiter === undefined ? '\n' : String(delimiter))
        : '',
  },
} satisfies Record<string, FunctionSpec>;

type FunctionName = keyof typeof FUNCTIONS;

export const TEMPLATE_FUNCTIONS = Object.keys(FUNCTIONS) as FunctionName[];

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

// ---------- parsing ----------

const isSpace = (char: string | undefined) => char === ' ' || char === '\t' || char === '\n' || char === '\r';
/** Characters that end a key; anything else, a colon or a dash included, is part of it (ilert's "complex keys"). */
const KEY_STOP = new Set([' ', '\t', '\n', '\r', '.', '[', ']', '(', ')', '{', '}', '"', "'", ',', '\\', '#', '^', '/']);

class ExpressionReader {
  readonly source: string;
  readonly end: number;
  index: number;
  constructor(source: string, start: number, end: number) {
    this.source = source;
    this.index = start;
    this.end = end;
  }

  peek(): string | undefined {
    return this.index < this.end ? this.source[this.index] : undefined;
  }

  skipSpace(): void {
    while (this.index < this.end && isSpace(this.source[this.index])) this.index++;
  }

  fail(message: string, at = this.index): never {
    throw new ParseFailure(message, at);
  }

  key(): string {
    const start = this.index;
    let key = '';
    while (this.index < this.end) {
      const char = this.source[this.index] as string;
      if (char === '\\') {
        // An escaped character is part of the key: `{{ var.with\ space }}`, `{{ a\.b }}`.
        if (this.index + 1 >= this.end) this.fail('a backslash must be followed by the character it escapes');
        key += this.source[this.index + 1];
        this.index += 2;
        continue;
      }
      if (KEY_STOP.has(char)) break;
      key += char;
      this.index++;
    }
    if (key === '') this.fail(this.index < this.end ? `unexpected "${this.source[this.index]}": a name was expected here` : 'a name was expected here', start);
    if (FORBIDDEN_KEYS.has(key)) this.fail(`"${key}" cannot be used as a name in a template`, start);
    return key;
  }

  integer(): number {
    const start = this.index;
    let digits = '';
    while (this.index < this.end && /[0-9]/.test(this.source[this.index] as string)) digits += this.source[this.index++];
    if (digits === '') this.fail('a whole number was expected here', start);
    if (digits.length > 9) this.fail('this number is too large', start);
    return Number(digits);
  }

  quoted(): string {
    const quote = this.source[this.index];
    const start = this.index;
    this.index++;
    let text = '';
    while (this.index < this.end) {
      const char = this.source[this.index] as string;
      if (char === '\\' && this.index + 1 < this.end) {
        const next = this.source[this.index + 1] as string;
        text += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        this.index += 2;
        continue;
      }
      if (char === quote) {
        this.index++;
        return text;
      }
      text += char;
      this.index++;
    }
    return this.fail(`this text is missing its closing ${quote}`, start);
  }

  argument(kind: ArgKind, functionName: string, position: number): Arg {
    this.skipSpace();
    const at = this.index;
    const char = this.peek();
    if (char === '"' || char === "'") {
      const text = this.quoted();
      if (kind !== 'string') this.fail(`${functionName} takes a whole number as argument ${position}, not text`, at);
      return text;
    }
    if (char !== undefined && /[0-9]/.test(char)) {
      const number = this.integer();
      // ilert writes text arguments in quotes; accepting a bare number where text is expected keeps formatUnixMs("S")-style calls strict.
      if (kind !== 'integer') this.fail(`${functionName} takes text in quotes as argument ${position}`, at);
      return number;
    }
    if (char === '-') this.fail(`${functionName} takes numbers from 0 up`, at);
    return this.fail(kind === 'string' ? `${functionName} takes text in quotes as argument ${position}` : `${functionName} takes a whole number as argument ${position}`, at);
  }

  call(name: string, nameAt: number): Call {
    if (!isFunctionName(name)) this.fail(`"${name}" is not a template function; these are: ${TEMPLATE_FUNCTIONS.join(', ')}`, nameAt);
    const spec: FunctionSpec = FUNCTIONS[name];
    this.index++; // (
    const args: Arg[] = [];
    this.skipSpace();
    if (this.peek() === ')') {
      this.index++;
    } else {
      for (;;) {
        if (args.length >= spec.args.length) this.fail(`${name} takes at most ${spec.args.length} argument${spec.args.length === 1 ? '' : 's'}`);
        args.push(this.argument(spec.args[args.length] as ArgKind, name, args.length + 1));
        this.skipSpace();
        const next = this.peek();
        if (next === ',') {
          this.index++;
          continue;
        }
        if (next === ')') {
          this.index++;
          break;
        }
        this.fail(next === undefined ? `${name}( is missing its closing )` : `unexpected "${next}" in the arguments of ${name}`);
      }
    }
    if (args.length < spec.required) this.fail(`${name} needs at least ${spec.required} argument${spec.required === 1 ? '' : 's'}`, nameAt);
    return { name, args };
  }

  expression(): Expression {
    const start = this.index;
    const path: Segment[] = [];
    const calls: Call[] = [];
    if (this.peek() === '.' && (this.index + 1 >= this.end || isSpace(this.source[this.index + 1]))) {
      this.index++;
    } else {
      for (;;) {
        const nameAt = this.index;
        const name = this.key();
        if (this.peek() === '(') {
          if (path.length === 0) this.fail(`${name}() needs a value before it, like {{ data.${name}() }}`, nameAt);
          calls.push(this.call(name, nameAt));
        } else {
          if (calls.length > 0) this.fail('after a function only another function can follow', nameAt);
          path.push(name);
          while (this.peek() === '[') {
            this.index++;
            path.push(this.integer());
            if (this.peek() !== ']') this.fail('"]" was expected here');
            this.index++;
          }
        }
        if (this.peek() !== '.') break;
        this.index++;
      }
    }
    const canonical = this.source.slice(start, this.index).replace(/\s+/g, '');
    return { path, calls, canonical };
  }
}

interface OpenSection {
  node: Extract<TemplateNode, { kind: 'section' }>;
  openedAt: number;
}

type Token = { kind: 'text'; text: string } | { kind: 'tag'; sigil: string; expression: Expression; at: number };

/**
 * Mustache's standalone rule: a section tag alone on its line takes the line with it, so a
 * multi-line details template does not leave blank lines where its sections were. Decided on the
 * untouched text first, then trimmed, so two standalone tags on consecutive lines both count.
 */
function trimStandaloneLines(tokens: Token[]): void {
  const cuts: Array<{ before?: { token: Extract<Token, { kind: 'text' }>; keep: number }; after?: { token: Extract<Token, { kind: 'text' }>; drop: number } }> = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'tag' || token.sigil === '') return;
    const before = tokens[index - 1];
    const after = tokens[index + 1];
    if (before?.kind === 'tag' || after?.kind === 'tag') return;
    let keep = 0;
    if (before) {
      keep = before.text.length;
      while (keep > 0 && (before.text[keep - 1] === ' ' || before.text[keep - 1] === '\t')) keep--;
      if (keep > 0 ? before.text[keep - 1] !== '\n' : index - 1 !== 0) return;
    }
    let drop = 0;
    if (after) {
      while (drop < after.text.length && (after.text[drop] === ' ' || after.text[drop] === '\t')) drop++;
      if (after.text.startsWith('\r\n', drop)) drop += 2;
      else if (after.text[drop] === '\n') drop += 1;
      else if (drop !== after.text.length || index + 1 !== tokens.length - 1) return;
    }
    cuts.push({ ...(before && { before: { token: before, keep } }), ...(after && { after: { token: after, drop } }) });
  });
  // Applied from the end so each cut still sees the offsets it was measured with.
  for (const cut of cuts.reverse()) {
    if (cut.after) cut.after.token.text = cut.after.token.text.slice(cut.after.drop);
    if (cut.before) cut.before.token.text = cut.before.token.text.slice(0, cut.before.keep);
  }
}

export function parseTemplate(source: string): ParseResult {
  try {
    return { ok: true, template: { source, nodes: parseNodes(source) } };
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    return { ok: false, error: { message: error.message, offset: error.offset, ...positionOf(source, error.offset) } };
  }
}

function parseNodes(source: string): TemplateNode[] {
  if (source.length > MAX_TEMPLATE_LENGTH) throw new ParseFailure(`a template may be at most ${MAX_TEMPLATE_LENGTH} characters`, MAX_TEMPLATE_LENGTH);
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('{{', index);
    if (open < 0) {
      tokens.push({ kind: 'text', text: source.slice(index) });
      break;
    }
    if (open > index) tokens.push({ kind: 'text', text: source.slice(index, open) });
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new ParseFailure('"{{" is never closed with "}}"', open);
    const reader = new ExpressionReader(source, open + 2, close);
    reader.skipSpace();
    const sigilChar = reader.peek();
    const sigil = sigilChar === '#' || sigilChar === '^' || sigilChar === '/' ? sigilChar : '';
    if (sigil) {
      reader.index++;
      reader.skipSpace();
    }
    if (reader.peek() === undefined) reader.fail('"{{ }}" is empty: put a name in it, like {{ data }}', open);
    const expression = reader.expression();
    reader.skipSpace();
    if (reader.peek() !== undefined) reader.fail(`unexpected "${reader.peek()}" before "}}"`);
    tokens.push({ kind: 'tag', sigil, expression, at: open });
    index = close + 2;
  }
  trimStandaloneLines(tokens);

  const root: TemplateNode[] = [];
  const open: OpenSection[] = [];
  const current = () => open.at(-1)?.node.children ?? root;
  for (const token of tokens) {
    if (token.kind === 'text') {
      if (token.text) current().push({ kind: 'text', text: token.text });
      continue;
    }
    if (token.sigil === '') {
      current().push({ kind: 'value', expression: token.expression });
    } else if (token.sigil === '/') {
      const section = open.pop();
      if (!section) throw new ParseFailure(`{{/${token.expression.canonical}}} closes a section that was never opened`, token.at);
      if (section.node.expression.canonical !== token.expression.canonical) {
        const { line, column } = positionOf(source, section.openedAt);
        throw new ParseFailure(
          `{{/${token.expression.canonical}}} does not match the open section {{${section.node.inverted ? '^' : '#'}${section.node.expression.canonical}}} at line ${line}, column ${column}`,
          token.at,
        );
      }
    } else {
      if (open.length >= MAX_SECTION_DEPTH) throw new ParseFailure(`sections may be nested at most ${MAX_SECTION_DEPTH} deep`, token.at);
      const node: OpenSection['node'] = { kind: 'section', inverted: token.sigil === '^', expression: token.expression, children: [] };
      current().push(node);
      open.push({ node, openedAt: token.at });
    }
  }
  const unclosed = open.pop();
  if (unclosed)
    throw new ParseFailure(
      `{{${unclosed.node.inverted ? '^' : '#'}${unclosed.node.expression.canonical}}} is never closed with {{/${unclosed.node.expression.canonical}}}`,
      unclosed.openedAt,
    );
  return root;
}

// ---------- rendering ----------

/** Own data only: a key the body does not hold itself is missing, whatever Object.prototype has. */
function ownValue(container: unknown, key: Segment): unknown {
  if (Array.isArray(container)) {
    const index = typeof key === 'number' ? key : /^(0|[1-9][0-9]{0,8})$/.test(key) ? Number(key) : -1;
    return index >= 0 && index < container.length ? container[index] : undefined;
  }
  if (container !== null && typeof container === 'object' && typeof key === 'string' && Object.hasOwn(container, key)) {
    return (container as Record<string, unknown>)[key];
  }
  return undefined;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** ilert's rule: a section shows when its value is present and true; a list shows once per item. 0 is a value, so it counts as present. */
function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

class Renderer {
  out = '';
  steps = 0;
  full = false;
  readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }

  write(text: string): void {
    if (this.full) return;
    const room = this.cap - this.out.length;
    if (text.length >= room) {
      // Never half of a surrogate pair: an emoji cut in two is not valid text for ilert.
      const cut = room > 0 && /[\ud800-\udbff]/.test(text[room - 1] ?? '') ? room - 1 : room;
      this.out += text.slice(0, cut);
      this.full = true;
    } else {
      this.out += text;
    }
  }

  resolve(expression: Expression, stack: unknown[]): unknown {
    const [first, ...rest] = expression.path;
    let value: unknown;
    if (first === undefined) {
      value = stack.at(-1);
    } else {
      // Mustache's lookup: the innermost list item or section value that holds the first name wins.
      for (let depth = stack.length - 1; depth >= 0; depth--) {
        value = ownValue(stack[depth], first);
        if (value !== undefined) break;
      }
      for (const segment of rest) value = ownValue(value, segment);
    }
    for (const call of expression.calls) {
      const spec: FunctionSpec = FUNCTIONS[call.name];
      value = spec.apply(value, call.args, this.cap);
    }
    return value;
  }

  render(nodes: readonly TemplateNode[], stack: unknown[]): void {
    for (const node of nodes) {
      if (this.full || ++this.steps > RENDER_STEP_BUDGET) {
        this.full = true;
        return;
      }
      if (node.kind === 'text') {
        this.write(node.text);
      } else if (node.kind === 'value') {
        this.write(str(this.resolve(node.expression, stack)));
      } else {
        const value = this.resolve(node.expression, stack);
        if (node.inverted) {
          if (!isTruthy(value)) this.render(node.children, stack);
        } else if (Array.isArray(value)) {
          for (const item of value) {
            // Counted per item too: a list whose section is empty still costs a visit per item.
            if (this.full || ++this.steps > RENDER_STEP_BUDGET) {
              this.full = true;
              return;
            }
            this.render(node.children, [...stack, item]);
          }
        } else if (isTruthy(value)) {
          this.render(node.children, [...stack, value]);
        }
      }
    }
  }
}

/** Total: missing data renders empty, and output stops at `maxLength` characters. */
export function renderTemplate(template: ParsedTemplate, data: unknown, options: { maxLength?: number } = {}): string {
  const renderer = new Renderer(options.maxLength ?? DEFAULT_MAX_OUTPUT);
  renderer.render(template.nodes, [data]);
  return renderer.out;
}

/** For templates the relay ships itself: a parse error there is a bug, not user input. */
export function compileBuiltInTemplate(source: string): ParsedTemplate {
  const result = parseTemplate(source);
  if (!result.ok) throw new Error(`built-in template does not parse (${describeParseError(result.error)}): ${source}`);
  return result.template;
}
