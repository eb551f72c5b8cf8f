/** Reported by /healthz, the OpenAPI document and `kimaging --version`. */
export const VERSION = '0.1.0';
