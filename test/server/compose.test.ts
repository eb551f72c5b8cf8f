import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { makeApp } from '../helpers/app.ts';

const appWithTempData = async (raw: Record<string, unknown> = {}) => makeApp({ ...raw, server: { data_dir: await mkdtemp(join(tmpdir(), 'compose-')) } });

describe('POST /v1/compose', () => {
  it('answers JSON with the card, then the same card from the cache', async () => {
    const { post } = await appWithTempData();
    const first = await post('/v1/compose', { template: 'og', data: { title: 'Hello' } });
    assert.equal(first.status, 200);
    const body = await first.json();
    assert.equal(body.template, 'og');
    assert.equal(body.cached, false);
    assert.match(body.etag, /^[0-9a-f]{40}$/);
    const meta = await sharp(Buffer.from(body.images[0].b64_json, 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 1200, 630]);
    const again = await (await post('/v1/compose', { template: 'og', data: { title: 'Hello' } })).json();
    assert.equal(again.cached, true);
    assert.equal(again.images[0].b64_json, body.images[0].b64_json);
  });

  it('answers raw bytes for Accept: image/webp', async () => {
    const { post } = await appWithTempData();
    const response = await post('/v1/compose', { template: 'banner', data: { title: 'Raw' } }, { accept: 'image/webp' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/webp');
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 1500, 500]);
  });

  it('refuses an unknown template (404, param template) and lists the expected fields on a bad one', async () => {
    const { post } = await appWithTempData();
    const unknown = await post('/v1/compose', { template: 'nope', data: {} });
    assert.equal(unknown.status, 404);
    assert.deepEqual((await unknown.json()).error.code, 'not_found');
    const wrongField = await (await post('/v1/compose', { template: 'og', data: { title: 'x', colour: 'red' } })).json();
    assert.equal(wrongField.error.code, 'invalid_request');
    assert.equal(wrongField.error.param, 'data.colour');
    assert.match(wrongField.error.message, /title \(required\), subtitle, brand, logo/);
    const missing = await post('/v1/compose', { template: 'package', data: { version: '1.0.0' } });
    assert.equal(missing.status, 400);
    const missingBody = await missing.json();
    assert.equal(missingBody.error.param, 'data.name');
    assert.match(missingBody.error.message, /name \(required\)/);
  });

  it('uses the stub through engine.generate for a generate layer', async () => {
    const { post, engine } = await appWithTempData();
    const routes: string[] = [];
    const generate = engine.generate;
    engine.generate = (model, request, context) => {
      routes.push(context.route);
      return generate(model, request, context);
    };
    const response = await post('/v1/compose', { template: 'og', data: { title: 'Layer', logo: { generate: { prompt: 'fox', model: 'stub', seed: 3 } } } });
    assert.equal(response.status, 200);
    assert.deepEqual(routes, ['compose']);
    const bad = await (await post('/v1/compose', { template: 'og', data: { title: 'Layer', logo: { generate: { prompt: 'fox', model: 'no-such-model' } } } })).json();
    assert.equal(bad.error.code, 'not_found');
  });
});

describe('GET /v1/compose/{template}', () => {
  it('serves bytes with an ETag and immutable caching, and 304 on If-None-Match', async () => {
    const { app } = await appWithTempData();
    const url = '/v1/compose/og?title=Hello%20there&theme=dark';
    const response = await app.request(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/png');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const etag = response.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]{40}"$/);
    const notModified = await app.request(url, { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get('etag'), etag);
    const hit = await app.request(url);
    assert.equal(hit.headers.get('x-cache'), 'hit');
    const jpeg = await app.request(`${url}&format=jpeg`);
    assert.equal(jpeg.headers.get('content-type'), 'image/jpeg');
    assert.notEqual(jpeg.headers.get('etag'), etag);
  });

  it('names the query field at fault, and reports undrawable text in X-Warnings', async () => {
    const { app } = await appWithTempData();
    const bad = await (await app.request('/v1/compose/package?name=x&downloads=many')).json();
    assert.deepEqual([bad.error.code, bad.error.param], ['invalid_request', 'downloads']);
    const warned = await app.request('/v1/compose/og?title=%E2%9C%A8%20Launch');
    assert.equal(warned.status, 200);
    assert.match(decodeURIComponent(warned.headers.get('x-warnings') ?? ''), /U\+2728/);
  });

  it('lists templates at GET /v1/compose and documents the routes in /openapi.json', async () => {
    const { app } = await appWithTempData();
    const list = await (await app.request('/v1/compose')).json();
    assert.deepEqual(list.data.map((t: { id: string }) => t.id), ['og', 'package', 'banner', 'social-card']);
    assert.equal(list.data[0].fields.title.required, true);
    const doc = await (await app.request('/openapi.json')).json();
    assert.ok(doc.paths['/v1/compose'].post && doc.paths['/v1/compose'].get);
    assert.ok(doc.paths['/v1/compose/{template}'].get);
  });
});

/** mulberry32: a small seeded PRNG, so a failing payload can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('compose fuzz', () => {
  it('500 random and malformed payloads: never a 500', async () => {
    const { app, post } = await appWithTempData({
      compose: {
        templates: {
          custom: {
            width: 320,
            height: 160,
            fields: { label: { type: 'text', required: true }, tint: { type: 'color', default: '#223344' }, shade: { type: 'text', default: 'red' } },
            tree: { type: 'div', style: { display: 'flex', width: 320, height: 160, backgroundColor: '{{tint}}', color: '{{shade}}' }, children: [{ type: 'text', text: '{{label}}' }] },
          },
        },
      },
    });
    const random = prng(20261122);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const words = ['', 'a', 'Hello', 'Ωμέγα', '漢字', '🚀', '\u0000', '\ud800', 'x'.repeat(500), '{{title}}', 'url(http://x)', '#fff', 'red', 'rgb(1,2,3)', '#0ea5e9,#6366f1', 'dark', 'wide', '12345', '-1', 'NaN', 'data:image/png;base64,AAAA', 'http://127.0.0.1/x.png', 'iVBORw0KGgo='];
    const fields = ['title', 'subtitle', 'brand', 'logo', 'background', 'gradient', 'background_image', 'accent', 'theme', 'name', 'version', 'downloads', 'stars', 'variant', 'label', 'tint', 'shade', 'nope', '__proto__', 'constructor'];
    const scalar = (): unknown => pick([() => pick(words), () => random() * 1e6 - 5e5, () => null, () => true, () => [], () => ({}), () => ({ generate: { prompt: pick(words) } }), () => ({ generate: pick([null, 5, { prompt: 'p', seed: -1 }, { prompt: 'p', extra: 1 }]) })])();
    const own: Record<string, string[]> = {
      og: ['title', 'subtitle', 'brand', 'theme', 'accent', 'gradient', 'logo'],
      package: ['name', 'version', 'downloads', 'stars', 'theme', 'description'],
      banner: ['title', 'subtitle', 'theme', 'background'],
      'social-card': ['title', 'subtitle', 'variant', 'theme'],
      custom: ['label', 'tint', 'shade'],
    };
    // Near-valid data: only the template's own fields, so many reach the renderer.
    const nearValid = (template: string): unknown => {
      const out: Record<string, unknown> = { [own[template]![0]!]: pick(['Hello', 'Ωμέγα 🚀 漢字', 'word '.repeat(40), 'x', '\u0000\ud800']) };
      for (let i = Math.floor(random() * 3); i > 0; i--) out[pick(own[template]!)] = pick(words);
      return out;
    };
    const data = (template = ''): unknown => {
      if (own[template] && random() < 0.5) return nearValid(template);
      if (random() < 0.1) return scalar();
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--) out[pick(fields)] = scalar();
      if (random() < 0.7) out[pick(['title', 'name', 'label'])] = pick(['Hello', 'Ωμέγα 🚀', 'word '.repeat(40), 'x']);
      return out;
    };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const template = random() < 0.85 ? pick(['og', 'package', 'banner', 'social-card', 'custom']) : pick(['nope', '', '../etc', '%00']);
      let response: Response;
      const kind = random();
      if (kind < 0.6) {
        const body = random() < 0.85 ? { template, data: data(template), ...(random() < 0.3 && { format: pick(['png', 'webp', 'jpeg', 'gif', 5]) }) } : pick([{}, [], 'null', { template: 5 }, { template, data: data(), extra: 1 }]);
        response = await post('/v1/compose', body);
      } else if (kind < 0.7) {
        response = await post('/v1/compose', pick(['{', '{"template":', 'not json', '\u0000', '[1,2', '']));
      } else {
        const query = new URLSearchParams();
        const given = data(template);
        if (given && typeof given === 'object') for (const [key, value] of Object.entries(given)) query.append(key, typeof value === 'string' ? value : JSON.stringify(value));
        if (random() < 0.2) query.append('format', pick(['png', 'webp', 'bmp']));
        response = await app.request(`/v1/compose/${encodeURIComponent(template)}?${query}`);
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      assert.ok(response.status < 500, `payload ${i} answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer().catch(() => undefined);
    }
    assert.ok((statuses.get(200) ?? 0) > 50, `some payloads rendered: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(400) ?? 0) > 100, `most were refused: ${JSON.stringify([...statuses])}`);
  });
});

describe('compose.public_cards', () => {
  it('serves a card by URL without a key when tenants are configured; a generate layer still needs one', async () => {
    const { app } = await makeApp({ tenants: [{ id: 'acme' }], compose: { public_cards: true } });
    const card = await app.request('/v1/compose/og?title=Hello');
    assert.equal(card.status, 200);
    assert.equal(card.headers.get('content-type'), 'image/png');
    const layer = encodeURIComponent(JSON.stringify({ generate: { prompt: 'a logo' } }));
    assert.equal((await app.request(`/v1/compose/og?title=Hi&logo=${layer}`)).status, 401);
    assert.equal((await app.request('/v1/compose', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template: 'og', data: { title: 'x' } }) })).status, 401);
  });
});
