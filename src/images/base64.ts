/**
 * Image fields on the wire are base64 or a data URL. A URL is refused, never fetched: the service
 * does not reach out to addresses a caller names.
 */
import { invalidRequest } from '../imagegen/index.ts';

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w-]+=[\w.-]+)*);base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function decodeBase64Image(value: string, param: string): Uint8Array {
  let text = value.trim();
  if (/^(https?|ftp|file):/i.test(text)) {
    throw invalidRequest(`${param} must be base64 or a data URL; URLs are never fetched`, param);
  }
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) text = text.slice(dataUrl[0].length);
  else if (text.startsWith('data:')) throw invalidRequest(`${param} is a data URL without ;base64`, param);
  text = text.replace(/\s+/g, '');
  if (text.length === 0) throw invalidRequest(`${param} is empty`, param);
  if (!BASE64.test(text)) throw invalidRequest(`${param} is not valid base64`, param);
  return new Uint8Array(Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64'));
}
