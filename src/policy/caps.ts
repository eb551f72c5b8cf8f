/** Per-request caps, as a table: which cap, which wire parameter, which value of the request. */
import { invalidRequest, type Request } from '../imagegen/index.ts';
import type { CapsConfig } from '../config/index.ts';

interface CapRule {
  cap: keyof CapsConfig;
  param: string;
  label: string;
  value(request: Request): number | undefined;
}

const REQUEST_CAPS: CapRule[] = [
  { cap: 'n', param: 'n', label: 'n', value: (r) => r.n },
  { cap: 'width', param: 'size', label: 'width', value: (r) => r.size?.width },
  { cap: 'height', param: 'size', label: 'height', value: (r) => r.size?.height },
  { cap: 'pixels', param: 'size', label: 'pixels (width x height)', value: (r) => r.size && r.size.width * r.size.height },
  { cap: 'steps', param: 'steps', label: 'steps', value: (r) => r.steps },
  { cap: 'prompt_chars', param: 'prompt', label: 'prompt length', value: (r) => r.prompt.length },
];

function over(rule: Pick<CapRule, 'cap' | 'param' | 'label'>, value: number, limit: number) {
  return invalidRequest(`${rule.label} is ${value}; the cap is ${limit} (caps.${rule.cap})`, rule.param);
}

/** Throws invalid_request (400) naming the parameter and the cap. Unset knobs are not capped. */
export function checkCaps(request: Request, caps: CapsConfig): void {
  for (const rule of REQUEST_CAPS) {
    const limit = caps[rule.cap];
    const value = rule.value(request);
    if (limit !== undefined && value !== undefined && value > limit) throw over(rule, value, limit);
  }
}

/** For the upscale route: the output image's pixels against `caps.upscale_pixels`. */
export function checkUpscaleCap(output: { width: number; height: number }, caps: CapsConfig, param = 'scale'): void {
  const limit = caps.upscale_pixels;
  const value = output.width * output.height;
  if (limit !== undefined && value > limit) throw over({ cap: 'upscale_pixels', param, label: `output pixels (${output.width}x${output.height})` }, value, limit);
}
