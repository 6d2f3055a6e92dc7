import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_OUTPUT,
  MAX_SECTION_DEPTH,
  MAX_TEMPLATE_LENGTH,
  describeParseError,
  parseTemplate,
  renderTemplate,
  type TemplateParseError,
} from '../../electron/core/sources/template.ts';

function render(source: string, data: unknown, maxLength?: number): string {
  const parsed = parseTemplate(source);
  if (!parsed.ok) assert.fail(`expected ${JSON.stringify(source)} to parse: ${describeParseError(parsed.error)}`);
  return renderTemplate(parsed.template, data, maxLength === undefined ? {} : { maxLength });
}

function refusal(source: string): TemplateParseError {
  const parsed = parseTemplate(source);
  if (parsed.ok) assert.fail(`expected ${JSON.stringify(source)} to be refused`);
  return parsed.error;
}

const particle = {
  event: 'ALERT-temperature',
  data: '31.5',
  published_at: '2026-12-07T05:12:00.000Z',
  coreid: 'e00fce68a1b2c3d4e5f6a7b8',
  userid: 'u1',
  fw_version: 12,
  public: false,
  readings: [{ x: 1 }, { x: 2 }],
};

test('paths: nested fields, array items, spaces inside the braces, ilert-style complex keys', () => {
  assert.equal(render('{{ event }} on {{coreid}}', particle), 'ALERT-temperature on e00fce68a1b2c3d4e5f6a7b8');
  assert.equal(render('{{ readings[1].x }} {{ readings.0.x }}', particle), '2 1');
  assert.equal(render('{{ a.b.c }}', { a: { b: { c: 'deep' } } }), 'deep');
  assert.equal(render('{{ m[0][1] }}', { m: [['a', 'b']] }), 'b');
  assert.equal(render('{{ var.compl:ex\\ key-123.noproblem }}', { var: { 'compl:ex key-123': { noproblem: 'ok' } } }), 'ok');
  assert.equal(render('{{ fw_version }}/{{ public }}', particle), '12/false');
  assert.equal(render('{{ readings }}', particle), '[{"x":1},{"x":2}]');
});

test('rendering is total: missing paths, wrong shapes and null render empty', () => {
  assert.equal(render('[{{ nothing }}|{{ data.value }}|{{ readings[9].x }}|{{ event.length }}|{{ n }}]', { ...particle, n: null }), '[||||]');
  assert.equal(render('{{ a.b }}', 'not an object'), '');
  assert.equal(render('{{ a }}', undefined), '');
  assert.equal(render('{{ x.lowerCase() }}{{ x.substring(2) }}{{ x.formatUnixMs() }}', {}), '');
});

test('nothing reaches JavaScript machinery: prototype names are refused, inherited properties are missing', () => {
  for (const source of ['{{ __proto__ }}', '{{ a.constructor }}', '{{ a.prototype.x }}', '{{#__proto__}}x{{/__proto__}}']) {
    const error = refusal(source);
    assert.match(error.message, /cannot be used as a name/, source);
  }
  // JSON.parse makes "__proto__" an own key; other inherited names are simply not in the body.
  const body = JSON.parse('{"__proto__": {"polluted": true}, "a": {}}') as unknown;
  assert.equal(render('{{ a.toString }}{{ a.hasOwnProperty }}{{ polluted }}{{ a.valueOf }}', body), '');
  assert.equal(render('{{ event.length }}{{ readings.length }}', particle), '');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('sections: shown when present and true, once per list item; inverted when missing, false or empty', () => {
  const template = '{{#ok}}yes{{/ok}}{{^ok}}no{{/ok}}';
  assert.equal(render(template, { ok: true }), 'yes');
  assert.equal(render(template, { ok: 'text' }), 'yes');
  assert.equal(render(template, { ok: 0 }), 'yes');
  assert.equal(render(template, { ok: { a: 1 } }), 'yes');
  for (const falsy of [false, null, '', []]) assert.equal(render(template, { ok: falsy }), 'no', JSON.stringify(falsy));
  assert.equal(render(template, {}), 'no');
  assert.equal(render('{{#readings}}<{{x}}>{{/readings}}', particle), '<1><2>');
  assert.equal(render('{{# simple }}{{.}};{{/ simple }}', { simple: ['a', 'b'] }), 'a;b;');
  // Inside a list item, names not on the item come from outside it, as in Mustache.
  assert.equal(render('{{#readings}}{{coreid}}:{{x}} {{/readings}}', { coreid: 'dev', readings: [{ x: 1 }, { x: 2 }] }), 'dev:1 dev:2 ');
  assert.equal(render('{{#a}}{{b.c}}{{/a}}', { a: { b: { c: 'inner' } } }), 'inner');
  assert.equal(render('{{#outer}}{{#inner}}{{v}}{{/inner}},{{/outer}}', { outer: [{ inner: [{ v: 1 }, { v: 2 }] }, { inner: [] }] }), '12,,');
});

test('a section tag alone on its line takes the line with it, as ilert (Mustache) does', () => {
  const template = 'Temperature alert\n{{#data}}\nReading: {{data}}\n{{/data}}\n{{^data}}\nNo reading\n{{/data}}\nDevice {{coreid}}';
  assert.equal(render(template, { data: '31', coreid: 'd1' }), 'Temperature alert\nReading: 31\nDevice d1');
  assert.equal(render(template, { coreid: 'd1' }), 'Temperature alert\nNo reading\nDevice d1');
  assert.equal(render('  {{#a}}  \r\nx\r\n  {{/a}}', { a: true }), 'x\r\n');
  // Inline sections keep their surroundings.
  assert.equal(render('a {{#b}}B{{/b}} c\n', { b: true }), 'a B c\n');
});

test("ilert's functions, with the examples from its documentation", () => {
  assert.equal(render('{{ var.lowerCase() }}', { var: 'Gavin Belson from Hooli' }), 'gavin belson from hooli');
  assert.equal(render('{{ var.upperCase() }}', { var: 'Gavin Belson from Hooli' }), 'GAVIN BELSON FROM HOOLI');
  assert.equal(render('{{ var.replaceAll("Gavin Belson", "Richard Hendricks") }}', { var: 'Gavin Belson owns Hooli' }), 'Richard Hendricks owns Hooli');
  assert.equal(render("{{ var.replaceAll('a', '') }}", { var: 'banana' }), 'bnn');
  assert.equal(render('{{ var.substring(5, 7) }}|{{ var.substring(5) }}|{{ var.substring(40) }}', { var: 'Test result' }), 'res|result|');
  assert.equal(render('{{ var.splitTakeAt("Belson, ", 1) }}', { var: 'Gavin Belson, Richard Hendricks' }), 'Richard Hendricks');
  assert.equal(render('{{ var.splitTakeAt(",", 7) }}', { var: 'a,b' }), '');
  assert.equal(render('{{ ms.formatUnixMs() }}', { ms: 1674950737000 }), 'Jan 29, 2023, 12:05:37 AM');
  assert.equal(render('{{ ms.formatUnixMs("S") }}', { ms: 1674950737000 }), '1/29/23, 12:05 AM');
  assert.equal(render('{{ ms.formatUnixMs("L") }}', { ms: '1674950737000' }), 'January 29, 2023 at 12:05:37 AM UTC');
  assert.equal(render('{{ ms.formatUnixMs("F") }}', { ms: 1674950737000 }), 'Sunday, January 29, 2023 at 12:05:37 AM Coordinated Universal Time');
  assert.equal(render('{{ ms.formatUnixMs("Q") }}|{{ bad.formatUnixMs() }}', { ms: 1674950737000, bad: 'soon' }), 'Jan 29, 2023, 12:05:37 AM|');
  assert.equal(render('{{ sec.formatUnixSec("S") }}', { sec: 1674950737 }), '1/29/23, 12:05 AM');
  assert.equal(render('{{ str.formatDateString() }}', { str: '2021-05-25T21:24:56.771Z' }), 'May 25, 2021, 9:24:56 PM');
  assert.equal(render('{{ array.join() }}|{{ array.join("- ") }}', { array: ['PiedPiper', 'Hooli', 'Aviato'] }), 'PiedPiper, Hooli, Aviato|PiedPiper- Hooli- Aviato');
  assert.equal(render('{{ c.joinFromObjectArr("name", "+") }}', { c: [{ name: 'PiedPiper' }, { ceo: 'x' }, { name: 'Hooli' }] }), 'PiedPiper+Hooli');
  assert.equal(render('{{ event.lowerCase().replaceAll("-", " ").substring(0, 4) }}', particle), 'alert');
});

test('the match families swap, keep or drop as ilert describes', () => {
  const cases: Array<[string, string, string]> = [
    ['startsWithTake("ALERT", "open")', 'ALERT-x', 'open'],
    ['startsWithTake("ALERT", "open")', 'RESOLVE-x', 'RESOLVE-x'],
    ['startsWithTakeOrDrop("ALERT", "open")', 'RESOLVE-x', ''],
    ['startsWithElse("ALERT", "other")', 'ALERT-x', 'ALERT-x'],
    ['startsWithElse("ALERT", "other")', 'RESOLVE-x', 'other'],
    ['startsWithElseOrDrop("ALERT", "other")', 'ALERT-x', ''],
    ['equalsTake("a", "b")', 'a', 'b'],
    ['endsWithTake("-x", "y")', 'ALERT-x', 'y'],
    ['containsTakeOrDrop("ERT", "hit")', 'ALERT-x', 'hit'],
    ['containsElseOrDrop("zzz", "miss")', 'ALERT-x', 'miss'],
  ];
  for (const [call, value, expected] of cases) assert.equal(render(`{{ v.${call} }}`, { v: value }), expected, `${call} on ${value}`);
  // A function's result decides a section, which is how a source says "only events starting with ALERT".
  assert.equal(render('{{#event.startsWithTakeOrDrop("ALERT", "y")}}alert{{/event.startsWithTakeOrDrop("ALERT", "y")}}', particle), 'alert');
});

test('a template that does not parse is refused with its line, column and a reason', () => {
  const cases: Array<[string, RegExp, number, number]> = [
    ['Hello {{ name', /never closed with "}}"/, 1, 7],
    ['line one\n  {{#open}}\nbody', /\{\{#open\}\} is never closed with \{\{\/open\}\}/, 2, 3],
    ['{{#a}}x{{/b}}', /does not match the open section \{\{#a\}\} at line 1, column 1/, 1, 8],
    ['x {{/a}}', /never opened/, 1, 3],
    ['{{ }}', /is empty/, 1, 1],
    ['{{ a.shout() }}', /"shout" is not a template function; these are: lowerCase, upperCase/, 1, 6],
    ['{{ a.substring() }}', /substring needs at least 1 argument/, 1, 6],
    ['{{ a.substring("2") }}', /takes a whole number as argument 1, not text/, 1, 16],
    ['{{ a.replaceAll("x", 3) }}', /takes text in quotes as argument 2/, 1, 22],
    ['{{ a.lowerCase(1) }}', /at most 0 arguments/, 1, 16],
    ['{{ a.substring(-1) }}', /numbers from 0 up/, 1, 16],
    ['{{ a.replaceAll("x, "y") }}', /unexpected "y"|missing its closing/, 1, 22],
    ['{{ a[x] }}', /whole number was expected/, 1, 6],
    ['{{ a. }}', /a name was expected/, 1, 6],
    ['{{ a b }}', /unexpected "b" before "}}"/, 1, 6],
    ['{{ lowerCase() }}', /needs a value before it/, 1, 4],
    ['{{ a.lowerCase().b }}', /after a function only another function/, 1, 18],
  ];
  for (const [source, message, line, column] of cases) {
    const error = refusal(source);
    assert.match(error.message, message, source);
    assert.deepEqual([error.line, error.column], [line, column], `${source}: ${describeParseError(error)}`);
    assert.equal(describeParseError(error), `line ${line}, column ${column}: ${error.message}`);
  }
});

test('parse limits: template length and section depth', () => {
  assert.match(refusal('x'.repeat(MAX_TEMPLATE_LENGTH + 1)).message, /at most 16384 characters/);
  const nested = (depth: number) => '{{#a}}'.repeat(depth) + '{{/a}}'.repeat(depth);
  assert.equal(parseTemplate(nested(MAX_SECTION_DEPTH)).ok, true);
  assert.match(refusal(nested(MAX_SECTION_DEPTH + 1)).message, /nested at most 16 deep/);
});

test('rendering is bounded: output cap, replaceAll blow-up, nested-list blow-up, hostile text', () => {
  assert.equal(render('{{ v }}{{ v }}', { v: 'x'.repeat(DEFAULT_MAX_OUTPUT) }).length, DEFAULT_MAX_OUTPUT);
  assert.equal(render('{{ v }}', { v: 'abcdef' }, 4), 'abcd');
  assert.equal(render('{{ v }}', { v: 'ab😀' }, 3), 'ab', 'the cap does not split a surrogate pair');

  const started = performance.now();
  // A one-character needle over a megabyte with a long replacement would be gigabytes uncapped.
  const blown = render(`{{ v.replaceAll("a", "${'b'.repeat(4000)}") }}`, { v: 'a'.repeat(1_000_000) });
  assert.equal(blown.length, DEFAULT_MAX_OUTPUT);
  // Sixteen nested sections over a 1000-item list: 1000^16 visits unbounded, and no output to cap.
  const list = Array.from({ length: 1000 }, () => ({}));
  const deep = '{{#l}}'.repeat(16) + '{{/l}}'.repeat(16);
  assert.equal(render(deep, { l: list }), '');
  // Parsing has no regular expression to backtrack: a long run of braces and spaces stays linear.
  assert.equal(parseTemplate('{'.repeat(MAX_TEMPLATE_LENGTH)).ok, false);
  assert.equal(render(' \t'.repeat(8000), {}).length, 16000);
  assert.ok(performance.now() - started < 5000, `bounded renders took ${Math.round(performance.now() - started)} ms`);
});

test('text outside tags is kept as written: no HTML escaping, lone braces stay', () => {
  assert.equal(render('<b>{{ v }}</b> } {x} }}', { v: 'a & <b>' }), '<b>a & <b></b> } {x} }}');
  assert.equal(render('{{ v }}', { v: '{{ not a tag }}' }), '{{ not a tag }}');
  assert.equal(render('', {}), '');
});
