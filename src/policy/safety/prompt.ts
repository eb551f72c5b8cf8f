/**
 * Prompt safety: the obscenity matcher (profanity, slurs, sexual slang, with its own leetspeak
 * and look-alike folding) plus our category lists (prompt-lists.ts). A prompt gets a list of
 * findings; the level's table (levels.ts) decides which of them refuse it.
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import { ImagegenError } from '../../imagegen/index.ts';
import type { SafetyLevel } from '../../config/index.ts';
import { blocks, CATEGORIES, type Category, type Tier } from './levels.ts';
import { ALLOWED_PHRASES, MINOR_AGE, MINOR_SEXUAL_TERMS, MINOR_TERMS, TERM_LISTS } from './prompt-lists.ts';

export interface Finding {
  category: Category;
  tier: Tier;
  /** What matched, for the log and the error message. */
  term: string;
}

/** Obscenity's words by our category; a word not listed here counts as mild profanity. */
const OBSCENITY_CATEGORY: Record<string, [Category, Tier]> = Object.fromEntries([
  ...['anal', 'anus', 'bestiality', 'blowjob', 'buttplug', 'cock', 'cum', 'cunt', 'deepthroat', 'dick', 'dildo', 'doggystyle',
    'double penetration', 'ejaculate', 'felch', 'fellatio', 'finger bang', 'fisting', 'gangbang', 'handjob', 'hentai', 'incest',
    'jerk off', 'jizz', 'lubejob', 'masturbate', 'orgasm', 'orgy', 'penis', 'porn', 'pussy', 'rape', 'semen', 'twat', 'vagina',
    'wank'].map((w) => [w, ['sexual', 'explicit']]),
  ...['boob', 'hooker', 'sex', 'slut', 'tit', 'whore'].map((w) => [w, ['sexual', 'mild']]),
  ...['abeed', 'abo', 'africoon', 'arabush', 'boonga', 'chingchong', 'chink', 'dyke', 'fag', 'kike', 'negro', 'nigger', 'retard',
    'spastic', 'tranny'].map((w) => [w, ['hate', 'explicit']]),
]);

/** obscenity's matcher with its English list; exported so a test can hold the prefilter below to it. */
export const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });

/**
 * Whether obscenity could find anything in `text`. Its matcher transforms the text (leetspeak,
 * look-alikes, repeats) and then tries its ~120 patterns one by one, a matchAll each: ~19 µs on a
 * clean prompt, most of the prompt check on the gateway's hot path. One alternation of the same
 * patterns over the same transformed text matches iff one of them does (its whitelist only ever
 * removes matches), in ~2.5 µs; only a prompt it matches goes through the full matcher. It reads
 * three of the matcher's internals (obscenity is pinned); without them every prompt takes the
 * full path. A test holds it to the matcher on the whole prompt corpus.
 */
export const mayMatchObscenity: (text: string) => boolean = (() => {
  const internals = matcher as unknown as {
    applyTransformers?: (input: string, transformers: unknown) => [number[], string];
    blacklistMatcherTransformers?: unknown;
    blacklistedTerms?: { regExp: RegExp }[];
  };
  const terms = internals.blacklistedTerms;
  if (typeof internals.applyTransformers !== 'function' || !Array.isArray(terms) || terms.length === 0) return () => true;
  const any = new RegExp(terms.map((t) => `(?:${t.regExp.source})`).join('|'), terms[0]!.regExp.flags.replace('g', ''));
  return (text) => any.test(internals.applyTransformers!.call(matcher, text, internals.blacklistMatcherTransformers)[1]);
})();

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

/**
 * Lowercase, accents off, leetspeak folded inside words (not inside numbers: "15yo" stays),
 * spelled-out letters joined ("n.u.d.e" -> "nude"), everything else a single space, padded.
 */
export function normalise(text: string): string {
  return ` ${text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/(?<=[a-z])[013457@$](?![0-9])|(?<![0-9])[013457@$](?=[a-z])/g, (c) => LEET[c] ?? c)
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/\b[a-z](?: [a-z]\b){2,}/g, (letters) => letters.replace(/ /g, ''))
    .trim()} `;
}

/** A term as whole words; lookarounds, so neighbouring terms ("nude child") both match. */
const phrase = (term: string) => new RegExp(`(?<= )${normalise(term).trim()}(?= )`, 'g');
const compile = (terms: string[]) => terms.map((term) => ({ term, pattern: phrase(term) }));

/**
 * All of a list's terms in one alternation, tried before the terms one by one: on the ordinary
 * prompt nothing matches, and one pass over the text replaces a pass per term (this was the
 * largest cost on the gateway's hot path). Same lookarounds, so it matches iff some term does.
 */
const anyOf = (terms: string[]) => terms.length === 0 ? /(?!)/ : new RegExp(`(?<= )(?:${terms.map((term) => normalise(term).trim()).join('|')})(?= )`);

const LISTS = TERM_LISTS.map((list) => ({ ...list, compiled: compile(list.terms), any: anyOf(list.terms) }));
const MINOR = compile(MINOR_TERMS);
const MINOR_SEXUAL = compile(MINOR_SEXUAL_TERMS);
// Longest first, so "dick van dyke" is removed before a shorter phrase inside it could be.
const ALLOWED = compile([...ALLOWED_PHRASES].sort((a, b) => b.length - a.length));
const ANY_MINOR = anyOf(MINOR_TERMS);
const ANY_MINOR_SEXUAL = anyOf(MINOR_SEXUAL_TERMS);
const ANY_ALLOWED = anyOf([...ALLOWED_PHRASES]);

function contains(text: string, pattern: RegExp): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

export function classifyPrompt(text: string): Finding[] {
  let normal = normalise(text);
  if (ANY_ALLOWED.test(normal)) for (const { pattern } of ALLOWED) normal = normal.replace(pattern, '').replace(/ {2,}/g, ' ');
  const findings: Finding[] = [];
  for (const list of LISTS) {
    if (!list.any.test(normal)) continue;
    for (const { term, pattern } of list.compiled) if (contains(normal, pattern)) findings.push({ category: list.category, tier: list.tier, term });
  }
  for (const match of mayMatchObscenity(normal) ? matcher.getAllMatches(normal, true) : []) {
    const word = englishDataset.getPayloadWithPhraseMetadata(match).phraseMetadata?.originalWord ?? 'profanity';
    const [category, tier] = OBSCENITY_CATEGORY[word] ?? (['profanity', 'mild'] as [Category, Tier]);
    findings.push({ category, tier, term: word });
  }
  if (ANY_MINOR_SEXUAL.test(normal)) for (const { term, pattern } of MINOR_SEXUAL) if (contains(normal, pattern)) findings.push({ category: 'sexual_minors', tier: 'explicit', term });
  const minor = (ANY_MINOR.test(normal) ? MINOR.find(({ pattern }) => contains(normal, pattern))?.term : undefined) ?? minorAge(normal);
  if (minor !== undefined) {
    const sexual = findings.find((f) => f.category === 'sexual');
    if (sexual) findings.push({ category: 'sexual_minors', tier: 'explicit', term: `${minor} + ${sexual.term}` });
  }
  return findings;
}

function minorAge(text: string): string | undefined {
  for (const match of text.matchAll(MINOR_AGE)) {
    const age = Number(match[1] ?? match[2]);
    if (age < 18) return match[0].trim();
  }
  return undefined;
}

/** The findings this level refuses, most serious category first. */
export function blockingFindings(level: SafetyLevel, findings: Finding[]): Finding[] {
  return findings
    .filter((f) => blocks(level, f.category, f.tier))
    .sort((a, b) => CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category));
}

/** Throws content_blocked naming the category; the matched term stays out of the message. */
export function checkPrompt(level: SafetyLevel, text: string, param = 'prompt'): void {
  const blocking = blockingFindings(level, classifyPrompt(text));
  if (blocking.length === 0) return;
  const category = blocking[0]!.category;
  throw new ImagegenError('content_blocked', `the ${param} was blocked by the safety filter (category: ${category}, level: ${level})`, {
    param,
    details: { category, level },
  });
}
