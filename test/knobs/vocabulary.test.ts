import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImagegenError } from '../../src/imagegen/index.ts';
import { SAMPLER_ALIASES, SCHEDULER_ALIASES, nameKey, parseSampler, parseScheduler } from '../../src/knobs/index.ts';

describe('knob vocabulary', () => {
  it('maps backend spellings to canonical names', () => {
    const cases: [string, string, string?][] = [
      ['DPM++ 2M Karras', 'dpmpp_2m', 'karras'],
      ['DPM++ 2M', 'dpmpp_2m'],
      ['k_euler_a', 'euler_a'],
      ['Euler a', 'euler_a'],
      ['euler_ancestral', 'euler_a'],
      ['dpm++2m', 'dpmpp_2m'],
      ['DPMSolverMultistep', 'dpmpp_2m'],
      ['KarrasDPM', 'dpmpp_2m', 'karras'],
      ['K_EULER', 'euler'],
      ['dpm_2_ancestral', 'dpm2_a'],
      ['uni_pc', 'unipc'],
      ['DPM++ SDE Karras', 'dpmpp_sde', 'karras'],
    ];
    for (const [name, sampler, scheduler] of cases) {
      assert.deepEqual(parseSampler(name), scheduler ? { sampler, scheduler } : { sampler }, name);
    }
    assert.equal(parseScheduler('SGM Uniform'), 'sgm_uniform');
    assert.equal(parseScheduler('Karras'), 'karras');
    assert.equal(parseScheduler('discrete'), 'normal');
  });

  it('refuses an unknown name with a 400 that lists the known ones', () => {
    assert.throws(() => parseSampler('warp drive'), (error: unknown) => {
      assert.ok(ImagegenError.is(error, 'invalid_request'));
      assert.equal(error.param, 'sampler');
      assert.match(error.message, /known samplers: euler, euler_a/);
      return true;
    });
    assert.throws(() => parseScheduler('fancy'), (error: unknown) => ImagegenError.is(error, 'invalid_request') && error.param === 'scheduler');
  });

  it('has no spelling that means two different things', () => {
    for (const table of [SAMPLER_ALIASES, SCHEDULER_ALIASES] as Record<string, readonly string[]>[]) {
      const seen = new Map<string, string>();
      for (const [canonical, aliases] of Object.entries(table)) {
        for (const spelling of [canonical, ...aliases]) {
          const owner = seen.get(nameKey(spelling));
          assert.ok(owner === undefined || owner === canonical, `${spelling} is claimed by ${owner} and ${canonical}`);
          seen.set(nameKey(spelling), canonical);
        }
      }
    }
  });
});
