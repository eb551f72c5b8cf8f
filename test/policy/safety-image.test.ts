/**
 * The image filter. The real nsfwjs model (loaded once for this file) runs on generated images;
 * no explicit test image ships, so the blocking path is shown two ways: with thresholds lowered
 * until the real model's scores for one generated image cross them, and with a scripted
 * classifier for the decision logic (all withheld, not loaded yet, failed to load).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { imageClassifier, imageVerdict, localDay, type ImageClassifier, type NsfwScores } from '../../src/policy/index.ts';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

const NEUTRAL: NsfwScores = { porn: 0.01, hentai: 0.01, sexy: 0.01, drawing: 0.1, neutral: 0.87 };
const PORN: NsfwScores = { porn: 0.97, hentai: 0.01, sexy: 0.01, drawing: 0.0, neutral: 0.01 };
const SEXY: NsfwScores = { porn: 0.1, hentai: 0.01, sexy: 0.7, drawing: 0.0, neutral: 0.19 };

function scripted(scores: NsfwScores[], state: ImageClassifier['state'] = 'ready'): ImageClassifier & { calls: number } {
  let calls = 0;
  return {
    state,
    get calls() {
      return calls;
    },
    async ready() {
      return state === 'ready';
    },
    async classify() {
      return scores[calls++ % scores.length]!;
    },
  };
}

const safetyOn = (extra: Record<string, unknown> = {}) => ({ safety: { image: { enabled: true, ...extra } } });

describe('image safety with the real nsfwjs model', () => {
  before(async () => {
    assert.ok(await imageClassifier().ready(120_000), 'nsfwjs loads from the npm package');
  });

  it('scores generated images as safe, and they pass at strict', async () => {
    const { post, engine } = await makeApp({ policy: safetyOn(), tenants: [{ id: 'careful', safety: 'strict' }] });
    const key = await keyFor(engine, 'careful');
    const response = await post('/v1/generate', { prompt: 'a red fox', n: 2, size: '128x128', seed: 3 }, bearer(key));
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.images.length, 2);
    assert.deepEqual(body.warnings, []);
    const skin = await sharp({ create: { width: 128, height: 128, channels: 3, background: { r: 224, g: 172, b: 140 } } }).png().toBuffer();
    const scores = await imageClassifier().classify(skin);
    assert.equal(imageVerdict('strict', scores, engine.config.policy.safety.image), undefined, JSON.stringify(scores));
  });

  it('withholds the image whose real score crosses a (lowered) threshold, flags it, and refunds it', async () => {
    const seedScores = [];
    const { post, engine } = await makeApp({ policy: safetyOn({ moderate: { porn: 0.015, hentai: 0.99 } }), tenants: [{ id: 'acme' }] });
    // What the model says about the two stub images for seed 1 (about 0.019 and 0.011 porn).
    const probe = await engine.router.generate('stub', { prompt: 'a fox', n: 2, size: { width: 256, height: 256 }, seed: 1 });
    for (const image of probe.images) seedScores.push((await imageClassifier().classify(image.bytes)).porn);
    assert.ok(seedScores[0]! >= 0.015 && seedScores[1]! < 0.015, `scores ${seedScores}`);
    const key = await keyFor(engine, 'acme');
    const body = await (await post('/v1/generate', { prompt: 'a fox', n: 2, size: '256x256', seed: 1 }, bearer(key))).json();
    assert.deepEqual(body.images.map((i: { seed: number }) => i.seed), [2], 'the first image is left out, not blacked out');
    const flag = body.warnings.find((w: { setting?: string }) => w.setting === 'safety');
    assert.match(flag.message, /image 1 of 2 was withheld .*porn/);
    assert.equal(body.usage.images, 1);
    assert.equal(await engine.store.quotas.used('acme', 'images', localDay(new Date(), 'UTC')), 1, 'only the delivered image is charged');
  });
});

describe('image safety decisions', () => {
  it('strict withholds sexy, moderate lets it through, off checks nothing', async () => {
    const classifier = scripted([SEXY]);
    const { post, engine } = await makeApp(
      { policy: safetyOn(), tenants: [{ id: 's', safety: 'strict' }, { id: 'm', safety: 'moderate' }, { id: 'o', safety: 'off' }] },
      { classifier },
    );
    assert.equal((await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 's')))).status, 422);
    assert.equal((await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 'm')))).status, 200);
    const before = classifier.calls;
    assert.equal((await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 'o')))).status, 200);
    assert.equal(classifier.calls, before, 'off never calls the classifier');
  });

  it('answers 422 content_blocked when every image is withheld, and charges nothing', async () => {
    const { post, engine } = await makeApp({ policy: safetyOn(), tenants: [{ id: 'acme', quota: { images_per_day: 5 } }] }, { classifier: scripted([PORN]) });
    const key = await keyFor(engine, 'acme');
    const response = await post('/v1/generate', { prompt: 'a', n: 3, size: '64x64' }, bearer(key));
    assert.equal(response.status, 422);
    assert.equal((await response.json()).error.code, 'content_blocked');
    assert.equal(await engine.store.quotas.used('acme', 'images', localDay(new Date(), 'UTC')), 0);
    const [record] = await engine.store.usage.list({ tenant: 'acme', from: new Date(0), to: new Date(Date.now() + 1000) });
    assert.deepEqual([record!.status, record!.images], ['content_blocked', 0]);
  });

  it('withholds only the flagged images of a batch', async () => {
    const { post } = await makeApp({ policy: safetyOn() }, { classifier: scripted([NEUTRAL, PORN, NEUTRAL]) });
    const body = await (await post('/v1/generate', { prompt: 'a', n: 3, size: '64x64', seed: 10 })).json();
    assert.deepEqual(body.images.map((i: { seed: number }) => i.seed), [10, 12]);
    assert.equal(body.usage.images, 2);
  });

  it('while the model is not ready: strict refuses (429 overloaded, refunded), moderate delivers with a warning', async () => {
    const { post, engine } = await makeApp(
      { policy: safetyOn({ load_wait_ms: 10 }), tenants: [{ id: 's', safety: 'strict' }, { id: 'm' }] },
      { classifier: scripted([NEUTRAL], 'loading') },
    );
    const strict = await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 's')));
    assert.equal(strict.status, 429);
    assert.equal((await strict.json()).error.code, 'overloaded');
    assert.ok(Number(strict.headers.get('retry-after')) >= 1);
    assert.equal(await engine.store.quotas.used('s', 'images', localDay(new Date(), 'UTC')), 0);
    const moderate = await (await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 'm')))).json();
    assert.equal(moderate.images.length, 1);
    assert.match(moderate.warnings[0].message, /still loading; images were not checked/);
  });

  it('a classifier that fails on an image is treated as unavailable, never a 500 or a hang', async () => {
    const broken: ImageClassifier = {
      state: 'ready',
      ready: async () => true,
      classify: async () => {
        throw new Error('the worker exited');
      },
    };
    const { post, engine } = await makeApp(
      { policy: safetyOn(), tenants: [{ id: 's', safety: 'strict' }, { id: 'm' }] },
      { classifier: broken },
    );
    const strict = await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 's')));
    assert.equal(strict.status, 429);
    assert.equal(await engine.store.quotas.used('s', 'images', localDay(new Date(), 'UTC')), 0);
    const moderate = await (await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(await keyFor(engine, 'm')))).json();
    assert.equal(moderate.images.length, 1);
    assert.match(moderate.warnings[0].message, /unavailable; images were not checked/);
  });
});
