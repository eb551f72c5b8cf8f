/**
 * Custom templates may be written as HTML/CSS text instead of a JSON tree: a small, strict subset,
 * turned into the same element tree when the config loads. Supported: div-like tags (div, span, p,
 * section, header, footer, main, h1-h3), img with a src, inline `style` attributes, text with
 * `{{field}}` placeholders, the five basic entities, and `data-fit="WIDTH MAX MIN LINES"` on an
 * element holding only text. No <style> sheets or classes: anything else is refused with a reason.
 */
import type { Style, TreeNode } from './tree.ts';

const BLOCKS = new Set(['div', 'span', 'p', 'section', 'header', 'footer', 'main', 'h1', 'h2', 'h3']);
const HEADINGS: Record<string, Style> = {
  h1: { fontSize: 64, fontWeight: 700 },
  h2: { fontSize: 48, fontWeight: 700 },
  h3: { fontSize: 36, fontWeight: 700 },
};
/** The attributes each tag may carry; any other (class, id, onclick, ...) is refused, not ignored. */
const ATTRIBUTES: Record<'block' | 'img', ReadonlySet<string>> = {
  block: new Set(['style', 'data-fit']),
  img: new Set(['style', 'src', 'alt']),
};
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };
const TOKEN = /<!--[\s\S]*?-->|<\/\s*([a-zA-Z0-9]+)\s*>|<\s*([a-zA-Z0-9]+)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>|([^<]+)|(<)/g;
const ATTRIBUTE = /([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g;

interface Open {
  tag: string;
  style: Style;
  fit?: string;
  children: TreeNode[];
}

export function htmlToTree(html: string): TreeNode {
  const root: Open = { tag: '#root', style: {}, children: [] };
  const stack: Open[] = [root];
  for (const match of html.matchAll(TOKEN)) {
    const [, closing, opening, attributeText, selfClosing, text, stray] = match;
    const top = stack[stack.length - 1]!;
    if (stray) throw new Error(`a "<" that starts no tag at offset ${match.index}`);
    if (text !== undefined) {
      const collapsed = decode(text).replace(/\s+/g, ' ');
      if (collapsed.trim()) top.children.push(collapsed.trim());
      continue;
    }
    if (closing) {
      const tag = closing.toLowerCase();
      if (top.tag !== tag) throw new Error(`</${tag}> closes <${top.tag}>`);
      stack.pop();
      stack[stack.length - 1]!.children.push(finish(top));
      continue;
    }
    if (!opening) continue;
    const tag = opening.toLowerCase();
    const attributes = readAttributes(attributeText ?? '');
    const allowed = ATTRIBUTES[tag === 'img' ? 'img' : 'block'];
    const refused = Object.keys(attributes).find((name) => !allowed.has(name));
    if (refused) {
      const hint = refused === 'class' ? ': there are no style sheets, use an inline style' : refused.startsWith('on') ? ': templates run no scripts' : '';
      throw new Error(`<${tag} ${refused}=...> is not supported${hint} (allowed: ${[...allowed].join(', ')})`);
    }
    if (tag === 'img') {
      if (!attributes.src) throw new Error('<img> needs a src');
      top.children.push({ type: 'img', src: attributes.src, style: parseStyle(attributes.style ?? '') });
      continue;
    }
    if (!BLOCKS.has(tag)) throw new Error(`<${tag}> is not supported; use ${[...BLOCKS].join(', ')} or img with inline styles`);
    const element: Open = { tag, style: { ...HEADINGS[tag], ...parseStyle(attributes.style ?? '') }, fit: attributes['data-fit'], children: [] };
    if (selfClosing) top.children.push(finish(element));
    else stack.push(element);
  }
  if (stack.length > 1) throw new Error(`<${stack[stack.length - 1]!.tag}> is never closed`);
  if (root.children.length !== 1) throw new Error(`the HTML must have exactly one root element, found ${root.children.length}`);
  return root.children[0]!;
}

function finish(element: Open): TreeNode {
  if (element.fit !== undefined) {
    const numbers = element.fit.trim().split(/\s+/).map(Number);
    if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`data-fit takes "WIDTH MAX_SIZE MIN_SIZE MAX_LINES", got "${element.fit}"`);
    if (!element.children.every((child) => typeof child === 'string')) throw new Error(`data-fit is for an element that holds only text`);
    const [width, max_size, min_size, max_lines] = numbers as [number, number, number, number];
    return { type: 'text', text: element.children.join(' '), style: element.style, fit: { width, max_size, min_size, max_lines } };
  }
  if (element.children.length === 1 && typeof element.children[0] === 'string') return { type: 'text', text: element.children[0], style: element.style };
  return { type: 'div', style: { display: 'flex', ...element.style }, children: element.children };
}

function readAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) attributes[match[1]!.toLowerCase()] = decode(match[2] ?? match[3] ?? '');
  return attributes;
}

/** `font-size: 48px; color: {{tint}}` -> {fontSize: '48px', color: '{{tint}}'}; numbers stay strings with units. */
function parseStyle(text: string): Style {
  const style: Style = {};
  for (const declaration of text.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon < 0) {
      if (declaration.trim()) throw new Error(`style declaration "${declaration.trim()}" has no ":"`);
      continue;
    }
    const property = declaration.slice(0, colon).trim().replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!/^[a-zA-Z]+$/.test(property)) throw new Error(`"${declaration.slice(0, colon).trim()}" is not a CSS property`);
    style[property] = declaration.slice(colon + 1).trim();
  }
  return style;
}

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39);/g, (_, name: string) => ENTITIES[name]!);
}
