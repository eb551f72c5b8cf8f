/** What a new user tripped on in composed cards: blank cards, words split, low contrast, a doubled dash. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitText, LINE_HEIGHT } from '../../src/compose/fit.ts';
import { loadFonts } from '../../src/compose/fonts.ts';
import { contrastOf, palette } from '../../src/compose/templates/theme.ts';
import { socialCard } from '../../src/compose/templates/social-card.ts';
import type { TreeNode } from '../../src/compose/tree.ts';
import { makeApp } from '../helpers/app.ts';

const texts = (node: TreeNode): string[] =>
  typeof node === 'string' ? [node] : node.type === 'text' ? [node.text] : node.type === 'div' ? (node.children ?? []).flatMap(texts) : [];
const findText = (node: TreeNode, text: string): Extract<TreeNode, { type: 'text' }> | undefined => {
  if (typeof node === 'string') return undefined;
  if (node.type === 'text') return node.text === text ? node : undefined;
  return node.type === 'div' ? (node.children ?? []).map((child) => findText(child, text)).find(Boolean) : undefined;
};

describe('compose: a title with nothing to draw', () => {
  for (const [title, why] of [
    ['漢字のタイトル', /no shipped font can draw any of its characters \("漢" U\+6F22/],
    ['   ', /empty or only spaces/],
  ] as const) {
    it(`GET and POST answer 422 naming the field for ${JSON.stringify(title)}, and nothing is cached`, async () => {
      const { app, post } = await makeApp();
      const get = await app.request(`/v1/compose/og?title=${encodeURIComponent(title)}`);
      assert.equal(get.status, 422);
      assert.equal(get.headers.get('cache-control'), null);
      const body = (await get.json()) as { error: { code: string; param: string; message: string } };
      assert.equal(body.error.code, 'unsupported');
      assert.equal(body.error.param, 'title');
      assert.match(body.error.message, why);
      const posted = await post('/v1/compose', { template: 'og', data: { title } });
      assert.equal(posted.status, 422);
      assert.equal(((await posted.json()) as { error: { param: string } }).error.param, 'data.title');
    });
  }

  it('a title partly drawable still renders, with a warning for what was left out', async () => {
    const { post } = await makeApp();
    const res = await post('/v1/compose', { template: 'og', data: { title: 'Launch 漢字' } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { warnings: { setting: string; message: string }[] };
    assert.equal(body.warnings[0]?.setting, 'data.title');
  });
});

describe('compose: fitting long words', () => {
  const fonts = loadFonts();
  it('shrinks a single long word onto one line rather than splitting it', () => {
    const fitted = fitText('Internationalization', { width: 700, max_size: 96, min_size: 40, max_lines: 3 }, 700, fonts);
    assert.deepEqual(fitted.lines, ['Internationalization']);
    assert.ok(fitted.fontSize < 96, `size ${fitted.fontSize}`);
  });
  it('breaks a word only when even the smallest size cannot hold it', () => {
    const fitted = fitText('Pneumonoultramicroscopicsilicovolcanoconiosis', { width: 500, max_size: 60, min_size: 40, max_lines: 3 }, 700, fonts);
    assert.equal(fitted.fontSize, 40);
    assert.ok(fitted.lines.length > 1);
    assert.equal(fitted.lines.join(''), 'Pneumonoultramicroscopicsilicovolcanoconiosis');
  });
});

describe('compose: fitting a box height', () => {
  it('big type takes only the lines the height holds, then shrinks', () => {
    const fit = { width: 912, max_size: 128, min_size: 48, max_lines: 7, max_height: 700 };
    const fitted = fitText('The output half of an AI stack: images out, with one cache and one bill.', fit, 700, loadFonts());
    assert.ok(fitted.lines.length * fitted.fontSize * LINE_HEIGHT <= 700, `${fitted.lines.length} lines at ${fitted.fontSize}`);
    assert.ok(fitted.fontSize > 48 && !fitted.clamped);
  });
});

describe('compose: readable colours on a chosen backdrop', () => {
  const gradient = '#0ea5e9,#6366f1'; // the README's example
  for (const theme of ['light', 'dark']) {
    it(`${theme} theme: title and subtitle keep WCAG AA for large text (3:1) on the README gradient`, () => {
      const colours = palette({ theme, gradient });
      for (const stop of gradient.split(',')) {
        assert.ok(contrastOf(colours.muted, stop) >= 3, `muted ${colours.muted} on ${stop}: ${contrastOf(colours.muted, stop).toFixed(2)}`);
        assert.ok(contrastOf(colours.text, stop) >= 3, `text ${colours.text} on ${stop}`);
      }
    });
  }
  it('keeps the theme palette on the theme background and under a background picture', () => {
    assert.deepEqual(palette({ theme: 'light' }), palette({ theme: 'light', gradient, background_image: 'data:...' }));
    assert.equal(palette({ theme: 'dark', background: '#000000' }).muted, palette({ theme: 'dark' }).muted);
  });
  it('switches to light text on a dark background under the light theme', () => {
    assert.equal(palette({ theme: 'light', background: '#111111' }).text, palette({ theme: 'dark' }).text);
  });
});

describe('compose: social card', () => {
  const size = { width: 1080, height: 1080 };
  it('draws one attribution dash whether or not the subtitle brings its own', () => {
    for (const subtitle of ['Ada Lovelace', '— Ada Lovelace', '- Ada Lovelace', '–Ada Lovelace']) {
      const drawn = texts(socialCard.build({ title: 'Quote', subtitle }, size));
      assert.ok(drawn.includes('— Ada Lovelace'), `${subtitle}: ${JSON.stringify(drawn)}`);
    }
  });
  it('a short square quote is drawn large enough to fill the card', () => {
    assert.equal(findText(socialCard.build({ title: 'Images out.' }, size), 'Images out.')?.fit?.max_size, 128);
  });
});
