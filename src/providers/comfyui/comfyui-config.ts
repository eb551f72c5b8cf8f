/** The `type: comfyui` entry of the config file (snake_case) -> createComfyUIProvider settings. */
import { z } from 'zod';
import { ConfigError } from '../../config/index.ts';
import { HTTP_PROVIDER_FIELDS, httpProviderSettings } from '../provider-config.ts';
import type { ProviderType } from '../registry.ts';
import { createComfyUIProvider } from './comfyui-provider.ts';
import { readWorkflowFile } from './comfyui-workflow.ts';
import type { ComfyUIWorkflowSet } from './index.ts';

const ComfyUIConfig = z
  .object({
    type: z.literal('comfyui'),
    ...HTTP_PROVIDER_FIELDS,
    request_timeout_ms: z.number().int().positive().optional(),
    poll_interval_ms: z.number().int().positive().optional(),
    discovery_ttl_ms: z.number().int().min(0).optional(),
    /** Model id -> workflow files (API format JSON) per mode. */
    workflows: z
      .record(
        z.string(),
        z.object({ txt2img: z.string().optional(), img2img: z.string().optional(), inpaint: z.string().optional(), checkpoint: z.string().optional() }).strict(),
      )
      .optional(),
  })
  .strict();

export const comfyuiProviderType: ProviderType<z.infer<typeof ComfyUIConfig>> = {
  settings: ComfyUIConfig,
  create: (settings, context) => {
    // Workflow files are read and checked at start, so a broken graph fails the config, not a request.
    try {
      const workflows: Record<string, ComfyUIWorkflowSet> = {};
      for (const [id, files] of Object.entries(settings.workflows ?? {})) {
        const read = (path: string | undefined) => (path === undefined ? undefined : readWorkflowFile(path));
        workflows[id] = { txt2img: read(files.txt2img), img2img: read(files.img2img), inpaint: read(files.inpaint), checkpoint: files.checkpoint };
      }
      return createComfyUIProvider({
        ...httpProviderSettings(settings, context),
        requestTimeoutMs: settings.request_timeout_ms,
        pollIntervalMs: settings.poll_interval_ms,
        discoveryTtlMs: settings.discovery_ttl_ms,
        workflows,
      });
    } catch (error) {
      throw new ConfigError(`providers.${context.name}.workflows: ${(error as Error).message}`);
    }
  },
};
