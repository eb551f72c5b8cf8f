import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cropRgb, cropWindow, mirrorPad, planTiles, TileBlender } from '../../src/upscale/tiling.ts';

/** Nearest-neighbour upscale: a "model" whose right answer is known exactly. */
function nearest(rgb: Float32Array | Uint8Array, width: number, height: number, scale: number): Float32Array {
  const out = new Float32Array(width * scale * height * scale * 3);
  for (let y = 0; y < height * scale; y++)
    for (let x = 0; x < width * scale; x++)
      for (let c = 0; c < 3; c++) out[(y * width * scale + x) * 3 + c] = rgb[(Math.floor(y / scale) * width + Math.floor(x / scale)) * 3 + c]!;
  return out;
}

function noise(width: number, height: number): Uint8Array {
  let seed = 7;
  return Uint8Array.from({ length: width * height * 3 }, () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 256);
}

describe('tiling', () => {
  it('cores partition the image; padded regions add the overlap only where a neighbour is', () => {
    const plan = planTiles(130, 70, 64, 8);
    assert.equal(plan.columns, 3);
    assert.equal(plan.rows, 2);
    const covered = new Uint8Array(130 * 70);
    for (const t of plan.tiles) for (let y = t.coreY0; y < t.coreY1; y++) for (let x = t.coreX0; x < t.coreX1; x++) covered[y * 130 + x]!++;
    assert.ok(covered.every((n) => n === 1));
    const first = plan.tiles[0]!;
    assert.deepEqual([first.x0, first.y0, first.x1 - first.coreX1, first.y1 - first.coreY1], [0, 0, 8, 8]);
  });

  it('overlap is capped at half the smallest core, so only two tiles meet at a seam', () => {
    assert.equal(planTiles(66, 66, 64, 30).overlap, 16);
    assert.equal(planTiles(50, 50, 64, 30).overlap, 0);
  });

  for (const [scale, tile, overlap] of [[2, 16, 4], [4, 20, 6], [3, 17, 0]] as const) {
    it(`blended tiles reproduce the untiled answer exactly (x${scale}, tile ${tile}, overlap ${overlap})`, () => {
      const width = 53, height = 41;
      const rgb = noise(width, height);
      const plan = planTiles(width, height, tile, overlap);
      const blender = new TileBlender(plan, scale);
      for (const t of plan.tiles) blender.add(t, nearest(cropRgb(rgb, width, t), t.x1 - t.x0, t.y1 - t.y0, scale));
      const expected = nearest(rgb, width, height, scale);
      assert.deepEqual(blender.finish(), Uint8Array.from(expected));
    });
  }

  it('mirrorPad reflects around the border and cropWindow takes it off again', () => {
    const rgb = noise(5, 4);
    const padded = mirrorPad(rgb, 5, 4, 2);
    const at = (img: Uint8Array, w: number, x: number, y: number) => img[(y * w + x) * 3];
    assert.equal(at(padded, 9, 0, 2), at(rgb, 5, 2, 0));
    assert.equal(at(padded, 9, 8, 5), at(rgb, 5, 2, 3));
    assert.deepEqual(cropWindow(padded, 9, 2, 2, 5, 4), rgb);
  });
});
