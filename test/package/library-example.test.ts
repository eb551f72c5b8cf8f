// The README's library example, run as a user of the package runs it: `import ... from 'koder-imaging'`
// resolved through package.json "exports" to the build that `npm ci` makes (the prepare script).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

/** The first fenced code block under a README heading. */
function firstBlock(heading: string): string {
  const section = readme.slice(readme.indexOf(`\n## ${heading}\n`));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match, `README has a ts block under "## ${heading}"`);
  return match[1]!;
}

test('npm ci builds the package entry (prepare runs the build)', () => {
  assert.match(pkg.scripts.prepare ?? '', /npm run build/);
  assert.equal(pkg.exports['.'].import, './dist/index.js');
});

test("the README's library example runs against the package entry", () => {
  assert.ok(
    existsSync(new URL('dist/index.js', root)),
    'dist/index.js is missing: `npm ci` builds it through the prepare script (or run `npm run build`)',
  );
  const code = `${firstBlock('Library')}\nconsole.log(JSON.stringify({ seeds: result.images.map((i) => i.seed), bytes: result.images.map((i) => i.bytes.length) }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(out.seeds, [7, 8]);
  assert.ok(out.bytes.every((n: number) => n > 100), 'each image has PNG bytes');
});
