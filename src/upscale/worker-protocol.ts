/** Messages between the upscaler's pool (main thread) and an ESRGAN worker thread. */
import type { EsrganWeights } from './esrgan-weights.ts';
import type { EsrganEngine } from './methods.ts';

/** One image for a worker to upscale. */
export interface EsrganJob {
  weights: EsrganWeights;
  scale: number;
  width: number;
  height: number;
  /** RGB, width * height * 3 bytes (transferred). */
  rgb: Uint8Array;
  tileSize: number;
  overlap: number;
  engine: EsrganEngine;
  /** Intra-op threads for the onnx engine. */
  threads: number;
}

export type RunMessage = { type: 'run'; id: number } & EsrganJob;

export interface CancelMessage {
  type: 'cancel';
  id: number;
}

export type ToWorker = RunMessage | CancelMessage;

export type FromWorker =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'done'; id: number; rgb: Uint8Array; width: number; height: number }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; message: string };
