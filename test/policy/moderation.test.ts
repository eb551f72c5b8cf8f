/** The optional remote classifier, against a fake OpenAI-compatible /v1/moderations on 127.0.0.1. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

let server: Server;
let url = '';
const seen: { authorization?: string; body: { model: string; input: string } }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; input: string };
      seen.push({ authorization: req.headers.authorization, body });
      if (body.input.includes('outage')) {
        res.writeHead(500).end('{"error":"down"}');
        return;
      }
      const violent = body.input.includes('fight');
      const categories = { sexual: false, 'sexual/minors': false, violence: violent, 'violence/graphic': body.input.includes('graphic') };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'modr-1', model: body.model, results: [{ flagged: violent, categories }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/moderations`;
});
after(() => server.close());

describe('remote moderation', () => {
  it('maps the remote categories through the level table, sends the key from the environment', async () => {
    const { post, engine } = await makeApp(
      { policy: { safety: { moderation: { url, api_key_env: 'MOD_KEY' } } }, tenants: [{ id: 's', safety: 'strict' }, { id: 'm' }] },
      { env: { MOD_KEY: 'sk-test' } },
    );
    const strict = bearer(await keyFor(engine, 's'));
    const moderate = bearer(await keyFor(engine, 'm'));
    const blocked = await post('/v1/generate', { prompt: 'two knights fight', size: '64x64' }, strict);
    assert.equal(blocked.status, 422);
    assert.match((await blocked.json()).error.message, /moderation service \(category: violence/);
    assert.equal((await post('/v1/generate', { prompt: 'two knights fight', size: '64x64' }, moderate)).status, 200);
    assert.equal((await post('/v1/generate', { prompt: 'a graphic fight', size: '64x64' }, moderate)).status, 422);
    assert.equal(seen.at(-1)!.authorization, 'Bearer sk-test');
    assert.equal(seen.at(-1)!.body.model, 'omni-moderation-latest');
  });

  it('when the endpoint fails: strict refuses, moderate goes on with a warning', async () => {
    const { post, engine } = await makeApp({ policy: { safety: { moderation: { url } } }, tenants: [{ id: 's', safety: 'strict' }, { id: 'm' }] });
    const strict = await post('/v1/generate', { prompt: 'an outage', size: '64x64' }, bearer(await keyFor(engine, 's')));
    assert.equal(strict.status, 429);
    assert.equal((await strict.json()).error.code, 'overloaded');
    const moderate = await (await post('/v1/generate', { prompt: 'an outage', size: '64x64' }, bearer(await keyFor(engine, 'm')))).json();
    assert.equal(moderate.images.length, 1);
    assert.match(moderate.warnings[0].message, /moderation service was unavailable/);
  });
});
