/**
 * The canonical knob vocabulary: sampler and scheduler names every door accepts, and the spellings
 * of each backend that map to them. A caller may write "DPM++ 2M Karras", "k_euler_a", "dpm++2m",
 * "euler_ancestral" or "DPMSolverMultistep"; inside the service there is one name for each.
 */
import { invalidRequest } from '../imagegen/index.ts';

/** Canonical sampler -> other spellings (A1111 labels, ComfyUI, sd.cpp, diffusers, Replicate). */
export const SAMPLER_ALIASES = {
  euler: ['Euler', 'k_euler', 'K_EULER', 'EulerDiscrete', 'EulerDiscreteScheduler'],
  euler_a: ['Euler a', 'euler_ancestral', 'k_euler_a', 'k_euler_ancestral', 'K_EULER_ANCESTRAL', 'EulerAncestralDiscrete', 'EulerAncestralDiscreteScheduler'],
  heun: ['Heun', 'k_heun', 'HeunDiscrete', 'HeunDiscreteScheduler'],
  lms: ['LMS', 'k_lms', 'LMSDiscrete', 'LMSDiscreteScheduler'],
  dpm2: ['DPM2', 'dpm_2', 'k_dpm_2', 'KDPM2Discrete', 'KDPM2DiscreteScheduler'],
  dpm2_a: ['DPM2 a', 'dpm_2_ancestral', 'k_dpm_2_a', 'k_dpm_2_ancestral', 'KDPM2AncestralDiscrete', 'KDPM2AncestralDiscreteScheduler'],
  dpmpp_2s_a: ['DPM++ 2S a', 'dpmpp_2s_ancestral', 'dpm++2s_a', 'k_dpmpp_2s_a', 'k_dpmpp_2s_ancestral'],
  dpmpp_sde: ['DPM++ SDE', 'dpmpp_sde_gpu', 'k_dpmpp_sde'],
  dpmpp_2m: ['DPM++ 2M', 'dpm++2m', 'k_dpmpp_2m', 'DPMSolverMultistep', 'DPMSolverMultistepScheduler'],
  // Two real samplers each, never folded into the plain ones: sd.cpp's revised 2M, and the
  // brownian-tree-noise 2M SDE (ComfyUI's `_gpu`, sd.cpp's `_bt`; sd.cpp's own alias table maps
  // "dpm++ 2m sde gpu" to dpm++2m_sde_bt).
  dpmpp_2m_v2: ['DPM++ 2M V2', 'dpm++2mv2'],
  dpmpp_2m_sde: ['DPM++ 2M SDE', 'dpm++2m_sde', 'k_dpmpp_2m_sde'],
  dpmpp_2m_sde_gpu: ['DPM++ 2M SDE GPU', 'dpm++2m_sde_bt', 'dpm++ 2m sde gpu'],
  dpmpp_2m_sde_heun: ['DPM++ 2M SDE Heun', 'dpmpp_2m_sde_heun_gpu'],
  dpmpp_3m_sde: ['DPM++ 3M SDE', 'dpmpp_3m_sde_gpu'],
  dpm_fast: ['DPM fast'],
  dpm_adaptive: ['DPM adaptive'],
  ddim: ['DDIM', 'ddim_trailing', 'DDIMScheduler'],
  plms: ['PLMS', 'pndm', 'PNDM', 'PNDMScheduler'],
  unipc: ['UniPC', 'uni_pc', 'uni_pc_bh2', 'UniPCMultistep', 'UniPCMultistepScheduler'],
  lcm: ['LCM', 'LCMScheduler'],
  deis: ['DEISMultistep', 'DEISMultistepScheduler'],
  ipndm: [],
  ipndm_v: [],
  res_multistep: ['res multistep'],
  res_2s: ['res 2s'],
  er_sde: [],
  euler_cfg_pp: [],
  euler_a_cfg_pp: ['euler_ancestral_cfg_pp'],
  gradient_estimation: ['euler_ge'],
  tcd: ['TCDScheduler'],
  restart: ['Restart'],
  ddim_cfg_pp: ['DDIM CFG++'],
} as const satisfies Record<string, readonly string[]>;

/** Canonical scheduler -> other spellings. */
export const SCHEDULER_ALIASES = {
  automatic: ['Automatic', 'default', 'auto'],
  normal: ['Normal', 'discrete'],
  karras: ['Karras'],
  exponential: ['Exponential'],
  sgm_uniform: ['SGM Uniform', 'SGMUniform'],
  simple: ['Simple'],
  beta: ['Beta'],
  kl_optimal: ['KL Optimal'],
  ays: ['align_your_steps', 'Align Your Steps'],
  ddim_uniform: ['DDIM Uniform', 'ddim'],
  uniform: ['Uniform'],
  polyexponential: ['Polyexponential'],
  linear_quadratic: ['Linear Quadratic'],
  lcm: ['LCM'],
  gits: [],
  smoothstep: [],
} as const satisfies Record<string, readonly string[]>;

export type Sampler = keyof typeof SAMPLER_ALIASES;
export type Scheduler = keyof typeof SCHEDULER_ALIASES;

export const SAMPLERS = Object.keys(SAMPLER_ALIASES) as Sampler[];
export const SCHEDULERS = Object.keys(SCHEDULER_ALIASES) as Scheduler[];

/** Spelling-insensitive key: case, spaces, dashes and underscores ignored, "++" read as "pp". */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/\+\+/g, 'pp').replace(/[^a-z0-9]/g, '');
}

function lookupTable<T extends string>(aliases: Record<T, readonly string[]>): Map<string, T> {
  const table = new Map<string, T>();
  for (const [canonical, others] of Object.entries(aliases) as [T, readonly string[]][]) {
    for (const spelling of [canonical, ...others]) table.set(nameKey(spelling), canonical);
  }
  return table;
}

const SAMPLER_BY_KEY = lookupTable<Sampler>(SAMPLER_ALIASES);
const SCHEDULER_BY_KEY = lookupTable<Scheduler>(SCHEDULER_ALIASES);

/**
 * Legacy combined names ("DPM++ 2M Karras", A1111 before 1.9; "KarrasDPM", Replicate) carry a
 * scheduler: the suffix (or prefix) is split off.
 */
const COMBINED_SCHEDULERS: [RegExp, Scheduler][] = [
  [/\s+karras$/i, 'karras'],
  [/\s+exponential$/i, 'exponential'],
  [/\s+sgm\s*uniform$/i, 'sgm_uniform'],
];
const COMBINED_NAMES: Record<string, { sampler: Sampler; scheduler: Scheduler }> = {
  [nameKey('KarrasDPM')]: { sampler: 'dpmpp_2m', scheduler: 'karras' },
};

export interface SamplerChoice {
  sampler: Sampler;
  /** Set when the name carried a scheduler ("DPM++ 2M Karras"). */
  scheduler?: Scheduler;
}

export function parseSampler(name: string): SamplerChoice {
  const direct = SAMPLER_BY_KEY.get(nameKey(name));
  if (direct) return { sampler: direct };
  const combined = COMBINED_NAMES[nameKey(name)];
  if (combined) return combined;
  for (const [suffix, scheduler] of COMBINED_SCHEDULERS) {
    if (!suffix.test(name)) continue;
    const sampler = SAMPLER_BY_KEY.get(nameKey(name.replace(suffix, '')));
    if (sampler) return { sampler, scheduler };
  }
  throw invalidRequest(`unknown sampler "${name}"; known samplers: ${SAMPLERS.join(', ')}`, 'sampler');
}

export function parseScheduler(name: string): Scheduler {
  const scheduler = SCHEDULER_BY_KEY.get(nameKey(name));
  if (!scheduler) throw invalidRequest(`unknown scheduler "${name}"; known schedulers: ${SCHEDULERS.join(', ')}`, 'scheduler');
  return scheduler;
}
