// Config errors use the same rules as the routes, print the field path, and never echo a value
// (a config holds keys and credentials).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.ts';

test('config errors name the field and its rule in our words, without the value', () => {
  assert.throws(
    () => parseConfig({ server: { port: 'sk-not-a-port' } }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /server\.port: must be a number/);
      assert.doesNotMatch(error.message, /Invalid input|received|sk-not-a-port/);
      return true;
    },
  );
});
