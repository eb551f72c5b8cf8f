/**
 * The SDAPI dialects: AUTOMATIC1111 (and its forks Forge and SD.Next) and stable-diffusion.cpp's
 * sd-server speak the same routes with different names and limits. Which table applies is the
 * provider's `flavor` setting (or what discovery detects).
 */
import type { Knob } from '../../imagegen/index.ts';
import type { Dialect } from '../dialect.ts';

export type SdapiFlavor = 'a1111' | 'sdcpp';

const ALL_KNOBS: readonly Knob[] = ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'];

/** A1111 v1.9+: sampler labels and scheduler names as `sampler_name` / `scheduler` take them. */
const A1111: Dialect = {
  name: 'A1111',
  knobs: ALL_KNOBS,
  samplers: {
    euler: 'Euler',
    euler_a: 'Euler a',
    heun: 'Heun',
    lms: 'LMS',
    dpm2: 'DPM2',
    dpm2_a: 'DPM2 a',
    dpmpp_2s_a: 'DPM++ 2S a',
    dpmpp_sde: 'DPM++ SDE',
    dpmpp_2m: 'DPM++ 2M',
    dpmpp_2m_sde: 'DPM++ 2M SDE',
    dpmpp_2m_sde_heun: 'DPM++ 2M SDE Heun',
    dpmpp_3m_sde: 'DPM++ 3M SDE',
    dpm_fast: 'DPM fast',
    dpm_adaptive: 'DPM adaptive',
    restart: 'Restart',
    ddim: 'DDIM',
    ddim_cfg_pp: 'DDIM CFG++',
    plms: 'PLMS',
    unipc: 'UniPC',
    lcm: 'LCM',
  },
  schedulers: {
    normal: 'normal',
    karras: 'karras',
    exponential: 'exponential',
    sgm_uniform: 'sgm_uniform',
    simple: 'simple',
    beta: 'beta',
    kl_optimal: 'kl_optimal',
    ays: 'align_your_steps',
    ddim_uniform: 'ddim',
    uniform: 'uniform',
    polyexponential: 'polyexponential',
  },
  // The API checks no bounds; these keep a request from tying up the GPU for an hour.
  steps: { min: 1, max: 150 },
  cfgScale: { min: 0, max: 30 },
  strength: { min: 0, max: 1 },
  size: { multipleOf: 8, min: 64, max: 2048 },
};

/** stable-diffusion.cpp's native names (src/stable-diffusion.cpp name tables): sd-server's sdapi route and its /v1 sd_cpp_extra_args read the same. */
export const SDCPP_SAMPLERS: Dialect['samplers'] = {
  euler: 'euler',
  euler_a: 'euler_a',
  heun: 'heun',
  dpm2: 'dpm2',
  dpmpp_2s_a: 'dpm++2s_a',
  dpmpp_2m: 'dpm++2m',
  dpmpp_2m_v2: 'dpm++2mv2',
  dpmpp_2m_sde: 'dpm++2m_sde',
  dpmpp_2m_sde_gpu: 'dpm++2m_sde_bt',
  ipndm: 'ipndm',
  ipndm_v: 'ipndm_v',
  lcm: 'lcm',
  ddim: 'ddim_trailing',
  tcd: 'tcd',
  res_multistep: 'res_multistep',
  res_2s: 'res_2s',
  er_sde: 'er_sde',
  euler_cfg_pp: 'euler_cfg_pp',
  euler_a_cfg_pp: 'euler_a_cfg_pp',
  gradient_estimation: 'euler_ge',
  lms: 'lms',

};

export const SDCPP_SCHEDULERS: Dialect['schedulers'] = {
  normal: 'discrete',
  karras: 'karras',
  exponential: 'exponential',
  ays: 'ays',
  gits: 'gits',
  sgm_uniform: 'sgm_uniform',
  simple: 'simple',
  smoothstep: 'smoothstep',
  kl_optimal: 'kl_optimal',
  lcm: 'lcm',
  beta: 'beta',

};

/**
 * sd-server: native names, matched case-sensitively; a name it does not know is silently ignored,
 * so only names from this table are ever sent. `batch_size` is clamped to 8 and steps to 1..100
 * by the server, so n is split (SDAPI_MAX_IMAGES_PER_CALL) and steps are clamped here, with a warning.
 */
const SDCPP: Dialect = {
  name: 'sd.cpp',
  knobs: ALL_KNOBS,
  samplers: SDCPP_SAMPLERS,

  schedulers: SDCPP_SCHEDULERS,

  steps: { min: 1, max: 100 },
  cfgScale: { min: 0, max: 30 },
  strength: { min: 0, max: 1 },
  size: { multipleOf: 8, min: 64, max: 2048 },
};

export const SDAPI_DIALECTS: Record<SdapiFlavor, Dialect> = { a1111: A1111, sdcpp: SDCPP };

/** Most images one call makes: sd.cpp clamps batch_count to 8; A1111 has no cap, but VRAM does. */
export const SDAPI_MAX_IMAGES_PER_CALL: Record<SdapiFlavor, number> = { a1111: 8, sdcpp: 8 };

/**
 * A1111 before 1.9 has no `scheduler` field: the schedule is part of the sampler's label
 * ("DPM++ 2M Karras"). The suffix for each A1111 scheduler name that had such labels.
 */
const LEGACY_A1111_SUFFIX: Record<string, string> = { karras: 'Karras', exponential: 'Exponential' };

/** The pre-1.9 combined label for a sampler + scheduler, or undefined where none can exist. */
export function legacyA1111SamplerName(sampler: string, scheduler: string): string | undefined {
  const suffix = LEGACY_A1111_SUFFIX[scheduler];
  return suffix ? `${sampler} ${suffix}` : undefined;
}
