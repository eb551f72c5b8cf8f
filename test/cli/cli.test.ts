import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { rectMask, solidPng } from '../helpers/app.ts';
import { run, startDaemonProcess, type DaemonProcess } from '../helpers/processes.ts';

/** The nsfwjs image filter costs seconds of CPU to load in every process; test/policy/ covers it. */
const NO_IMAGE_FILTER = { policy: { safety: { image: { enabled: false } } } };

describe('kimaging against a daemon the test starts', () => {
  let daemon: DaemonProcess;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kimaging-cli-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify(NO_IMAGE_FILTER));
    daemon = await startDaemonProcess(['--data-dir', join(dir, 'data'), '--config', join(dir, 'config.json')]);
  });
  after(() => daemon.stop());

  const cli = (args: string[]) => run('kimaging', [...args, '--url', daemon.url], { cwd: dir });

  it('the daemon prints one line saying where it listens', () => {
    assert.match(daemon.stdout(), /^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
  });

  it('generate writes a valid PNG and prints its path', async () => {
    const result = await cli(['generate', 'a red fox', '-o', 'fox.png', '--size', '128x96', '--seed', '7']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), join(dir, 'fox.png'));
    const meta = await sharp(await readFile(join(dir, 'fox.png'))).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 128, 96]);
  });

  it('writes n images into a folder named by prompt and seed, and --json prints the answer', async () => {
    const result = await cli(['generate', 'a red fox', '-n', '2', '--seed', '7', '--size', '64x64', '-o', 'out/']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['a-red-fox-7.png', 'a-red-fox-8.png']);
    const json = await cli(['generate', 'a red fox', '--seed', '7', '--size', '64x64', '--json']);
    assert.equal(JSON.parse(json.stdout).images[0].seed, 7);
  });

  it('edit uploads an image and mask', async () => {
    await writeFile(join(dir, 'in.png'), await solidPng(64, 64, [5, 5, 5]));
    await writeFile(join(dir, 'mask.png'), await rectMask(64, 64, { x: 0, y: 0, w: 8, h: 8 }));
    const result = await cli(['edit', 'a door', '--image', 'in.png', '--mask', 'mask.png', '--strength', '1', '-o', 'edited.webp']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await sharp(await readFile(join(dir, 'edited.webp'))).metadata()).format, 'webp');
  });

  it('models lists the default model', async () => {
    const result = await cli(['models']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^stub \(default\)\tprovider=stub/m);
  });

  it('exits 1 with the server message when refused, 2 on usage errors', async () => {
    const refused = await cli(['generate', 'x', '--size', '10x10']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /invalid_request: size 10x10 is out of range.*\(size\)/);
    assert.equal((await cli(['generate'])).code, 2);
    assert.equal((await cli(['generate', 'x', '--bogus'])).code, 2);
    assert.equal((await cli(['generate', 'x', '-n', 'two'])).code, 2);
    assert.equal((await cli(['edit', 'x'])).code, 2);
    assert.equal((await cli(['frobnicate'])).code, 2);
  });
});

describe('kimaging without a daemon', () => {
  it('exits 3 with a hint when the daemon is unreachable', async () => {
    const result = await run('kimaging', ['generate', 'x', '--url', 'http://127.0.0.1:9'], { cwd: tmpdir() });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    assert.match(result.stderr, /kimaging serve/);
  });

  it('--local runs the same engine in process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-local-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...NO_IMAGE_FILTER, server: { data_dir: join(dir, 'data') } }));
    const result = await run('kimaging', ['generate', 'a red fox', '--local', '--config', 'config.json', '--seed', '7', '--size', '64x64', '-o', 'fox.png'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await sharp(await readFile(join(dir, 'fox.png'))).metadata()).width, 64);
  });
});

describe('koder-imaging daemon start', () => {
  it('refuses an invalid config naming the field, and bad flags, with exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-cfg-'));
    await writeFile(join(dir, 'bad.yaml'), 'server:\n  port: "eighty"\nmodels:\n  - id: x\n    provider: nowhere\n');
    const bad = await run('koder-imaging', ['--config', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /server\.port/);
    await writeFile(join(dir, 'bad2.yaml'), 'models:\n  - id: x\n    provider: nowhere\n');
    const bad2 = await run('koder-imaging', ['--config', join(dir, 'bad2.yaml')]);
    assert.match(bad2.stderr, /models\.0\.provider: no provider named "nowhere"/);
    assert.equal((await run('koder-imaging', ['--port', 'abc'])).code, 2);
    assert.equal((await run('koder-imaging', ['--nope'])).code, 2);
  });

  it('with the image filter on, says it is loading, shows it in /healthz, and says when it is ready', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-filter-'));
    const daemon = await startDaemonProcess(['--data-dir', join(dir, 'd')]);
    try {
      assert.match(daemon.stdout(), /^listening on http:\S+\n/);
      const first = (await (await fetch(`${daemon.url}/healthz`)).json()) as { image_filter: string };
      assert.ok(['loading', 'ready'].includes(first.image_filter), first.image_filter);
      const deadline = Date.now() + 60_000;
      while (!/image filter ready after [\d.]+ s/.test(daemon.stdout()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.match(daemon.stdout(), /image filter loading \(nsfwjs\).*GET \/healthz/);
      assert.match(daemon.stdout(), /image filter ready after [\d.]+ s/);
      const after = (await (await fetch(`${daemon.url}/healthz`)).json()) as { image_filter: string };
      assert.equal(after.image_filter, 'ready');
    } finally {
      await daemon.stop();
    }
  });

  it('takes settings from the environment and a config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-env-'));
    await writeFile(join(dir, 'c.json'), JSON.stringify({ ...NO_IMAGE_FILTER, models: [{ id: 'blocks', provider: 'stub', model: 'stub' }] }));
    const daemon = await startDaemonProcess([], { KIMAGING_CONFIG: join(dir, 'c.json'), KIMAGING_DATA_DIR: join(dir, 'd') });
    try {
      const body = await (await fetch(`${daemon.url}/v1/models`)).json();
      assert.deepEqual(body.data.map((m: { id: string }) => m.id), ['blocks']);
    } finally {
      await daemon.stop();
    }
  });
});
