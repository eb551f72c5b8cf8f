/**
 * ComfyUI's dialect: KSampler's `sampler_name` and `scheduler` spellings (comfy/samplers.py,
 * KSAMPLER_NAMES + SAMPLER_NAMES, SCHEDULER_HANDLERS) and the input ranges nodes.py declares.
 * A server may lack a name (lists grow between versions); the provider checks the server's own
 * lists from /object_info/KSampler before sending.
 */
import type { Dialect } from '../dialect.ts';

export const COMFYUI_DIALECT: Dialect = {
  name: 'ComfyUI',
  knobs: ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'],
  samplers: {
    euler: 'euler',
    euler_a: 'euler_ancestral',
    heun: 'heun',
    lms: 'lms',
    dpm2: 'dpm_2',
    dpm2_a: 'dpm_2_ancestral',
    dpmpp_2s_a: 'dpmpp_2s_ancestral',
    dpmpp_sde: 'dpmpp_sde',
    dpmpp_2m: 'dpmpp_2m',
    dpmpp_2m_sde: 'dpmpp_2m_sde',
    dpmpp_2m_sde_gpu: 'dpmpp_2m_sde_gpu',
    dpmpp_2m_sde_heun: 'dpmpp_2m_sde_heun',
    dpmpp_3m_sde: 'dpmpp_3m_sde',
    dpm_fast: 'dpm_fast',
    dpm_adaptive: 'dpm_adaptive',
    ddim: 'ddim',
    unipc: 'uni_pc',
    lcm: 'lcm',
    deis: 'deis',
    ipndm: 'ipndm',
    ipndm_v: 'ipndm_v',
    res_multistep: 'res_multistep',
    er_sde: 'er_sde',
    euler_cfg_pp: 'euler_cfg_pp',
    euler_a_cfg_pp: 'euler_ancestral_cfg_pp',
    gradient_estimation: 'gradient_estimation',
  },
  schedulers: {
    normal: 'normal',
    karras: 'karras',
    exponential: 'exponential',
    sgm_uniform: 'sgm_uniform',
    simple: 'simple',
    beta: 'beta',
    kl_optimal: 'kl_optimal',
    ddim_uniform: 'ddim_uniform',
    linear_quadratic: 'linear_quadratic',
  },
  // KSampler: steps 1..10000, cfg 0..100, denoise 0..1; EmptyLatentImage: 16..16384, step 8.
  steps: { min: 1, max: 10000 },
  cfgScale: { min: 0, max: 100 },
  strength: { min: 0, max: 1 },
  size: { multipleOf: 8, min: 16, max: 16384 },
};
