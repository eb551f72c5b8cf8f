/**
 * Our own category lists for prompts, matched as whole words on normalised text (lowercase,
 * accents and leetspeak folded, punctuation as spaces). Obscenity's English dataset covers
 * profanity, slurs and sexual slang; these lists add what an image prompt needs beyond swearing:
 * nudity, gore, self-harm, hate symbols, and the words that mark a minor.
 */
import type { Category, Tier } from './levels.ts';

export interface TermList {
  category: Category;
  tier: Tier;
  terms: string[];
}

export const TERM_LISTS: TermList[] = [
  {
    category: 'sexual',
    tier: 'explicit',
    terms: [
      'nude', 'nudes', 'naked', 'nudity', 'topless', 'bottomless', 'genitals', 'genitalia', 'nsfw', 'xxx',
      'pornographic', 'porno', 'intercourse', 'sex act', 'having sex', 'explicit sex', 'erotic', 'erotica',
      'nipples', 'nipple', 'spread legs', 'no clothes', 'without clothes', 'undressed', 'stripping', 'striptease',
      'sexual', 'cumshot', 'bukkake', 'creampie', 'hardcore', 'fetish', 'bdsm', 'bondage',
    ],
  },
  {
    category: 'sexual',
    tier: 'mild',
    terms: [
      'sexy', 'lingerie', 'bikini', 'seductive', 'sensual', 'cleavage', 'underwear', 'provocative', 'busty',
      'lewd', 'panties', 'thong', 'boudoir', 'pinup', 'pin up', 'suggestive', 'skimpy', 'swimsuit',
    ],
  },
  {
    category: 'violence',
    tier: 'explicit',
    terms: [
      'gore', 'gory', 'disembowel', 'disemboweled', 'disembowelled', 'dismember', 'dismembered', 'dismemberment',
      'decapitated', 'decapitation', 'beheaded', 'beheading', 'mutilated', 'mutilation', 'entrails', 'severed head',
      'severed limbs', 'blood splatter', 'torture', 'tortured', 'flayed', 'eviscerated', 'guts spilling', 'mangled corpse',
      'exploding head',
    ],
  },
  {
    category: 'violence',
    tier: 'mild',
    terms: [
      'blood', 'bloody', 'bloodbath', 'murder', 'murdered', 'killing', 'massacre', 'slaughter', 'corpse', 'dead body',
      'stabbed', 'stabbing', 'strangled', 'gunshot', 'shot dead', 'mass shooting', 'assault rifle', 'execution',
      'war crime', 'terrorist attack', 'bomb attack', 'violent', 'violence',
    ],
  },
  {
    category: 'self_harm',
    tier: 'mild',
    terms: [
      'suicide', 'suicidal', 'self harm', 'selfharm', 'cutting myself', 'slit wrists', 'slitting wrists', 'kill myself',
      'hanging himself', 'hanging herself', 'hanging themselves', 'overdose', 'noose',
    ],
  },
  {
    category: 'hate',
    tier: 'explicit',
    terms: [
      'swastika', 'heil hitler', 'sieg heil', 'white power', 'white supremacy', 'white supremacist', 'kkk', 'ku klux klan',
      'lynching', 'ethnic cleansing', 'gas the jews', 'racial slur', 'hate symbol',
    ],
  },
];

/** Words that mark a minor. With any sexual term they make the `sexual_minors` floor. */
export const MINOR_TERMS: string[] = [
  'child', 'children', 'childs', 'kid', 'kids', 'toddler', 'toddlers', 'baby', 'babies', 'infant', 'infants',
  'preteen', 'preteens', 'pre teen', 'tween', 'tweens', 'underage', 'under age', 'minor', 'minors', 'schoolgirl', 'schoolgirls',
  'schoolboy', 'schoolboys', 'little girl', 'little girls', 'little boy', 'little boys', 'young girl', 'young girls',
  'young boy', 'young boys', 'teen', 'teens', 'teenage', 'teenager', 'teenagers', 'girl scout', 'boy scout',
  'middle school', 'elementary school', 'grade school', 'kindergarten', 'juvenile', 'prepubescent', 'pubescent',
];

/** Terms that sexualise minors on their own, refused whatever else the prompt says. */
export const MINOR_SEXUAL_TERMS: string[] = [
  'loli', 'lolicon', 'shota', 'shotacon', 'jailbait', 'pedo', 'pedophile', 'pedophilia', 'paedo', 'paedophile',
  'paedophilia', 'child porn', 'child pornography', 'csam', 'cp porn',
];

/** "12 year old", "12yo", "aged 9": an age under 18. */
export const MINOR_AGE = /\b(?:(\d{1,2}) ?(?:yo|y o|yrs? old|years? old|year olds?)|aged? (\d{1,2}))\b/g;

/**
 * Benign phrases that contain a listed or obscene word. They are removed before matching, so
 * "a naked mole rat" or "a blue tit on a branch" pass even at strict. Nothing here may contain a
 * minor term ("a minor" would hide "a minor in lingerie").
 */
export const ALLOWED_PHRASES: string[] = [
  'naked mole rat', 'naked mole rats', 'naked eye', 'nude colour', 'nude color', 'nude lipstick', 'nude tones', 'nude palette',
  'blood orange', 'blood oranges', 'blood moon', 'blood donation', 'blood drive', 'blood bank', 'blood pressure', 'blood test',
  'bloody mary', 'blood cell', 'blood cells', 'blood type', 'killer whale', 'killer whales',
  'suicide prevention', 'self harm prevention', 'self harm awareness', 'suicide awareness',
  'pussycat', 'pussy willow', 'pussy willows', 'shiitake', 'blue tit', 'great tit', 'coal tit', 'titmouse', 'tit bird', 'long tailed tit',
  'penistone', 'dick van dyke', 'moby dick', 'cockatoo', 'cockatiel', 'cockpit', 'cockerel', 'cockburn', 'peacock', 'woodcock',
  'gamecock', 'hancock', 'shuttlecock', 'weathercock', 'stopcock', 'cockle', 'cockles', 'hitchcock', 'babcock', 'scunthorpe',
  'cum laude', 'magna cum laude', 'summa cum laude', 'spotted dick', 'hooker s green', 'hookers green', 'bikini atoll',
  'blood sample', 'blood samples', 'sexual health', 'sexual harassment awareness',
  'sussex', 'essex', 'middlesex', 'wessex', 'sextant', 'sextet', 'analysis', 'therapist', 'grape', 'grapes', 'drape', 'drapes',
];
