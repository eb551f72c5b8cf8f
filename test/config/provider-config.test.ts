import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { createEngine } from '../../src/engine.ts';

describe('provider config', () => {
  it('refuses credentials in a base_url, naming the field, so they never reach a message or a log', async () => {
    for (const type of ['sdapi', 'openai', 'comfyui', 'gemini', 'replicate']) {
      const config = parseConfig({ providers: { p: { type, base_url: 'http://user:secret@127.0.0.1:7860' } }, models: [{ id: 'stub', provider: 'stub' }] });
      await assert.rejects(createEngine(config), (error: unknown) => {
        assert.ok(error instanceof ConfigError, type);
        assert.match(error.message, /providers\.p\.base_url: base_url must not carry credentials/);
        assert.ok(!error.message.includes('secret'));
        return true;
      });
    }
  });
});
