/** The `type: replicate` entry of the config file (snake_case) -> createReplicateProvider settings. */
import { z } from 'zod';
import { HTTP_PROVIDER_FIELDS, httpProviderSettings } from '../provider-config.ts';
import type { ProviderType } from '../registry.ts';
import { createReplicateProvider } from './replicate-provider.ts';

const ReplicateConfig = z
  .object({
    type: z.literal('replicate'),
    ...HTTP_PROVIDER_FIELDS,
    wait_seconds: z.number().int().min(1).max(60).optional(),
    poll_interval_ms: z.number().int().min(10).optional(),
    /** Hosts outputs may be downloaded from; `*.example` for subdomains, `http://host:port` for an exact origin. */
    output_hosts: z.array(z.string().min(1)).min(1).optional(),
    max_output_mb: z.number().positive().optional(),
    outputs_per_prediction: z.number().int().min(1).max(4).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    model_schemas: z.record(z.string(), z.enum(['sdxl', 'flux'])).optional(),
  })
  .strict();

export const replicateProviderType: ProviderType<z.infer<typeof ReplicateConfig>> = {
  settings: ReplicateConfig,
  create: (settings, context) =>
    createReplicateProvider({
      ...httpProviderSettings(settings, context),
      waitSeconds: settings.wait_seconds,
      pollIntervalMs: settings.poll_interval_ms,
      outputHosts: settings.output_hosts,
      maxOutputBytes: settings.max_output_mb !== undefined ? Math.round(settings.max_output_mb * 1024 * 1024) : undefined,
      outputsPerPrediction: settings.outputs_per_prediction,
      concurrency: settings.concurrency,
      modelSchemas: settings.model_schemas,
    }),
};
