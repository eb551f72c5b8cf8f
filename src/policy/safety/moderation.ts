/**
 * The optional remote prompt classifier: an OpenAI-compatible POST /v1/moderations. Its
 * categories map onto ours; the level table then decides, as for the local lists.
 */
import { ImagegenError } from '../../imagegen/index.ts';
import type { SafetyConfig } from '../../config/index.ts';
import type { Category, Tier } from './levels.ts';
import type { Finding } from './prompt.ts';

/** OpenAI's moderation categories as ours; unlisted ones are ignored. */
const REMOTE_CATEGORY: Record<string, [Category, Tier]> = {
  'sexual/minors': ['sexual_minors', 'explicit'],
  sexual: ['sexual', 'explicit'],
  hate: ['hate', 'explicit'],
  'hate/threatening': ['hate', 'explicit'],
  harassment: ['hate', 'mild'],
  'harassment/threatening': ['hate', 'mild'],
  violence: ['violence', 'mild'],
  'violence/graphic': ['violence', 'explicit'],
  'self-harm': ['self_harm', 'mild'],
  'self-harm/intent': ['self_harm', 'mild'],
  'self-harm/instructions': ['self_harm', 'mild'],
};

export type Moderator = (prompt: string, signal?: AbortSignal) => Promise<Finding[]>;

export function createModerator(
  settings: NonNullable<SafetyConfig['moderation']>,
  env: NodeJS.ProcessEnv,
  fetchFn: typeof globalThis.fetch = globalThis.fetch,
): Moderator {
  return async (prompt, signal) => {
    const apiKey = settings.api_key_env ? env[settings.api_key_env] : undefined;
    const timeout = AbortSignal.timeout(settings.timeout_ms);
    let body: { results?: { categories?: Record<string, boolean> }[] };
    try {
      const response = await fetchFn(settings.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
        body: JSON.stringify({ model: settings.model, input: prompt }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new ImagegenError('provider_error', `the moderation endpoint failed: ${(error as Error).message}`, { provider: 'moderation', cause: error });
    }
    const findings: Finding[] = [];
    for (const [name, flagged] of Object.entries(body.results?.[0]?.categories ?? {})) {
      const mapped = REMOTE_CATEGORY[name];
      if (flagged && mapped) findings.push({ category: mapped[0], tier: mapped[1], term: `moderation:${name}` });
    }
    return findings;
  };
}
