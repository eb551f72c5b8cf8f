/** `kimaging keys` on the store, and the key it prints working against an app on the same data dir. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { makeApp, tempDir } from '../helpers/app.ts';
import { bearer } from '../helpers/policy.ts';

const run = promisify(execFile);
const kimaging = (...args: string[]) => run(process.execPath, ['bin/kimaging.js', ...args]).then(
  (r) => ({ code: 0, ...r }),
  (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
);

describe('kimaging keys', () => {
  it('creates a key (printed once), lists it without the secret, and revokes it', async () => {
    const dir = tempDir();
    const config = { server: { data_dir: join(dir, 'data') }, tenants: [{ id: 'acme' }] };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));

    const created = await kimaging('keys', 'create', '--tenant', 'acme', '--name', 'ci', '--config', configPath);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^kim_[A-Za-z0-9_-]{43}$/);

    const { post } = await makeApp(config);
    assert.equal((await post('/v1/generate', { prompt: 'a fox', size: '64x64' }, bearer(key))).status, 200);

    const listed = await kimaging('keys', 'list', '--config', configPath);
    assert.match(listed.stdout, /tenant=acme\tname=ci/);
    assert.ok(!listed.stdout.includes(key), 'the list never shows the key');
    const id = /^(key_[0-9a-f]+)/.exec(listed.stdout)![1]!;

    assert.equal((await kimaging('keys', 'revoke', id, '--config', configPath)).code, 0);
    assert.equal((await post('/v1/generate', { prompt: 'a fox', size: '64x64' }, bearer(key))).status, 401);
    const again = await kimaging('keys', 'revoke', id, '--config', configPath);
    assert.equal(again.code, 1, 'revoking a key that is not active is a refusal, not a usage error');
    assert.match(again.stderr, /no such key/);
    assert.equal((await kimaging('keys', 'create', '--tenant', 'nobody', '--config', configPath)).code, 2);
  });

  it('reads keys without creating a data folder that was not there', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'nothing-here');
    const listed = await kimaging('keys', 'list', '--data-dir', dataDir);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /no keys yet/);
    assert.equal(existsSync(dataDir), false);
    const revoked = await kimaging('keys', 'revoke', 'key_0000', '--data-dir', dataDir);
    assert.equal(revoked.code, 1);
    assert.equal(existsSync(dataDir), false);
  });
});
