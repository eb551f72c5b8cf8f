/** Messages between the image classifier (main thread) and its nsfwjs worker thread. */
export type NsfwClass = 'porn' | 'hentai' | 'sexy' | 'drawing' | 'neutral';
export type NsfwScores = Record<NsfwClass, number>;

/** MobileNetV2's input side: images are resized to it on the main thread (sharp, off the loop). */
export const INPUT_SIZE = 224;

/** RGB, INPUT_SIZE * INPUT_SIZE * 3 bytes (transferred). */
export type ToNsfwWorker = { type: 'classify'; id: number; rgb: Uint8Array };

export type FromNsfwWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'scores'; id: number; scores: NsfwScores }
  | { type: 'error'; id: number; message: string };
