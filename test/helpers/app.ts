/** Shared test helpers: an in-process app on a given config, and small images made in the test. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseConfig } from '../../src/config/index.ts';
import { createEngine, type EngineOptions } from '../../src/engine.ts';
import { createApp } from '../../src/server/app.ts';

/** A fresh data folder per app unless the config names one, so tests never write into the clone. */
export async function makeApp(rawConfig: Record<string, unknown> = {}, options: EngineOptions = {}) {
  const server = { data_dir: mkdtempSync(join(tmpdir(), 'kimaging-test-')), ...(rawConfig.server as object | undefined) };
  const engine = await createEngine(parseConfig({ ...rawConfig, server }), options);
  const app = createApp(engine);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { engine, app, post };
}

/** A solid-colour PNG, or a two-colour one split at `splitX` (left = a, right = b). */
export async function solidPng(width: number, height: number, rgb: [number, number, number], channels: 3 | 4 = 3): Promise<Buffer> {
  const background = channels === 4 ? { r: rgb[0], g: rgb[1], b: rgb[2], alpha: 1 } : { r: rgb[0], g: rgb[1], b: rgb[2] };
  return sharp({ create: { width, height, channels, background } }).png().toBuffer();
}

/** A mask PNG, white (repaint) inside the rectangle and black elsewhere. */
export async function rectMask(width: number, height: number, rect: { x: number; y: number; w: number; h: number }): Promise<Buffer> {
  const data = Buffer.alloc(width * height);
  for (let y = rect.y; y < rect.y + rect.h; y++) for (let x = rect.x; x < rect.x + rect.w; x++) data[y * width + x] = 255;
  return sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer();
}

export async function rawPixels(png: Uint8Array | Buffer) {
  return sharp(png).raw().toBuffer({ resolveWithObject: true });
}

export const b64 = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64');
