// Runs before the npm scripts that need a recent Node (serve, build, test, bench), so an old Node
// says what to do instead of failing later with "node: bad option: --experimental-sqlite".
// Written for any Node, however old: no syntax newer than ES5, nothing but process and fs.
/* global require, __dirname, process, console */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose, for the oldest Node */
'use strict';
var fs = require('fs');
var path = require('path');

var root = path.join(__dirname, '..');
var engines = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines.node;
var needed = /^>=(\d+)\.(\d+)$/.exec(engines);
if (!needed) throw new Error('scripts/check-node.cjs understands engines.node only as ">=major.minor", not "' + engines + '"');
var have = process.versions.node.split('.').map(Number);
var major = Number(needed[1]);
var minor = Number(needed[2]);

if (have[0] < major || (have[0] === major && have[1] < minor)) {
  var wanted = major + '.' + minor;
  var message = [
    'level-ilert-relay needs Node.js ' + wanted + ' or newer; this is Node ' + process.versions.node + ' (' + process.execPath + ').',
    '  Linux x64:  . scripts/use-node.sh   puts Node 24 (from the npm registry) first on PATH in this shell; then run the command again.',
    '  Elsewhere:  install Node ' + wanted + ' or newer from https://nodejs.org (or run `nvm install`, which reads .nvmrc).',
  ];
  console.error(message.join('\n'));
  process.exit(1);
}
