import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorFromResponse } from '../../src/providers/http.ts';
import { parseGeminiError } from '../../src/providers/gemini/index.ts';
import { parseOpenAIError } from '../../src/providers/openai/index.ts';
import { parseReplicateError } from '../../src/providers/replicate/index.ts';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('hosted error bodies', () => {
  it('reads OpenAI, llama-swap and sd.cpp error shapes', () => {
    assert.deepEqual(parseOpenAIError({ error: { message: 'The size is not supported by this model.', type: 'invalid_request_error', param: null, code: 'invalid_size' } }), {
      message: 'The size is not supported by this model. (invalid_size)',
    });
    assert.equal(parseOpenAIError({ error: { message: 'Rejected.', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' } })!.code, 'content_blocked');
    assert.equal(parseOpenAIError({ src: 'llama-swap', error: { message: 'no model id could be identified', type: 'invalid_request_error', param: null, code: null } })!.message, 'no model id could be identified (invalid_request_error)');
    assert.deepEqual(parseOpenAIError({ error: 'invalid sd_cpp_extra_args' }), { message: 'invalid sd_cpp_extra_args' });
    assert.deepEqual(parseOpenAIError({ error: 'server_error', message: 'boom' }), { message: 'server_error: boom' });
    assert.equal(parseOpenAIError('nope'), undefined);
  });

  it('reads Google errors and Replicate problem details', () => {
    assert.deepEqual(parseGeminiError({ error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } }), { message: 'RESOURCE_EXHAUSTED: Resource has been exhausted' });
    assert.deepEqual(parseReplicateError({ type: 'x', title: 'Input validation failed', status: 422, detail: '- input.num_outputs: Must be <= 4' }), {
      message: 'Input validation failed: - input.num_outputs: Must be <= 4',
    });
    assert.equal(parseReplicateError({}), undefined);
  });

  it('turns statuses into codes and retryable the same way for every hosted backend', async () => {
    const limited = await errorFromResponse(answer(429, { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } }, { 'retry-after': '3' }), 'gemini', parseGeminiError);
    assert.deepEqual([limited.code, limited.retryable, limited.retryAfter], ['rate_limited', true, 3]);
    const blocked = await errorFromResponse(answer(400, { error: { message: 'no', type: 'invalid_request_error', param: null, code: 'content_policy_violation' } }), 'openai', parseOpenAIError);
    assert.deepEqual([blocked.code, blocked.retryable], ['content_blocked', false]);
    const invalid = await errorFromResponse(answer(422, { title: 'Input validation failed', detail: 'bad', status: 422 }), 'replicate', parseReplicateError);
    assert.deepEqual([invalid.code, invalid.retryable, invalid.status], ['provider_error', false, 422]);
    const down = await errorFromResponse(answer(503, { title: 'Service Unavailable', status: 503 }), 'replicate', parseReplicateError);
    assert.deepEqual([down.code, down.retryable], ['provider_error', true]);
  });
});
