/** Test images with structure (edges, gradients, curves), and PSNR. */
import sharp from 'sharp';

/**
 * A synthetic scene, the same every run: colour gradients, hard-edged rectangles, a disc, a ring
 * and a band of stripes: edges and smooth areas a super-resolution model can get right or wrong.
 */
export function sceneRgb(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  const cx = width * 0.62, cy = height * 0.4, radius = Math.min(width, height) * 0.22;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = (255 * x) / width, g = (255 * y) / height, b = 128 + 100 * Math.sin((x + y) / 9);
      if (x > width * 0.1 && x < width * 0.35 && y > height * 0.55 && y < height * 0.9) [r, g, b] = [240, 240, 40];
      if (x > width * 0.15 && x < width * 0.3 && y > height * 0.62 && y < height * 0.83) [r, g, b] = [20, 30, 160];
      const d = Math.hypot(x - cx, y - cy);
      if (d < radius) [r, g, b] = [230, 60, 50];
      if (Math.abs(d - radius * 1.3) < 3) [r, g, b] = [255, 255, 255];
      if ((x + 2 * y) % 31 < 10 && y > height * 0.7 && x > width * 0.5) [r, g, b] = [10, 10, 10];
      const o = (y * width + x) * 3;
      data[o] = Math.round(r);
      data[o + 1] = Math.round(g);
      data[o + 2] = Math.round(b);
    }
  }
  return data;
}

export async function scenePng(width: number, height: number): Promise<Buffer> {
  return sharp(sceneRgb(width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** PSNR in dB between two RGB images of the same size (8-bit). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

export async function rgbOf(png: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * Halve an RGB image by averaging each 2x2 block: the centred downscale, unambiguous about pixel
 * alignment (sharp's own 2x reduction is not centred, which would bias the comparison).
 */
export function halve(rgb: Uint8Array, width: number, height: number): Buffer {
  const w = width / 2, h = height / 2;
  const out = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (dx: number, dy: number) => rgb[((2 * y + dy) * width + 2 * x + dx) * 3 + c]!;
        out[(y * w + x) * 3 + c] = Math.round((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4);
      }
    }
  }
  return out;
}
