/**
 * Title fitting: the largest font size between max and min at which the text wraps into at most
 * max_lines within the box; if even min_size needs more lines, the text is clamped at max_lines
 * with an ellipsis. Lines are decided here (with the fonts' own advance widths) and drawn one per
 * row, so satori never re-wraps them differently.
 */
import type { FontSet, FontWeight } from './fonts.ts';
import type { TextFit } from './tree.ts';

/** Kerning and rounding differ slightly from plain advance sums; keep this much room spare. */
const SAFETY = 0.97;
const ELLIPSIS = '…';
/** The line height fitted text is drawn with unless its style says otherwise. */
export const LINE_HEIGHT = 1.15;

export interface FittedText {
  fontSize: number;
  lines: string[];
  clamped: boolean;
}

export function fitText(text: string, fit: TextFit, weight: FontWeight, fonts: FontSet): FittedText {
  const width = fit.width * SAFETY;
  const measure = (line: string, size: number) => fonts.measure(line, size, weight);
  // Down in steps of 2, ending exactly on min_size whatever the parity of the range.
  // A size that must break a word is refused while a smaller one remains: "Internationalization"
  // shrinks onto one line rather than splitting as "Internationaliz / ation".
  const maxLines = (size: number) =>
    fit.max_height === undefined ? fit.max_lines : Math.max(1, Math.min(fit.max_lines, Math.floor(fit.max_height / (size * LINE_HEIGHT))));
  for (let size = fit.max_size; ; size = Math.max(fit.min_size, size - 2)) {
    const { lines, brokeWord } = wrap(text, width, size, measure);
    if (lines.length <= maxLines(size) && (!brokeWord || size <= fit.min_size)) return { fontSize: size, lines, clamped: false };
    if (size <= fit.min_size) break;
  }
  const size = fit.min_size;
  const max = maxLines(size);
  const lines = wrap(text, width, size, measure).lines.slice(0, max);
  let last = lines[max - 1]!;
  while (last.length > 0 && measure(last + ELLIPSIS, size) > width) last = [...last].slice(0, -1).join('');
  lines[max - 1] = last.trimEnd() + ELLIPSIS;
  return { fontSize: size, lines, clamped: true };
}

/** Greedy word wrap; a word wider than the box is broken between characters (and said so). */
function wrap(text: string, width: number, size: number, measure: (line: string, size: number) => number): { lines: string[]; brokeWord: boolean } {
  const lines: string[] = [];
  let brokeWord = false;
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (measure(candidate, size) <= width) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = '';
      for (const char of word) {
        if (line && measure(line + char, size) > width) {
          brokeWord = true;
          lines.push(line);
          line = '';
        }
        line += char;
      }
    }
    lines.push(line);
  }
  return { lines, brokeWord };
}
