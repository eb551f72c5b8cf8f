export * from './limits.ts';
export * from './decode.ts';
export * from './encode.ts';
export * from './mask.ts';
export * from './base64.ts';
