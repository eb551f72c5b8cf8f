// Runs one entry point of the package: the TypeScript sources when they are here (a clone, where
// `npm run build` may be stale or absent), the built code otherwise (an installed package ships
// dist/ without src/, see "files" in package.json).
import { existsSync } from 'node:fs';

export async function runEntry(path) {
  const source = new URL(`../src/${path}.ts`, import.meta.url);
  if (!existsSync(source)) return import(new URL(`../dist/${path}.js`, import.meta.url).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(source.href);
}
