import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SAFETY_LEVELS } from '../../src/config/index.ts';
import { checkPrompt, effectiveLevel } from '../../src/policy/index.ts';
import { ImagegenError } from '../../src/imagegen/index.ts';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { matcher, mayMatchObscenity, normalise } from '../../src/policy/safety/prompt.ts';
import { BENIGN, BLOCKED, type CorpusEntry } from './prompt-corpus.ts';

/** The category a level blocks the prompt for, or undefined when it passes. */
function decide(level: (typeof SAFETY_LEVELS)[number], prompt: string): string | undefined {
  try {
    checkPrompt(level, prompt);
    return undefined;
  } catch (error) {
    assert.ok(ImagegenError.is(error, 'content_blocked'), `expected content_blocked, got ${String(error)}`);
    return (error.details as { category: string }).category;
  }
}

const tally: Record<string, { blocked: number; passed: number; benignBlocked: number }> = {};

describe('prompt safety over the corpus', () => {
  for (const level of SAFETY_LEVELS) {
    tally[level] = { blocked: 0, passed: 0, benignBlocked: 0 };
    it(`${level}: blocks what it must and passes the rest`, () => {
      const wrong: string[] = [];
      for (const entry of [...BENIGN, ...BLOCKED] as CorpusEntry[]) {
        const expected = (entry.block ?? entry.knownFalsePositive)?.[level];
        const got = decide(level, entry.prompt);
        if (got === undefined) tally[level]!.passed++;
        else tally[level]!.blocked++;
        if (got !== undefined && !entry.block) tally[level]!.benignBlocked++;
        if (got !== expected) wrong.push(`"${entry.prompt}": expected ${expected ?? 'pass'}, got ${got ?? 'pass'}`);
      }
      assert.deepEqual(wrong, []);
    });
  }

  after(() => {
    const lines = SAFETY_LEVELS.map((level) => {
      const t = tally[level]!;
      return `  ${level.padEnd(8)} blocked ${t.blocked}, passed ${t.passed}, benign false positives ${t.benignBlocked}/${BENIGN.length} (${((100 * t.benignBlocked) / BENIGN.length).toFixed(1)}%)`;
    });
    console.log(`prompt corpus: ${BENIGN.length} benign + ${BLOCKED.length} to block\n${lines.join('\n')}`);
  });

  it("obscenity's one-pass prefilter says yes wherever its matcher finds something, and no on most benign prompts", () => {
    const texts = [...BENIGN, ...BLOCKED].map((entry) => normalise(entry.prompt));
    const found = texts.filter((text) => matcher.getAllMatches(text).length > 0);
    assert.ok(found.length >= 10, `the corpus exercises the matcher (${found.length} prompts it matches)`);
    assert.deepEqual(found.filter((text) => !mayMatchObscenity(text)), [], 'missed by the prefilter');
    const benign = BENIGN.map((entry) => normalise(entry.prompt)).filter((text) => matcher.getAllMatches(text).length === 0);
    assert.ok(benign.filter((text) => !mayMatchObscenity(text)).length > benign.length / 2, 'the prefilter passes most clean prompts without the full matcher');
  });

  it('lets a request ask for stricter than its tenant, never looser', () => {
    assert.equal(effectiveLevel('moderate', 'strict'), 'strict');
    assert.equal(effectiveLevel('moderate', 'off'), 'moderate');
    assert.equal(effectiveLevel('strict', 'off'), 'strict');
    assert.equal(effectiveLevel('off', undefined), 'off');
  });
});

describe('prompt safety over HTTP', () => {
  it('answers 422 content_blocked naming the category, charges no quota, and honours a stricter request', async () => {
    const { post, engine } = await makeApp({ tenants: [{ id: 'acme', safety: 'moderate', quota: { images_per_day: 1 } }, { id: 'free', safety: 'off' }] });
    const key = await keyFor(engine, 'acme');
    const blocked = await post('/v1/generate', { prompt: 'a naked woman on a bed', size: '64x64' }, bearer(key));
    assert.equal(blocked.status, 422);
    const error = (await blocked.json()).error;
    assert.equal(error.code, 'content_blocked');
    assert.equal(error.param, 'prompt');
    assert.match(error.message, /category: sexual/);
    const stricter = await post('/v1/generate', { prompt: 'a sexy woman in lingerie', size: '64x64', safety: 'strict' }, bearer(key));
    assert.equal(stricter.status, 422);
    // Neither refusal used the one-image quota.
    assert.equal((await post('/v1/generate', { prompt: 'a sexy woman in lingerie', size: '64x64' }, bearer(key))).status, 200);
    // off still holds the floor, and asking for off changes nothing for a moderate tenant.
    const free = await keyFor(engine, 'free');
    assert.equal((await post('/v1/generate', { prompt: 'a nude child', size: '64x64' }, bearer(free))).status, 422);
    assert.equal((await post('/v1/generate', { prompt: 'a naked woman on a bed', size: '64x64' }, bearer(free))).status, 200);
    assert.equal((await post('/v1/generate', { prompt: 'a naked woman', size: '64x64', safety: 'off' }, bearer(key))).status, 422);
  });
});
