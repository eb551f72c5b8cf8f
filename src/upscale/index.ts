export * from './methods.ts';
export * from './upscaler.ts';
export { planTiles, TileBlender, type Tile, type TilePlan } from './tiling.ts';
