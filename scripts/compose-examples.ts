/**
 * Renders each built-in template to examples/compose/*.png (the pictures in the README's
 * Composition section). Logos and backgrounds come from the offline stub through the same
 * `{"generate": ...}` layer a caller would use. Run: node --import tsx scripts/compose-examples.ts
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComposer } from '../src/compose/index.ts';
import { parseConfig } from '../src/config/index.ts';
import { createEngine } from '../src/engine.ts';

const EXAMPLES: [file: string, template: string, data: Record<string, unknown>][] = [
  ['og-light.png', 'og', { title: 'Koder Imaging: one service for every image your stack needs', subtitle: 'Self-hosted generation, upscaling and social cards', brand: 'koder', logo: { generate: { prompt: 'logo', seed: 7 } } }],
  ['og-dark-gradient.png', 'og', { title: 'Cards in every script: Ελληνικά, Кириллица, Tiếng Việt', subtitle: 'Inter with a Noto Sans fallback, shipped in the package', brand: 'koder', theme: 'dark', gradient: '#0b1120,#312e81' }],
  ['package.png', 'package', { name: '@koder/imaging', version: '0.1.0', description: 'One interface for text-to-image, image-to-image and inpainting over many backends, with a cache, quotas and fallback.', downloads: 48213, stars: 1290, author: 'koder', logo: { generate: { prompt: 'package logo', seed: 3 } } }],
  ['banner.png', 'banner', { title: 'Images out, for every program', subtitle: 'Generation, upscaling and composition behind one API', brand: 'koder-imaging', theme: 'dark', gradient: '#0f172a,#1e1b4b', logo: { generate: { prompt: 'banner logo', seed: 11 } } }],
  ['social-card.png', 'social-card', { title: 'The output half of an AI stack: images out, with one cache and one bill.', subtitle: 'the koder-imaging design notes', brand: 'koder', accent: '#f97316' }],
  ['social-card-wide.png', 'social-card', { title: 'A picture behind the words, generated on the same path as /v1/generate', variant: 'wide', theme: 'dark', brand: 'koder', background_image: { generate: { prompt: 'background', seed: 5 } } }],
];

const config = parseConfig({ server: { data_dir: await mkdtemp(join(tmpdir(), 'compose-examples-')) }, compose: { disk_cache: false } });
const engine = await createEngine(config);
const composer = createComposer({ config, generate: engine.generate, decodeLimits: engine.decodeLimits });
const out = join(import.meta.dirname, '..', 'examples', 'compose');
await mkdir(out, { recursive: true });
for (const [file, template, data] of EXAMPLES) {
  const card = await composer.compose(composer.prepare(template, data));
  await writeFile(join(out, file), card.bytes);
  console.log(`${file}\t${card.width}x${card.height}\t${card.bytes.byteLength} bytes${card.warnings.length ? `\twarnings: ${card.warnings.map((w) => w.message).join('; ')}` : ''}`);
}
