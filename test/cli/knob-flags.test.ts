/** The CLI's knob flags reach the backend: `kimaging generate/edit --local` against the sd-server fake. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT, main } from '../../src/cli/cli.ts';
import { startSdapiFake } from '../fakes/sdapi-fake.ts';
import { solidPng } from '../helpers/app.ts';

describe('kimaging knob flags', () => {
  let fake: Awaited<ReturnType<typeof startSdapiFake>>;
  let dir: string;
  let config: string;
  before(async () => {
    fake = await startSdapiFake({ flavor: 'sdcpp', native: false });
    dir = await mkdtemp(join(tmpdir(), 'kimaging-cli-'));
    config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ server: { data_dir: join(dir, 'data') }, policy: { safety: { image: { enabled: false } } }, providers: { sd: { type: 'sdapi', base_url: fake.url } }, models: [{ id: 'sd', provider: 'sd', model: 'default' }] }));
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  const quietly = async (argv: string[]) => {
    const [log, error] = [console.log, console.error];
    const errors: string[] = [];
    console.log = () => {};
    console.error = (line: string) => void errors.push(line);
    try {
      return { code: await main(argv, {}), errors };
    } finally {
      [console.log, console.error] = [log, error];
    }
  };
  const lastBody = () => fake.requests.filter((r) => r.method === 'POST').at(-1)!.body!;

  it('generate sends --sampler, --scheduler, --steps, --cfg and --negative', async () => {
    const out = join(dir, 'gen/');
    const { code } = await quietly(['generate', 'a fox', '--local', '--config', config, '--size', '64x64', '--seed', '5', '--sampler', 'Euler a', '--scheduler', 'karras', '--steps', '12', '--cfg', '4.5', '--negative', 'blurry', '-o', out]);
    assert.equal(code, EXIT.ok);
    const body = lastBody();
    assert.deepEqual([body.sampler_name, body.scheduler, body.steps, body.cfg_scale, body.negative_prompt, body.seed], ['euler_a', 'karras', 12, 4.5, 'blurry', 5]);
    assert.deepEqual(await readdir(out), ['a-fox-5.png']);
  });

  it('edit takes the same flags; --strict-knobs turns a dropped knob into a refusal', async () => {
    const image = join(dir, 'in.png');
    await writeFile(image, await solidPng(64, 64, [9, 9, 9]));
    const ok = await quietly(['edit', 'p', '--local', '--config', config, '--image', image, '--steps', '7', '--sampler', 'lcm', '-o', join(dir, 'edit.png')]);
    assert.equal(ok.code, EXIT.ok);
    assert.deepEqual([lastBody().steps, lastBody().sampler_name], [7, 'lcm']);

    const strict = await quietly(['generate', 'p', '--local', '--config', config, '--sampler', 'unipc', '--strict-knobs', '-o', join(dir, 'x.png')]);
    assert.equal(strict.code, EXIT.refused);
    assert.match(strict.errors.join('\n'), /unsupported: .*unipc.*\(sampler\)/);
    const usage = await quietly(['generate', 'p', '--local', '--config', config, '--steps', 'many']);
    assert.equal(usage.code, EXIT.usage);
  });
});
