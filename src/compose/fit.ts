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

export interface FittedText {
  fontSize: number;
  lines: string[];
  clamped: boolean;
}

export function fitText(text: string, fit: TextFit, weight: FontWeight, fonts: FontSet): FittedText {
  const width = fit.width * SAFETY;
  const measure = (line: string, size: number) => fonts.measure(line, size, weight);
  // Down in steps of 2, ending exactly on min_size whatever the parity of the range.
  for (let size = fit.max_size; ; size = Math.max(fit.min_size, size - 2)) {
    const lines = wrap(text, width, size, measure);
    if (lines.length <= fit.max_lines) return { fontSize: size, lines, clamped: false };
    if (size <= fit.min_size) break;
  }
  const size = fit.min_size;
  const lines = wrap(text, width, size, measure).slice(0, fit.max_lines);
  let last = lines[fit.max_lines - 1]!;
  while (last.length > 0 && measure(last + ELLIPSIS, size) > width) last = [...last].slice(0, -1).join('');
  lines[fit.max_lines - 1] = last.trimEnd() + ELLIPSIS;
  return { fontSize: size, lines, clamped: true };
}

/** Greedy word wrap; a word wider than the box is broken between characters. */
function wrap(text: string, width: number, size: number, measure: (line: string, size: number) => number): string[] {
  const lines: string[] = [];
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
          lines.push(line);
          line = '';
        }
        line += char;
      }
    }
    lines.push(line);
  }
  return lines;
}
