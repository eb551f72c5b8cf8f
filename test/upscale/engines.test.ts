/**
 * The two ESRGAN engines run the same weights: the ONNX rewrite of each packaged Keras model
 * (onnx-model.ts, with its upsample fold) must compute what tfjs computes on the original, and the
 * upscaler must give the same picture on either engine.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { loadPredictor, resolveEngine } from '../../src/upscale/esrgan-engines.ts';
import { esrganModelHandler, type EsrganWeights } from '../../src/upscale/esrgan-weights.ts';
import { createUpscaler, type UpscaleSettings } from '../../src/upscale/index.ts';
import { UPSCALE_SCALES } from '../../src/upscale/methods.ts';
import { kerasToOnnx, type KerasModelArtifacts } from '../../src/upscale/onnx-model.ts';
import { psnr, rgbOf, scenePng, sceneRgb } from './helpers.ts';

const SIDE = 20;

describe('ESRGAN engines', () => {
  for (const weights of ['esrgan-slim', 'esrgan-medium'] as EsrganWeights[]) {
    it(`${weights}: the ONNX graph computes the Keras model's output at every scale (${UPSCALE_SCALES.join(', ')})`, async () => {
      const input = Float32Array.from(sceneRgb(SIDE, SIDE));
      for (const scale of UPSCALE_SCALES) {
        const [onnx, tfjs] = await Promise.all([loadPredictor('onnx', weights, scale, 1), loadPredictor('tfjs', weights, scale, 1)]);
        const a = await onnx.predict(input, SIDE, SIDE);
        const b = await tfjs.predict(input, SIDE, SIDE);
        assert.equal(a.length, SIDE * SIDE * scale * scale * 3, `x${scale}: output size`);
        assert.equal(a.length, b.length);
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        // Float32 sums in another order: well under one 8-bit level on a 0..255 scale.
        assert.ok(worst < 0.05, `x${scale}: largest difference ${worst}`);
      }
    });
  }

  it('the rewrite folds the upsample: no Resize in the graph, a DepthToSpace instead', async () => {
    const artifacts = (await esrganModelHandler('esrgan-slim', 4).load!()) as KerasModelArtifacts;
    const text = Buffer.from(kerasToOnnx(artifacts)).toString('latin1');
    assert.ok(text.includes('DepthToSpace') && !text.includes('Resize'));
    // ONNX Runtime takes the bytes as a model with NHWC in and out.
    const session = await ort.InferenceSession.create(kerasToOnnx(artifacts));
    assert.deepEqual([session.inputNames, session.outputNames], [['LR_nhwc'], ['SR_nhwc']]);
  });

  it('a layer the rewrite does not know is an error that names it', async () => {
    const artifacts = (await esrganModelHandler('esrgan-slim', 2).load!()) as KerasModelArtifacts & { modelTopology: { model_config: { config: { layers: { class_name: string }[] } } } };
    artifacts.modelTopology.model_config.config.layers[1]!.class_name = 'SeparableConv2D';
    assert.throws(() => kerasToOnnx(artifacts), /layer F_m1: SeparableConv2D layers are not supported/);
  });

  it('auto takes onnx where its binary loads (it does on this machine)', async () => {
    assert.equal(await resolveEngine('auto'), 'onnx');
    assert.equal(await resolveEngine('tfjs'), 'tfjs');
  });

  describe('the upscaler on either engine', () => {
    const settings: UpscaleSettings = { defaultMethod: 'esrgan', workers: 1, maxQueue: 4, maxOutputPixels: 4096 * 4096, tileSize: 24, tileOverlap: 6 };
    const limits = { decodeLimits: { maxBytes: 1 << 24, maxPixels: 1 << 24 } };
    const onnx = createUpscaler({ ...settings, engine: 'onnx' }, limits);
    const tfjs = createUpscaler({ ...settings, engine: 'tfjs' }, limits);
    after(() => Promise.all([onnx.close(), tfjs.close()]));

    it('gives the same picture, tiles and all, and says which engine ran', async () => {
      const image = await scenePng(40, 32);
      const [a, b] = await Promise.all([onnx.upscale({ image, scale: 3 }), tfjs.upscale({ image, scale: 3 })]);
      assert.deepEqual([a.model, b.model], ['esrgan-slim x3 (onnx)', 'esrgan-slim x3 (tfjs)']);
      const [pa, pb] = await Promise.all([rgbOf(a.image.bytes), rgbOf(b.image.bytes)]);
      assert.deepEqual([pa.width, pa.height], [120, 96]);
      const agreement = psnr(pa.data, pb.data);
      assert.ok(agreement > 50, `onnx vs tfjs: ${agreement.toFixed(1)} dB`);
    });
  });

  it('upscale.engine is one of auto, onnx, tfjs', () => {
    assert.equal(parseConfig({}).upscale.engine, 'auto');
    assert.equal(parseConfig({ upscale: { engine: 'tfjs' } }).upscale.engine, 'tfjs');
    assert.throws(() => parseConfig({ upscale: { engine: 'cuda' } }), (error: unknown) => error instanceof ConfigError && /upscale\.engine/.test(error.message));
  });
});
