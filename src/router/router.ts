/**
 * The router: resolve the model a request names, fill in its configured defaults, generate.
 * Fallback, cache, coalescing and queues stack here (see DESIGN.md, "How a request flows").
 */
import { withProgress, withSignal, type CallOptions, type Option, type Request, type Result } from '../imagegen/index.ts';
import type { ModelRegistry } from './registry.ts';

export interface Router {
  generate(modelId: string | undefined, request: Request, call?: CallOptions): Promise<Result>;
}

export function createRouter(registry: ModelRegistry): Router {
  return {
    async generate(modelId, request, call = {}) {
      const { info, model, defaults } = registry.resolve(modelId);
      const options: Option[] = [];
      if (call.signal) options.push(withSignal(call.signal));
      if (call.onProgress) options.push(withProgress(call.onProgress));
      const result = await model.generate({ ...defaults, ...request }, ...options);
      return { ...result, model: info.id, provider: info.provider };
    },
  };
}
