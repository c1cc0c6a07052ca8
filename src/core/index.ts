// The attention core's public surface: pure TypeScript, no vscode, no node: the extension host, the
// CLI, the webview and the tests all import from here.
export * from './matrix';
export * from './random';
export * from './mask';
export * from './attention';
export * from './scale';
export * from './sharpness';
export * from './liveSoftmax';
export * from './variance';
export * from './selfSimilarity';
export * from './text';
export * from './errors';
export * from './limits';
export * from './schema';
export * from './inspect';
