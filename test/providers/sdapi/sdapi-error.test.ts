import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSdapiError } from '../../../src/providers/sdapi/index.ts';

describe('parseSdapiError', () => {
  const cases: [string, unknown, string | undefined][] = [
    ['A1111 --api-auth 401', { error: 'HTTPException', detail: 'Not authenticated', body: '', errors: '' }, 'Not authenticated'],
    ['A1111 img2img without init_images', { error: 'HTTPException', detail: 'Init image not found', body: '', errors: '' }, 'Init image not found'],
    ['A1111 other exception', { error: 'RuntimeError', detail: '', body: '', errors: 'model not found' }, 'RuntimeError: model not found'],
    ['FastAPI 422', { detail: [{ loc: ['body', 'width'], msg: 'value is not a valid integer', type: 'type_error.integer' }] }, 'request rejected: width: value is not a valid integer'],
    ['sd-server string error', { error: 'prompt required' }, 'prompt required'],
    ['sd-server exception', { error: 'server_error', message: 'type must be number' }, 'server_error: type must be number'],
    ['llama-swap envelope', { src: 'llama-swap', error: { message: 'no model id could be identified', type: 'invalid_request_error', param: null, code: 'not_found' } }, 'llama-swap: no model id could be identified'],
    ['older llama-swap', { src: 'llama-swap', error: 'no model id could be identified' }, 'llama-swap: no model id could be identified'],
    ['FastAPI 404', { detail: 'Not Found' }, 'Not Found'],
    ['nothing useful', { ok: false }, undefined],
  ];
  for (const [name, body, message] of cases) {
    it(name, () => assert.equal(parseSdapiError(body)?.message, message));
  }
});
