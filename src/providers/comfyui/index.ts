export { createComfyUIProvider } from './comfyui-provider.ts';
export type { ComfyUIProvider } from './comfyui-provider.ts';
export { COMFYUI_DEFAULTS } from './comfyui-settings.ts';
export type { ComfyUIDefaults, ComfyUIModelId, ComfyUIProviderSettings, ComfyUIWorkflowSet } from './comfyui-settings.ts';
export { DEFAULT_GRAPHS, PLACEHOLDERS, fillWorkflow, parseWorkflow, readWorkflowFile } from './comfyui-workflow.ts';
export type { Graph, Placeholder, Workflow } from './comfyui-workflow.ts';
