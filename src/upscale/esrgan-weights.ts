/**
 * The ESRGAN weights this service runs: the files @upscalerjs/esrgan-slim and -medium ship in
 * their own package folders (models/x{scale}/model.json + one .bin shard). They are read from
 * node_modules with a file IOHandler: nothing is fetched, and the packages' browser loaders
 * (which fetch over HTTP) are not used.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import type { io } from '@tensorflow/tfjs';

export const ESRGAN_PACKAGES = {
  'esrgan-slim': '@upscalerjs/esrgan-slim',
  'esrgan-medium': '@upscalerjs/esrgan-medium',
} as const;
export type EsrganWeights = keyof typeof ESRGAN_PACKAGES;

const require = createRequire(import.meta.url);

/** The package's root folder. Its package.json is not exported, so walk up from its entry point. */
function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the package folder of ${name}`);
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
}

/** An IOHandler that loads one scale's model from the package's files. */
export function esrganModelHandler(weights: EsrganWeights, scale: number): io.IOHandler {
  const folder = join(packageRoot(ESRGAN_PACKAGES[weights]), 'models', `x${scale}`);
  return {
    async load() {
      const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as ModelJson;
      const shards = await Promise.all(json.weightsManifest.flatMap((group) => group.paths).map((path) => readFile(join(folder, path))));
      const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
      let offset = 0;
      for (const shard of shards) {
        weightData.set(shard, offset);
        offset += shard.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: weightData.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
      };
    },
  };
}

/** The wasm binaries ship in the backend package's dist folder. */
export function wasmDirectory(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
}
