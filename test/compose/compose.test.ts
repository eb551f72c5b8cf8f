import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { createCardCache } from '../../src/compose/cache.ts';
import { createComposer } from '../../src/compose/index.ts';
import { fitText } from '../../src/compose/fit.ts';
import { loadFonts } from '../../src/compose/fonts.ts';
import { parseConfig } from '../../src/config/index.ts';
import { createEngine } from '../../src/engine.ts';
import type { RequestContext } from '../../src/engine.ts';
import type { Request } from '../../src/imagegen/index.ts';

async function makeComposer(raw: Record<string, unknown> = {}, dataDir?: string) {
  const config = parseConfig({ ...raw, server: { data_dir: dataDir ?? (await mkdtemp(join(tmpdir(), 'compose-'))) } });
  const engine = await createEngine(config);
  const calls: { model: string | undefined; request: Request; context: RequestContext }[] = [];
  const composer = createComposer({
    config,
    decodeLimits: engine.decodeLimits,
    generate: (model, request, context) => {
      calls.push({ model, request, context });
      return engine.generate(model, request, context);
    },
  });
  return { composer, calls };
}

const SIZES: [string, Record<string, unknown>, number, number][] = [
  ['og', { title: 'Ship cards, not screenshots' }, 1200, 630],
  ['package', { name: '@koder/imaging', version: '1.2.3', downloads: 123456 }, 1200, 630],
  ['banner', { title: 'koder-imaging' }, 1500, 500],
  ['social-card', { title: 'Images out.' }, 1080, 1080],
  ['social-card', { title: 'Images out.', variant: 'wide' }, 1200, 675],
];

describe('compose: built-in templates', () => {
  for (const [template, data, width, height] of SIZES) {
    it(`${template} ${JSON.stringify(data)} renders a ${width}x${height} PNG`, async () => {
      const { composer } = await makeComposer();
      const card = await composer.compose(composer.prepare(template, data));
      const meta = await sharp(card.bytes).metadata();
      assert.equal(meta.format, 'png');
      assert.deepEqual([meta.width, meta.height, card.width, card.height], [width, height, width, height]);
      assert.equal(card.mimeType, 'image/png');
    });
  }

  it('light and dark themes draw different backgrounds', async () => {
    const { composer } = await makeComposer();
    const corner = async (theme: string) => {
      const card = await composer.render(composer.prepare('og', { title: 'Theme', theme }));
      const { data } = await sharp(card.bytes).extract({ left: 2, top: 2, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
      return [...data.subarray(0, 3)];
    };
    assert.deepEqual(await corner('light'), [255, 255, 255]);
    assert.deepEqual(await corner('dark'), [0x0b, 0x11, 0x20]);
  });

  it('gives WebP and JPEG on request', async () => {
    const { composer } = await makeComposer();
    for (const format of ['webp', 'jpeg'] as const) {
      const card = await composer.compose(composer.prepare('og', { title: 'Formats' }, format));
      assert.equal((await sharp(card.bytes).metadata()).format, format);
      assert.equal(card.mimeType, `image/${format}`);
    }
  });
});

describe('compose: determinism and cache', () => {
  it('the same input gives byte-identical output from two separate composers', async () => {
    const data = { title: 'Déjà vu — Ωμέγα, Привет', subtitle: 'twice', theme: 'dark', gradient: '#0ea5e9,#6366f1', logo: { generate: { prompt: 'a logo' } } };
    const a = await makeComposer();
    const b = await makeComposer();
    const first = await a.composer.render(a.composer.prepare('og', data));
    const second = await b.composer.render(b.composer.prepare('og', data));
    assert.ok(Buffer.from(first.bytes).equals(Buffer.from(second.bytes)));
    assert.equal(a.composer.prepare('og', data).key, b.composer.prepare('og', data).key);
    assert.notEqual(a.composer.prepare('og', data).key, a.composer.prepare('og', { ...data, title: 'other' }).key);
  });

  it('answers a repeat from memory, and a new process from the cache folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compose-'));
    const { composer } = await makeComposer({}, dir);
    const card = composer.prepare('banner', { title: 'Cached' });
    const first = await composer.compose(card);
    const again = await composer.compose(card);
    assert.equal(first.cached, false);
    assert.equal(again.cached, true);
    assert.ok(Buffer.from(first.bytes).equals(Buffer.from(again.bytes)));
    const restarted = await makeComposer({}, dir);
    const fromDisk = await restarted.composer.lookup(restarted.composer.prepare('banner', { title: 'Cached' }));
    assert.ok(fromDisk?.cached);
    assert.ok(Buffer.from(fromDisk.bytes).equals(Buffer.from(first.bytes)));
  });

  it('keeps the cache folder within its budget, oldest out first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compose-'));
    const cache = createCardCache({ maxBytes: 1024 * 1024, dir, maxDiskBytes: 2500 });
    const card = (fill: number) => ({ bytes: new Uint8Array(1000).fill(fill), mimeType: 'image/png', width: 1, height: 1, warnings: [] });
    for (const key of ['a', 'b', 'c', 'd']) await cache.set(key, card(key.charCodeAt(0)));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.bin')).sort(), ['c.bin', 'd.bin']);
    const restarted = createCardCache({ maxBytes: 0, dir, maxDiskBytes: 2500 });
    assert.equal(await restarted.get('a'), undefined);
    assert.deepEqual([...(await restarted.get('d'))!.bytes.subarray(0, 2)], [100, 100]);
  });

  it('with the disk cache off, nothing survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compose-'));
    const { composer } = await makeComposer({ compose: { disk_cache: false } }, dir);
    await composer.compose(composer.prepare('og', { title: 'Memory only' }));
    const restarted = await makeComposer({ compose: { disk_cache: false } }, dir);
    assert.equal(await restarted.composer.lookup(restarted.composer.prepare('og', { title: 'Memory only' })), undefined);
  });
});

describe('compose: text', () => {
  const fonts = loadFonts();
  const fit = { width: 1000, max_size: 80, min_size: 40, max_lines: 2 };

  it('keeps a short title at the largest size', () => {
    const fitted = fitText('Short', fit, 700, fonts);
    assert.deepEqual([fitted.fontSize, fitted.lines, fitted.clamped], [80, ['Short'], false]);
  });

  it('shrinks a longer title until it fits the lines', () => {
    const title = 'A considerably longer title that needs smaller type to fit in two lines';
    const fitted = fitText(title, fit, 700, fonts);
    assert.ok(fitted.fontSize < 80 && fitted.fontSize >= 40, `size ${fitted.fontSize}`);
    assert.ok(fitted.lines.length <= 2);
    assert.equal(fitted.lines.join(' '), title);
    for (const line of fitted.lines) assert.ok(fonts.measure(line, fitted.fontSize, 700) <= fit.width);
  });

  it('clamps with an ellipsis when even the smallest size is too big', () => {
    const fitted = fitText('word '.repeat(200), fit, 700, fonts);
    assert.equal(fitted.fontSize, 40);
    assert.equal(fitted.lines.length, 2);
    assert.ok(fitted.clamped);
    assert.ok(fitted.lines[1]!.endsWith('…'));
    for (const line of fitted.lines) assert.ok(fonts.measure(line, 40, 700) <= fit.width);
  });

  it('draws Latin extended, Greek, Cyrillic and Devanagari from the shipped fonts', () => {
    for (const char of 'ąćęłńŞğ ΩΔλ ЖЯщ नम') if (char !== ' ') assert.ok(fonts.canDraw(char.codePointAt(0)!), char);
  });

  it('warns about text no shipped font can draw, naming the characters and the field', async () => {
    const { composer } = await makeComposer();
    const card = await composer.compose(composer.prepare('og', { title: 'Launch 🚀 発売', subtitle: 'Ωμέγα' }));
    assert.equal(card.warnings.length, 1);
    const [warning] = card.warnings;
    assert.equal(warning!.setting, 'data.title');
    assert.match(warning!.message, /U\+1F680/);
    assert.match(warning!.message, /U\+767A/);
    const again = await composer.compose(composer.prepare('og', { title: 'Launch 🚀 発売', subtitle: 'Ωμέγα' }));
    assert.equal(again.cached, true);
    assert.deepEqual(again.warnings, card.warnings);
  });
});

describe('compose: image layers', () => {
  it('a generate layer goes through engine.generate with route compose, sized for its slot, seeded', async () => {
    const { composer, calls } = await makeComposer();
    const plain = await composer.render(composer.prepare('og', { title: 'Layers' }));
    const layered = await composer.render(composer.prepare('og', { title: 'Layers', logo: { generate: { prompt: 'a fox logo' } } }));
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.context.route, 'compose');
    assert.equal(calls[0]!.request.prompt, 'a fox logo');
    assert.deepEqual(calls[0]!.request.size, { width: 256, height: 256 });
    assert.equal(calls[0]!.request.seed, 0);
    assert.ok(!Buffer.from(plain.bytes).equals(Buffer.from(layered.bytes)), 'the layer shows in the card');
  });

  it('takes inline images (base64 and data URL, WebP too) and refuses URLs', async () => {
    const { composer } = await makeComposer();
    const webp = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 0, b: 0 } } }).webp().toBuffer();
    for (const logo of [webp.toString('base64'), `data:image/webp;base64,${webp.toString('base64')}`]) {
      const card = await composer.compose(composer.prepare('og', { title: 'Inline', logo }));
      const { data } = await sharp(card.bytes).extract({ left: 100, top: 100, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
      assert.ok(data[0]! > 150 && data[1]! < 60, `logo pixel ${[...data]}`);
    }
    await assert.rejects(composer.compose(composer.prepare('og', { title: 'x', logo: 'https://example.com/logo.png' })), { code: 'invalid_request', param: 'data.logo' });
  });
});

describe('compose: custom templates from the config', () => {
  const quote = {
    description: 'A quote',
    width: 600,
    height: 300,
    fields: { text: { type: 'text', required: true }, colour: { type: 'color', default: '#112233' }, mark: { type: 'image' } },
    tree: {
      type: 'div',
      style: { display: 'flex', width: 600, height: 300, backgroundColor: '{{colour}}', color: '#ffffff', fontFamily: 'Inter' },
      children: [{ type: 'img', src: '{{mark}}', style: { width: 40, height: 40 } }, { type: 'text', text: '“{{text}}”', fit: { width: 500, max_size: 48, min_size: 20, max_lines: 3 } }],
    },
  };

  it('renders a JSON element tree with placeholders at its size', async () => {
    const { composer } = await makeComposer({ compose: { templates: { quote } } });
    assert.ok(composer.list().some((t) => t.id === 'quote' && !t.builtIn));
    const card = await composer.compose(composer.prepare('quote', { text: 'Simple is better.' }));
    const { data, info } = await sharp(card.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true }); // an opaque card may be RGB
    assert.deepEqual([info.width, info.height], [600, 300]);
    assert.deepEqual([...data.subarray(info.width * 4 * 299 + 4 * 599, info.width * 4 * 299 + 4 * 599 + 3)], [0x11, 0x22, 0x33]);
  });

  it('is refused at load when a placeholder names no field, an img points at a URL, or an id is taken', () => {
    const bad: [unknown, RegExp][] = [
      [{ ...quote, tree: { type: 'text', text: '{{nope}}' } }, /\{\{nope\}\} names no field/],
      [{ ...quote, tree: { type: 'img', src: 'https://example.com/a.png' } }, /URLs are never fetched/],
      [{ ...quote, fields: { format: { type: 'text' } }, tree: 'x' }, /"format" is reserved/],
      [{ ...quote, tree: { type: 'div', children: ['a', 'b'] } }, /several children needs style display: flex/],
      [{ ...quote, html: '<div>x</div>' }, /exactly one of tree \(JSON\) or html/],
    ];
    for (const [template, reason] of bad) {
      assert.throws(() => parseConfig({ compose: { templates: { quote: template } } }), (error: Error) => reason.test(error.message), reason.source);
    }
    assert.throws(() => parseConfig({ compose: { templates: { og: quote } } }), /cannot reuse a built-in template id/);
  });
});

describe('compose: custom templates as HTML/CSS text', () => {
  const html = `
    <div style="display: flex; flex-direction: column; justify-content: center; width: 640px; height: 320px; padding: 40px; background-color: {{tint}}; color: #ffffff; font-family: Inter">
      <img src="{{mark}}" style="width: 48px; height: 48px" />
      <h1 data-fit="560 64 24 2">{{headline}} &amp; more</h1>
      <p style="font-size: 24px; color: #cbd5e1">{{byline}}</p>
    </div>`;
  const template = {
    width: 640,
    height: 320,
    fields: { headline: { type: 'text', required: true }, byline: { type: 'text', default: 'koder' }, tint: { type: 'color', default: '#7c3aed' }, mark: { type: 'image' } },
    html,
  };

  it('renders at its size with the fields filled in', async () => {
    const { composer } = await makeComposer({ compose: { templates: { note: template } } });
    const card = await composer.compose(composer.prepare('note', { headline: 'HTML templates' }));
    const { data, info } = await sharp(card.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true }); // an opaque card may be RGB
    assert.deepEqual([info.width, info.height], [640, 320]);
    assert.deepEqual([...data.subarray(4 * (info.width * 5 + 5), 4 * (info.width * 5 + 5) + 3)], [0x7c, 0x3a, 0xed]);
    // The fitted headline is drawn: some pixels in its band are near white.
    let light = 0;
    for (let y = 100; y < 220; y++) for (let x = 40; x < 600; x++) if (data[4 * (y * info.width + x)]! > 230) light++;
    assert.ok(light > 500, `headline pixels: ${light}`);
  });

  it('refuses unsupported HTML at load, saying why', () => {
    const cases: [string, RegExp][] = [
      ['<div><script>x</script></div>', /<script> is not supported/],
      ['<div>a</span>', /closes <div>/],
      ['<div style="display: flex">', /never closed/],
      ['<div><b>x</b><i>y</i></div>', /not supported/],
      ['<div><img src="http://example.com/a.png"/></div>', /URLs are never fetched/],
      ['<div class="title">x</div>', /<div class=\.\.\.> is not supported: there are no style sheets/],
      ['<div onclick="alert(1)">x</div>', /<div onclick=\.\.\.> is not supported: templates run no scripts/],
      ['<div><img src="{{logo}}" id="l"/></div>', /<img id=\.\.\.> is not supported/],
    ];
    for (const [bad, reason] of cases) {
      assert.throws(() => parseConfig({ compose: { templates: { note: { ...template, html: bad } } } }), (error: Error) => reason.test(error.message), bad);
    }
  });
});

describe('compose: renderers', () => {
  const card = { title: 'Cards in every script: Ελληνικά, Кириллица, नमस्ते', subtitle: 'same tree, two renderers', theme: 'dark', gradient: '#0b1120,#312e81' };
  const pixels = async (bytes: Uint8Array) => (await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true })).data;

  it('Takumi (the default) and satori draw the same card, each byte-stable, under different ETags', async () => {
    const takumi = (await makeComposer({ compose: { disk_cache: false } })).composer;
    const satori = (await makeComposer({ compose: { disk_cache: false, renderer: 'satori' } })).composer;
    const [a, b] = [takumi.prepare('og', card), satori.prepare('og', card)];
    assert.notEqual(a.key, b.key, 'the renderer joins the cache key');
    const [first, again, other] = [await takumi.render(a), await takumi.render(a), await satori.render(b)];
    assert.ok(Buffer.from(first.bytes).equals(Buffer.from(again.bytes)), 'same input, same bytes');
    const [p, q] = [await pixels(first.bytes), await pixels(other.bytes)];
    assert.equal(p.length, q.length);
    let diff = 0;
    let different = 0;
    for (let i = 0; i < p.length; i++) {
      diff += Math.abs(p[i]! - q[i]!);
      if (Math.abs(p[i]! - q[i]!) > 64) different++;
    }
    // Anti-aliasing differs at glyph edges; layout, colours and text must not.
    assert.ok(diff / p.length < 3, `mean difference ${diff / p.length}`);
    assert.ok(different / p.length < 0.01, `${different} channel values far apart`);
  });

  it('encodes WebP and JPEG from Takumi too', async () => {
    const { composer } = await makeComposer({ compose: { disk_cache: false } });
    for (const format of ['webp', 'jpeg'] as const) {
      const drawn = await composer.render(composer.prepare('og', card, format));
      const meta = await sharp(drawn.bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], [format, 1200, 630]);
    }
  });
});
