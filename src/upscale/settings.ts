/** The config's `upscale` section as the upscaler's settings. */
import { ConfigError, type Config } from '../config/index.ts';
import { sdapiAuth, sdapiProviderType } from '../providers/sdapi/sdapi-config.ts';
import { sdapiHeaders } from '../providers/sdapi/sdapi-provider.ts';
import type { UpscaleSettings } from './upscaler.ts';

export function upscaleSettingsFrom(config: Config, env: NodeJS.ProcessEnv = process.env): UpscaleSettings {
  const section = config.upscale;
  const settings: UpscaleSettings = {
    defaultMethod: section.default_method,
    engine: section.engine,
    workers: section.workers,
    maxQueue: section.max_queue,
    maxOutputPixels: section.max_output_pixels,
    tileSize: section.tile_size,
    tileOverlap: section.tile_overlap,
  };
  if (section.provider) {
    const name = section.provider.provider;
    const entry = config.providers[name];
    if (!entry) {
      throw new ConfigError(`upscale.provider.provider: no provider named "${name}" (known: ${Object.keys(config.providers).join(', ') || 'none'})`);
    }
    const sdapi = entry.type === 'sdapi' ? sdapiProviderType.settings.safeParse(entry) : undefined;
    if (!sdapi?.success || !sdapi.data.base_url) {
      throw new ConfigError(`upscale.provider.provider: "${name}" must be a provider of type sdapi with a base_url (an A1111 or Forge server)`);
    }
    const auth = sdapiAuth(sdapi.data, env, name);
    settings.provider = {
      name,
      baseURL: sdapi.data.base_url,
      upscaler: section.provider.upscaler,
      timeoutMs: section.provider.timeout_ms,
      // The same credentials as the provider's own calls (A1111's --api-auth, a proxy's key).
      headers: () => sdapiHeaders(auth),
    };
  }
  if (section.default_method === 'provider' && !settings.provider) {
    throw new ConfigError('upscale.default_method: "provider" needs upscale.provider');
  }
  return settings;
}
