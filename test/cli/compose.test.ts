import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { main } from '../../src/cli/cli.ts';

async function localConfig() {
  const dir = await mkdtemp(join(tmpdir(), 'kimaging-compose-'));
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ server: { data_dir: join(dir, 'data') } }));
  return { dir, config };
}

/** Run the CLI with console output captured. */
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => out.push(String(line));
  console.error = (line: string) => err.push(String(line));
  try {
    return { code: await main(argv, {}), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('kimaging compose', () => {
  it('writes the card to -o, in the format its extension names', async () => {
    const { dir, config } = await localConfig();
    const png = join(dir, 'og.png');
    const result = await run(['compose', 'og', '--title', 'From the CLI', '--theme', 'dark', '-o', png, '--local', '--config', config]);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out, png);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1200, 630]);
    const webp = join(dir, 'banner.webp');
    assert.equal((await run(['compose', 'banner', '--field', 'title=Field flag', '-o', webp, '--local', '--config', config])).code, 0);
    assert.equal((await sharp(webp).metadata()).format, 'webp');
  });

  it('lists the templates, and exits 1 with the expected fields on a missing one', async () => {
    const { config } = await localConfig();
    const list = await run(['compose', '--list', '--local', '--config', config]);
    assert.equal(list.code, 0);
    assert.match(list.out, /^og\t1200x630/m);
    assert.match(list.out, /^social-card\t1080x1080/m);
    const missing = await run(['compose', 'og', '--subtitle', 'no title', '--local', '--config', config]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /title \(required\)/);
    assert.equal((await run(['compose', '--local', '--config', config])).code, 2);
  });
});

describe('kimaging compose field values', () => {
  it('keeps a leading @ in text fields and reads @FILE only in image fields', async () => {
    const { dir, config } = await localConfig();
    const out = join(dir, 'pkg.png');
    const text = await run(['compose', 'package', '--name', '@scope/pkg', '-o', out, '--local', '--config', config]);
    assert.equal(text.code, 0, text.err);
    const missing = await run(['compose', 'og', '--title', 'Logo', '--logo', '@no-such-logo.png', '-o', out, '--local', '--config', config]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read no-such-logo\.png/);
  });

  it('refuses an -o name it cannot write truthfully', async () => {
    const { dir, config } = await localConfig();
    const gif = await run(['compose', 'og', '--title', 'x', '-o', join(dir, 'card.gif'), '--local', '--config', config]);
    assert.equal(gif.code, 2);
    assert.match(gif.err, /cannot write \.gif/);
    const clash = await run(['compose', 'og', '--title', 'x', '--format', 'png', '-o', join(dir, 'card.webp'), '--local', '--config', config]);
    assert.equal(clash.code, 2);
    assert.match(clash.err, /names webp but --format is png/);
  });
});
