// Platform globals that node, browsers and web workers all have: the subset the core and the
// protocol use. tsconfig.core.json compiles src/core and src/protocol with only the ECMAScript
// library, this file and wasm-globals.d.ts, so a DOM or node API there fails `npm run check`.
// (The DOM and node typings declare these names themselves for the other layers.)

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

declare function setTimeout(handler: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
