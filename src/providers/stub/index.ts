export { createStubProvider } from './stub-provider.ts';
export type { StubProviderSettings } from './stub-provider.ts';
