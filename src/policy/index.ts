export * from './policy.ts';
export * from './tenants.ts';
export * from './keys.ts';
export * from './caps.ts';
export * from './prices.ts';
export { localDay, secondsUntilNextDay } from './windows.ts';
export { checkPrompt, classifyPrompt, type Finding } from './safety/prompt.ts';
export { effectiveLevel, CATEGORIES, type Category } from './safety/levels.ts';
export { imageClassifier, imageVerdict, type ImageClassifier, type NsfwScores } from './safety/image.ts';
