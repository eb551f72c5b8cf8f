/** A sampler a backend lists reaches it unchanged: no two real samplers share one canonical name. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SDAPI_DIALECTS } from '../../src/knobs/dialects/sdapi.ts';
import { COMFYUI_DIALECT } from '../../src/knobs/dialects/comfyui.ts';
import { normalizeKnobs, SAMPLERS, type Dialect } from '../../src/knobs/index.ts';

const sent = (sampler: string, dialect: Dialect) => normalizeKnobs({ prompt: 'p', n: 1, sampler }, dialect);

// sd-server's own list (stable-diffusion.cpp: sample_method_to_str / /sdapi/v1/samplers), as in test/fakes/sdapi-fake.ts.
const SDCPP_LISTED = ['euler', 'euler_a', 'heun', 'dpm2', 'dpm++2s_a', 'dpm++2m', 'dpm++2mv2', 'ipndm', 'ipndm_v', 'lcm', 'ddim_trailing', 'tcd', 'res_multistep', 'res_2s', 'er_sde', 'euler_cfg_pp', 'euler_a_cfg_pp', 'euler_ge', 'dpm++2m_sde', 'dpm++2m_sde_bt', 'lms'];

describe('sampler fidelity', () => {
  it('every sampler sd.cpp lists reaches it unchanged, with no warning', () => {
    for (const name of SDCPP_LISTED) {
      const { knobs, warnings } = sent(name, SDAPI_DIALECTS.sdcpp);
      assert.equal(knobs.sampler, name, name);
      assert.deepEqual(warnings, [], name);
    }
  });
  it('"DPM++ 2M SDE GPU" is sd.cpp\'s dpm++2m_sde_bt and ComfyUI\'s dpmpp_2m_sde_gpu, not the plain SDE sampler', () => {
    assert.equal(sent('DPM++ 2M SDE GPU', SDAPI_DIALECTS.sdcpp).knobs.sampler, 'dpm++2m_sde_bt');
    assert.equal(sent('dpmpp_2m_sde_gpu', COMFYUI_DIALECT).knobs.sampler, 'dpmpp_2m_sde_gpu');
    assert.equal(sent('DPM++ 2M SDE', COMFYUI_DIALECT).knobs.sampler, 'dpmpp_2m_sde');
  });
  it('a backend without the variant drops it with a warning rather than running another sampler', () => {
    const { knobs, warnings } = sent('dpm++2mv2', SDAPI_DIALECTS.a1111);
    assert.equal(knobs.sampler, undefined);
    assert.equal(warnings[0]?.setting, 'sampler');
  });
  it('no two canonical samplers send the same native name to one backend', () => {
    for (const dialect of [SDAPI_DIALECTS.sdcpp, SDAPI_DIALECTS.a1111, COMFYUI_DIALECT]) {
      const natives = SAMPLERS.map((s) => dialect.samplers?.[s]).filter(Boolean);
      assert.equal(new Set(natives).size, natives.length, dialect.name);
    }
  });
});
