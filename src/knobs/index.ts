export * from './vocabulary.ts';
export * from './dialect.ts';
export * from './normalize.ts';
