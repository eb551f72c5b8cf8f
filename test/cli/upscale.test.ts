import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { main } from '../../src/cli/cli.ts';
import { progressBar } from '../../src/cli/upscale.ts';
import { scenePng } from '../upscale/helpers.ts';

describe('kimaging upscale', () => {
  it('--local: writes the upscaled file (ESRGAN by default, the extension picks the format)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-cli-upscale-'));
    const input = join(dir, 'in.png');
    await writeFile(input, await scenePng(48, 40));
    const out = join(dir, 'out.webp');
    assert.equal(await main(['upscale', input, '--scale', '4', '-o', out, '--local']), 0);
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 192, 160]);
  });

  it('usage errors exit 2; a refusal by the service exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kimaging-cli-upscale-'));
    const input = join(dir, 'in.png');
    await writeFile(input, await scenePng(8, 8));
    assert.equal(await main(['upscale', input, '--local']), 2, 'no --scale');
    assert.equal(await main(['upscale', '--scale', '2', '--local']), 2, 'no IMAGE');
    assert.equal(await main(['upscale', input, '--scale', '5', '--local']), 1, 'a scale without weights');
  });

  it('draws tiles done of total on a terminal, nothing otherwise', () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(tty, 10);
    bar(1, 4);
    bar(4, 4);
    bar.end();
    assert.deepEqual(written, ['\r[###.......] 1/4 tiles', '\r[##########] 4/4 tiles', '\n']);
    const pipe = { isTTY: false, write: () => assert.fail('no bar on a pipe') } as unknown as NodeJS.WriteStream;
    const quiet = progressBar(pipe);
    quiet(1, 2);
    quiet.end();
  });
});
