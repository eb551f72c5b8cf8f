#!/usr/bin/env node
// Runs every test/**/*.test.ts under node's test runner with tsx (Node 20's --test has no globs).
// Extra arguments are passed on: `npm test -- test/server` runs only the files under test/server.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
const walk = (path) => {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') && files.push(path);
  for (const entry of readdirSync(path).sort()) if (entry !== 'node_modules') walk(join(path, entry));
};
for (const root of roots.length ? roots : ['test']) walk(root);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
