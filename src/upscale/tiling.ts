/**
 * Tiling for super-resolution: the input is cut into a grid of tiles, each run through the model
 * with `overlap` pixels of context on every side that has a neighbour, and the upscaled tiles are
 * cross-faded over that overlap so no seam shows. Memory then depends on the tile, not the image.
 *
 * Blending: across a seam at input column c, the left tile's weight falls linearly from 1 to 0
 * over [c - overlap, c + overlap) (in output pixels, times the scale) and the right tile's rises
 * over the same span, so the weights of any pixel always sum to exactly 1 (also at corners, where
 * they are products). The pixels nearest a tile's padded edge, which saw the least context, get
 * the least weight. Sides on the image border have no ramp.
 */

export interface Tile {
  /** The region fed to the model (core plus overlap), in input pixels. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** The region this tile is responsible for; cores partition the image. */
  coreX0: number;
  coreY0: number;
  coreX1: number;
  coreY1: number;
  /** Row of the grid, for the band-wise blender. */
  row: number;
}

export interface TilePlan {
  width: number;
  height: number;
  /** The overlap actually used (at most half the smallest core, so only two tiles meet at a seam). */
  overlap: number;
  columns: number;
  rows: number;
  tiles: Tile[];
}

/** Even cuts: n = ceil(size / tile) cores whose sizes differ by at most one pixel. */
function cuts(size: number, tile: number): number[] {
  const n = Math.max(1, Math.ceil(size / tile));
  return Array.from({ length: n + 1 }, (_, i) => Math.round((i * size) / n));
}

export function planTiles(width: number, height: number, tileSize: number, overlap: number): TilePlan {
  const xs = cuts(width, tileSize);
  const ys = cuts(height, tileSize);
  const smallestCore = Math.min(...[xs, ys].flatMap((c) => (c.length > 2 ? c.slice(1).map((v, i) => v - c[i]!) : [Infinity])));
  const used = Number.isFinite(smallestCore) ? Math.min(overlap, Math.floor(smallestCore / 2)) : 0;
  const tiles: Tile[] = [];
  for (let r = 0; r < ys.length - 1; r++) {
    for (let c = 0; c < xs.length - 1; c++) {
      const coreX0 = xs[c]!, coreX1 = xs[c + 1]!, coreY0 = ys[r]!, coreY1 = ys[r + 1]!;
      tiles.push({
        x0: Math.max(0, coreX0 - used),
        y0: Math.max(0, coreY0 - used),
        x1: Math.min(width, coreX1 + used),
        y1: Math.min(height, coreY1 + used),
        coreX0,
        coreY0,
        coreX1,
        coreY1,
        row: r,
      });
    }
  }
  return { width, height, overlap: used, columns: xs.length - 1, rows: ys.length - 1, tiles };
}

/**
 * Weights along one axis for the output pixels of a tile's padded span [p0, p1), core [c0, c1),
 * in an image of `size` input pixels.
 */
function axisWeights(p0: number, p1: number, c0: number, c1: number, size: number, overlap: number, scale: number): Float32Array {
  const weights = new Float32Array((p1 - p0) * scale).fill(1);
  if (overlap === 0) return weights;
  const span = 2 * overlap * scale;
  for (let i = 0; i < weights.length; i++) {
    const x = p0 * scale + i + 0.5;
    const rise = c0 > 0 ? Math.min(1, Math.max(0, (x - (c0 - overlap) * scale) / span)) : 1;
    const fall = c1 < size ? Math.min(1, Math.max(0, ((c1 + overlap) * scale - x) / span)) : 1;
    weights[i] = rise * fall;
  }
  return weights;
}

/**
 * Accumulates upscaled RGB tiles into the output. Tiles must arrive row by row (the plan's order);
 * only one band of tile rows is held in floating point, so the float buffer stays the size of a
 * row of tiles whatever the image height.
 */
export class TileBlender {
  readonly output: Uint8Array;
  private readonly outWidth: number;
  private band = new Float32Array(0);
  private bandY0 = 0;
  private bandY1 = 0;

  constructor(
    private readonly plan: TilePlan,
    private readonly scale: number,
  ) {
    this.outWidth = plan.width * scale;
    this.output = new Uint8Array(this.outWidth * plan.height * scale * 3);
  }

  /** Add one tile's model output: RGB floats in 0..255, (y1-y0)*scale rows of (x1-x0)*scale. */
  add(tile: Tile, rgb: Float32Array): void {
    const { scale, plan, outWidth } = this;
    const top = tile.y0 * scale;
    const bottom = tile.y1 * scale;
    if (bottom > this.bandY1) this.moveBand(top, bottom);
    const wx = axisWeights(tile.x0, tile.x1, tile.coreX0, tile.coreX1, plan.width, plan.overlap, scale);
    const wy = axisWeights(tile.y0, tile.y1, tile.coreY0, tile.coreY1, plan.height, plan.overlap, scale);
    const tileWidth = wx.length;
    const left = tile.x0 * scale;
    for (let y = 0; y < wy.length; y++) {
      const rowOut = ((top + y - this.bandY0) * outWidth + left) * 3;
      const rowIn = y * tileWidth * 3;
      for (let x = 0; x < tileWidth; x++) {
        const w = wy[y]! * wx[x]!;
        if (w === 0) continue;
        const o = rowOut + x * 3;
        const i = rowIn + x * 3;
        this.band[o] = this.band[o]! + w * rgb[i]!;
        this.band[o + 1] = this.band[o + 1]! + w * rgb[i + 1]!;
        this.band[o + 2] = this.band[o + 2]! + w * rgb[i + 2]!;
      }
    }
  }

  /** Flush what is left; returns the finished RGB image. */
  finish(): Uint8Array {
    this.flush(this.bandY1);
    return this.output;
  }

  /** Rows above `top` are complete: write them out and start a band covering [top, bottom). */
  private moveBand(top: number, bottom: number): void {
    const keepFrom = Math.max(top, this.bandY0);
    this.flush(keepFrom);
    const rowLength = this.outWidth * 3;
    const next = new Float32Array((bottom - keepFrom) * rowLength);
    if (this.bandY1 > keepFrom) {
      next.set(this.band.subarray((keepFrom - this.bandY0) * rowLength, (this.bandY1 - this.bandY0) * rowLength));
    }
    this.band = next;
    this.bandY0 = keepFrom;
    this.bandY1 = bottom;
  }

  private flush(until: number): void {
    const rowLength = this.outWidth * 3;
    const from = (this.bandY0) * rowLength;
    const count = (until - this.bandY0) * rowLength;
    for (let i = 0; i < count; i++) {
      const v = Math.round(this.band[i]!);
      this.output[from + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** Copy a region out of an RGB image as model input (floats 0..255). */
export function cropRgb(rgb: Uint8Array, width: number, tile: Pick<Tile, 'x0' | 'y0' | 'x1' | 'y1'>): Float32Array {
  const w = tile.x1 - tile.x0;
  const out = new Float32Array(w * (tile.y1 - tile.y0) * 3);
  for (let y = tile.y0; y < tile.y1; y++) {
    const from = (y * width + tile.x0) * 3;
    out.set(rgb.subarray(from, from + w * 3), (y - tile.y0) * w * 3);
  }
  return out;
}

/**
 * Mirror `pad` pixels around an RGB image. The model pads its convolutions with zeros, which
 * darkens the outermost output pixels; with mirrored context the image border looks like any
 * other place in the image, and only output inside the image is kept.
 */
export function mirrorPad(rgb: Uint8Array, width: number, height: number, pad: number): Uint8Array {
  if (pad === 0) return rgb;
  const pw = width + 2 * pad;
  const out = new Uint8Array(pw * (height + 2 * pad) * 3);
  const mirror = (i: number, size: number) => {
    const reflected = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    return Math.min(size - 1, Math.max(0, reflected));
  };
  for (let y = 0; y < height + 2 * pad; y++) {
    const sy = mirror(y - pad, height);
    for (let x = 0; x < pw; x++) {
      const s = (sy * width + mirror(x - pad, width)) * 3;
      const o = (y * pw + x) * 3;
      out[o] = rgb[s]!;
      out[o + 1] = rgb[s + 1]!;
      out[o + 2] = rgb[s + 2]!;
    }
  }
  return out;
}

/** The window [x, x + width) x [y, y + height) of an RGB image `fullWidth` wide. */
export function cropWindow<T extends Uint8Array | Float32Array>(rgb: T, fullWidth: number, x: number, y: number, width: number, height: number): T {
  if (x === 0 && y === 0 && width === fullWidth && rgb.length === width * height * 3) return rgb;
  const out = (rgb instanceof Float32Array ? new Float32Array(width * height * 3) : new Uint8Array(width * height * 3)) as T;
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * fullWidth + x) * 3;
    out.set(rgb.subarray(from, from + width * 3), row * width * 3);
  }
  return out;
}
