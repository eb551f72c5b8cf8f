/**
 * One message style for every validation failure a caller can see (routes, compose fields,
 * provider options, the config file): `<param> <rule> (got <value>)`. A schema that states its own
 * rule (e.g. "steps must be an integer from 1 to 1000") keeps it; zod's built-in English texts
 * ("Invalid input: expected string, received number") are replaced by a rule built from the issue.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

// zod's own messages all start like this; any other message was written by us next to the schema.
const ZOD_DEFAULT = /^(Invalid|Too small|Too big|Unrecognized key)/;

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);
const unit = (origin: string) => ({ string: ' characters', array: ' items', set: ' items', file: ' bytes' })[origin] ?? '';

/** The rule an issue broke, worded from its data, for issues whose schema gave no message. */
const RULES: { [C in Issue['code']]?: (issue: Extract<Issue, { code: C }>, value: unknown) => string } = {
  invalid_type: (issue, value) => (value === undefined ? 'is required' : `must be ${article(issue.expected)}`),
  too_small: (issue) =>
    issue.origin === 'string' && Number(issue.minimum) === 1
      ? 'must not be empty'
      : `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}${unit(issue.origin)}`,
  too_big: (issue) => `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}${unit(issue.origin)}`,
  invalid_value: (issue) => `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
  invalid_format: (issue) => (issue.pattern ? `must match ${issue.pattern}` : `must be a valid ${issue.format}`),
  not_multiple_of: (issue) => `must be a multiple of ${issue.divisor}`,
  invalid_union: (_issue, value) => (value === undefined ? 'is required' : 'has a value of the wrong kind'),
  invalid_key: () => 'has an invalid key',
  invalid_element: () => 'has an invalid element',
};

/** The value the caller sent at an issue's path, if it can be found. */
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Short scalars are echoed back; long strings (base64 images, prompts) and objects are not. */
function shown(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string' && value.length <= 40) return JSON.stringify(value);
  return undefined;
}

/** The dotted parameter an issue is about; `fallback` for the whole body. */
export function issueParam(issue: Issue, fallback = 'body'): string {
  if (issue.code === 'unrecognized_keys') return [...issue.path.map(String), issue.keys[0]!].join('.');
  return issue.path.map(String).join('.') || fallback;
}

/** The message for one issue, naming the parameter, the rule and (when short) the value sent. */
export function issueMessage(issue: Issue, input?: unknown, fallbackParam = 'body'): string {
  const param = issueParam(issue, fallbackParam);
  if (issue.code === 'unrecognized_keys') return `unknown parameter "${param}"`;
  return withValue(ZOD_DEFAULT.test(issue.message) ? `${param} ${ruleOf(issue, input)}` : issue.message, issue, input);
}

/**
 * The same for a list of `path: rule` lines (the config file), where the path is printed apart:
 * our own messages there are written without the field name. Values are never echoed here: a
 * config holds API keys and URLs with credentials, and these lines reach logs.
 */
export function issueLine(issue: Issue, input?: unknown): string {
  const rule = issue.code === 'unrecognized_keys' ? `unknown key "${issue.keys[0]}"` : ZOD_DEFAULT.test(issue.message) ? ruleOf(issue, input) : issue.message;
  return `${issue.path.map(String).join('.') || '(root)'}: ${rule}`;
}

function ruleOf(issue: Issue, input: unknown): string {
  const rule = RULES[issue.code] as ((issue: Issue, value: unknown) => string) | undefined;
  return rule?.(issue, valueAt(input, issue.path)) ?? 'is not valid';
}

function withValue(message: string, issue: Issue, input: unknown): string {
  const value = valueAt(input, issue.path);
  const got = value === undefined ? undefined : shown(value);
  return got === undefined || message.includes('(got ') ? message : `${message} (got ${got})`;
}
