/** Where the CLI writes images: a named file, a folder, or the current folder. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

const EXTENSION_BY_MIME: Record<string, string> = { 'image/png': '.png', 'image/webp': '.webp', 'image/jpeg': '.jpg' };
const FORMAT_BY_EXTENSION: Record<string, string> = { '.png': 'png', '.webp': 'webp', '.jpg': 'jpeg', '.jpeg': 'jpeg' };

export interface OutImage {
  b64_json: string;
  mime_type: string;
  seed?: number;
}

/** `-o` names a file the CLI cannot write truthfully (a usage error, exit 2). */
export class OutputNameError extends Error {}

/**
 * The output format: `-o fox.webp` asks for WebP when --format is absent. A file name whose
 * extension we cannot write (`.gif`) or that contradicts --format is refused rather than filled
 * with bytes of another format.
 */
export function outputFormat(format: string | undefined, path: string | undefined): string | undefined {
  const ext = path && !path.endsWith('/') ? extname(path).toLowerCase() : '';
  if (!ext) return format;
  const named = FORMAT_BY_EXTENSION[ext];
  if (!named) throw new OutputNameError(`-o ${path}: cannot write ${ext} files; use .png, .webp or .jpg (or a name without an extension)`);
  if (format !== undefined && format !== named) throw new OutputNameError(`-o ${path} names ${named} but --format is ${format}; make them agree`);
  return named;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'image';
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Write the images and return their paths. `-o DIR/` (or an existing folder) gets one file per
 * image named from the prompt and seed; `-o FILE` gets FILE, or FILE-1, FILE-2... for several.
 */
export async function writeImages(images: OutImage[], prompt: string, out: string | undefined): Promise<string[]> {
  const paths: string[] = [];
  const toFolder = out === undefined || out.endsWith('/') || (await isDirectory(out));
  const folder = resolve(toFolder ? (out ?? '.') : '.');
  if (toFolder) await mkdir(folder, { recursive: true });
  for (const [index, image] of images.entries()) {
    const ext = EXTENSION_BY_MIME[image.mime_type] ?? '.bin';
    let path: string;
    if (toFolder) {
      path = join(folder, `${slug(prompt)}-${image.seed ?? index}${ext}`);
    } else {
      const given = resolve(out!);
      const stem = extname(given) ? given.slice(0, -extname(given).length) : given;
      path = images.length === 1 ? (extname(given) ? given : stem + ext) : `${stem}-${index + 1}${extname(given) || ext}`;
    }
    await writeFile(path, Buffer.from(image.b64_json, 'base64'));
    paths.push(path);
  }
  return paths;
}
