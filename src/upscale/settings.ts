/** The config's `upscale` section as the upscaler's settings. */
import { ConfigError, type Config } from '../config/index.ts';
import type { UpscaleSettings } from './upscaler.ts';

export function upscaleSettingsFrom(config: Config): UpscaleSettings {
  const section = config.upscale;
  const settings: UpscaleSettings = {
    defaultMethod: section.default_method,
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
    if (typeof entry.base_url !== 'string') {
      throw new ConfigError(`upscale.provider.provider: provider "${name}" has no base_url; the provider method needs an SDAPI server`);
    }
    settings.provider = { name, baseURL: entry.base_url, upscaler: section.provider.upscaler, timeoutMs: section.provider.timeout_ms };
  }
  if (section.default_method === 'provider' && !settings.provider) {
    throw new ConfigError('upscale.default_method: "provider" needs upscale.provider');
  }
  return settings;
}
