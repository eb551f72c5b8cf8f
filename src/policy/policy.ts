/**
 * The gateway's duties around the router, in the order of DESIGN.md: before, tenant -> caps ->
 * prompt safety -> quota reserve; after, image safety -> quota commit/refund -> usage record.
 * The usage record is written (durably) before the result is handed back, so every answer that
 * leaves has its record.
 *
 * While the image classifier is still loading, a request waits for it (up to
 * `policy.safety.image.load_wait_ms`). If it is not ready by then or failed to load, `strict`
 * fails closed (429 overloaded, nothing charged) and `moderate` delivers with a warning that the
 * images were not checked.
 */
import { randomUUID } from 'node:crypto';
import { ImagegenError, megapixels, type Request, type Result, type Size, type Warning } from '../imagegen/index.ts';
import type { Config, SafetyLevel } from '../config/index.ts';
import type { Store, UsageRecord } from '../store/index.ts';
import { checkCaps } from './caps.ts';
import { verifyKey } from './keys.ts';
import { imageCost } from './prices.ts';
import { reserve, settle, ZERO, type Amounts, type Reservation } from './quota.ts';
import { effectiveLevel } from './safety/levels.ts';
import { imageClassifier, imageVerdict, type ImageClassifier, type NsfwScores } from './safety/image.ts';
import { createModerator, type Moderator } from './safety/moderation.ts';
import { blockingFindings, checkPrompt, type Finding } from './safety/prompt.ts';
import { OPEN_TENANT_ID, tenantsFromConfig, type Tenant, type Tenants } from './tenants.ts';
import { localDay } from './windows.ts';

/** Who is asking: set by the HTTP auth middleware, or the open tenant when none is configured. */
export interface Principal {
  tenant: Tenant;
  keyId?: string;
}

export interface AdmitInput {
  /** The model id as the caller named it (or the default model). */
  model: string;
  /**
   * Known before routing: the first model of the chain the name resolves to (an alias's head),
   * its provider and default size, which price the reservation's estimate.
   */
  pricedModel?: string;
  provider?: string;
  defaultSize?: Size;
  request: Request;
  principal?: Principal;
  /** A level the request asks for; only stricter than the tenant's applies. */
  safety?: SafetyLevel;
  route: string;
  requestId?: string;
  signal?: AbortSignal;
  /** Told the reservation once it is taken (a job keeps it, so a replica that finds the job abandoned can refund it). */
  onReserved?: (reservation: Reservation) => Promise<void>;
}

export interface Admission {
  readonly tenant: Tenant;
  /** The router failed: refund everything, record the failure. */
  fail(error: unknown): Promise<void>;
  /** The router answered: screen the images, settle the quota, record, return what is delivered. */
  complete<R extends Result & { cached?: boolean }>(result: R): Promise<R>;
}

export interface Policy {
  readonly tenants: Tenants;
  readonly store: Store;
  /** The output-image classifier; undefined when the image filter is off. */
  readonly imageClassifier?: ImageClassifier;
  /** The principal for a bearer token; throws unauthorized. In open mode, the open tenant. */
  authenticate(bearer: string | undefined): Promise<Principal>;
  admit(input: AdmitInput): Promise<Admission>;
  /** Work that makes no new image (upscale): who asks, the tenant's caps, one ledger record, no quota. */
  admitWork(input: WorkInput): Promise<WorkAdmission>;
}

export interface WorkInput {
  principal?: Principal;
  route: string;
  /** What the ledger names as the model (the upscale method). */
  model: string;
  requestId?: string;
  /** The tenant's caps for this work; throws to refuse it. */
  check?: (tenant: Tenant) => void;
}

export interface WorkAdmission {
  readonly tenant: Tenant;
  fail(error: unknown): Promise<void>;
  complete(result: { provider?: string; images: Result['images'] }): Promise<void>;
}

export interface PolicyOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof globalThis.fetch;
  /** Replaces the nsfwjs classifier (tests of the decision logic). */
  classifier?: ImageClassifier;
}

/** Size assumed for the estimate when neither the request nor the model's defaults name one. */
const ESTIMATE_SIZE: Size = { width: 1024, height: 1024 };

export function createPolicy(config: Config, store: Store, options: PolicyOptions = {}): Policy {
  const tenants = tenantsFromConfig(config);
  const { safety, prices } = config.policy;
  const imageSafetyOn = safety.image.enabled;
  // Started now, in the background: nothing at start-up waits for it.
  const classifier = imageSafetyOn ? (options.classifier ?? imageClassifier()) : undefined;
  const moderator: Moderator | undefined = safety.moderation && createModerator(safety.moderation, options.env ?? process.env, options.fetch);

  async function authenticate(bearer: string | undefined): Promise<Principal> {
    if (tenants.open) return { tenant: tenants.get(OPEN_TENANT_ID)! };
    if (!bearer) throw new ImagegenError('unauthorized', 'an API key is required: send Authorization: Bearer <key>');
    const key = await verifyKey(store.keys, bearer);
    const tenant = key && tenants.get(key.tenant);
    if (!key || !tenant) throw new ImagegenError('unauthorized', 'the API key is not valid (unknown or revoked)');
    return { tenant, keyId: key.id };
  }

  async function moderate(level: SafetyLevel, prompt: string, signal: AbortSignal | undefined, warnings: Warning[]) {
    if (!moderator) return;
    let findings: Finding[];
    try {
      findings = await moderator(prompt, signal);
    } catch (error) {
      // A remote outage must not open the strict door; the local lists still ran for the others.
      if (level === 'strict') throw new ImagegenError('overloaded', 'the moderation service is unavailable; try again', { retryAfter: 5, cause: error });
      warnings.push({ type: 'other', setting: 'safety', message: 'the remote moderation service was unavailable; only the local prompt lists were applied' });
      return;
    }
    const blocking = blockingFindings(level, findings);
    if (blocking.length > 0) {
      throw new ImagegenError('content_blocked', `the prompt was blocked by the moderation service (category: ${blocking[0]!.category}, level: ${level})`, {
        param: 'prompt',
      });
    }
  }

  function principalOf(principal: Principal | undefined): Principal {
    const found = principal ?? (tenants.open ? { tenant: tenants.get(OPEN_TENANT_ID)! } : undefined);
    if (!found) throw new ImagegenError('unauthorized', 'an API key is required');
    return found;
  }

  /** One usage record per request, written before the answer leaves. */
  function ledger(principal: Principal, input: { route: string; requestId?: string }) {
    const started = performance.now();
    const at = new Date();
    const { tenant } = principal;
    // With the request's reservation, the record is written in the same commit as its settlement.
    return (fields: { model: string; provider?: string; delivered: Amounts; cached: boolean; status: string }, reservation?: Reservation) => {
      const usage: UsageRecord = {
        id: randomUUID(),
        at,
        day: localDay(at, tenant.timeZone),
        tenant: tenant.id,
        ...(principal.keyId !== undefined && { keyId: principal.keyId }),
        ...(input.requestId !== undefined && { requestId: input.requestId }),
        route: input.route,
        model: fields.model,
        ...(fields.provider !== undefined && { provider: fields.provider }),
        images: fields.delivered.images,
        megapixels: fields.delivered.megapixels,
        cached: fields.cached,
        cost: fields.delivered.cost,
        status: fields.status,
        latencyMs: performance.now() - started,
      };
      return reservation ? settle(store, reservation, fields.delivered, usage) : store.usage.record(usage);
    };
  }

  async function admitWork(input: WorkInput): Promise<WorkAdmission> {
    const principal = principalOf(input.principal);
    const record = ledger(principal, input);
    try {
      input.check?.(principal.tenant);
    } catch (error) {
      await record({ model: input.model, delivered: ZERO, cached: false, status: statusOf(error) });
      throw error;
    }
    return {
      tenant: principal.tenant,
      fail: (error) => record({ model: input.model, delivered: ZERO, cached: false, status: statusOf(error) }),
      complete: ({ provider, images }) =>
        record({ model: input.model, provider, delivered: { images: images.length, megapixels: megapixels(images), cost: 0 }, cached: false, status: 'ok' }),
    };
  }

  async function admit(input: AdmitInput): Promise<Admission> {
    const principal = principalOf(input.principal);
    const { tenant } = principal;
    const level = effectiveLevel(tenant.safety, input.safety);
    const warnings: Warning[] = [];
    // A caller may tighten its tenant's level, never loosen it; say so rather than ignore the ask.
    if (input.safety !== undefined && input.safety !== level) {
      warnings.push({ type: 'changed', setting: 'safety', message: `safety "${input.safety}" is below tenant ${tenant.id}'s floor; "${level}" was applied` });
    }

    const record = ledger(principal, input);
    let reservation: Reservation;
    try {
      if (tenant.models && !tenant.models.has(input.model)) {
        throw new ImagegenError('forbidden', `tenant ${tenant.id} may not use model "${input.model}"`, { param: 'model' });
      }
      checkCaps(input.request, tenant.caps);
      checkPrompt(level, input.request.prompt);
      await moderate(level, input.request.prompt, input.signal, warnings);
      const size = input.request.size ?? input.defaultSize ?? ESTIMATE_SIZE;
      const n = input.request.n;
      const perImage = input.provider ? imageCost(prices, { provider: input.provider, model: input.pricedModel ?? input.model, ...size, quality: qualityOf(input.request, input.provider) }) : 0;
      reservation = await reserve(store, tenant, { images: n, megapixels: (n * size.width * size.height) / 1e6, cost: n * perImage });
    } catch (error) {
      await record({ model: input.model, delivered: ZERO, cached: false, status: statusOf(error) });
      throw error;
    }
    const fail = (error: unknown) => record({ model: input.model, delivered: ZERO, cached: false, status: statusOf(error) }, reservation);
    try {
      await input.onReserved?.(reservation);
    } catch (error) {
      await fail(error);
      throw error;
    }

    return {
      tenant,
      fail,
      async complete(result) {
        let screened: { images: Result['images']; warnings: Warning[] };
        try {
          screened = await screenImages(result, level);
        } catch (error) {
          await fail(error);
          throw error;
        }
        const images = screened.images;
        const cached = result.cached === true;
        const delivered: Amounts = {
          images: images.length,
          megapixels: megapixels(images),
          // A cache hit cost the backend nothing: a zero-cost record.
          cost: cached
            ? 0
            : images.reduce(
                (sum, image) =>
                  sum +
                  imageCost(prices, {
                    provider: result.provider,
                    model: result.model,
                    width: image.width ?? 0,
                    height: image.height ?? 0,
                    quality: qualityOf(input.request, result.provider),
                  }),
                0,
              ),
        };
        await record({ model: result.model, provider: result.provider, delivered, cached, status: 'ok' }, reservation);
        return {
          ...result,
          images,
          warnings: [...result.warnings, ...warnings, ...screened.warnings],
          usage: { ...result.usage, images: delivered.images, megapixels: delivered.megapixels },
        };
      },
    };
  }

  /** Withhold the images the level refuses; all withheld is a 422 content_blocked. */
  async function screenImages(result: Result, level: SafetyLevel): Promise<{ images: Result['images']; warnings: Warning[] }> {
    if (!classifier || level === 'off' || result.images.length === 0) return { images: result.images, warnings: [] };
    // Not ready, dead, or failing on an image: strict refuses (nothing charged), moderate
    // delivers with a warning that the images were not checked.
    const unchecked = (why: string) => {
      if (level === 'strict') throw new ImagegenError('overloaded', `the image safety filter is ${why}; try again shortly`, { retryAfter: 5 });
      return { images: result.images, warnings: [{ type: 'other' as const, setting: 'safety', message: `the image safety filter is ${why}; images were not checked` }] };
    };
    if (!(await classifier.ready(safety.image.load_wait_ms))) return unchecked(classifier.state === 'loading' ? 'still loading' : 'unavailable');
    let scores: NsfwScores[];
    try {
      scores = await Promise.all(result.images.map((image) => classifier.classify(image.bytes)));
    } catch {
      return unchecked('unavailable');
    }
    const images: Result['images'] = [];
    const warnings: Warning[] = [];
    for (const [index, image] of result.images.entries()) {
      const verdict = imageVerdict(level, scores[index]!, safety.image);
      if (verdict === undefined) images.push(image);
      else warnings.push({ type: 'partial', setting: 'safety', message: `image ${index + 1} of ${result.images.length} was withheld by the image safety filter (${verdict}, level ${level}); it is not charged` });
    }
    if (images.length === 0) {
      throw new ImagegenError('content_blocked', `every image was withheld by the image safety filter (level ${level}); nothing is charged`, {
        details: { withheld: result.images.length },
      });
    }
    return { images, warnings };
  }

  return { tenants, store, imageClassifier: classifier, authenticate, admit, admitWork };
}

const statusOf = (error: unknown) => (error instanceof ImagegenError ? error.code : 'error');

/** A `quality` knob reaches a backend through its provider options (OpenAI's `quality`). */
function qualityOf(request: Request, provider: string): string | undefined {
  const quality = request.providerOptions?.[provider]?.quality;
  return typeof quality === 'string' ? quality : undefined;
}
