// Text encoding, which node, browsers and web workers all have: the subset the core uses.
// tsconfig.core.json compiles src/core and src/protocol with only the ECMAScript library, this file
// and wasm-globals.d.ts, so a DOM or node API there fails `npm run check`. (The DOM and node
// typings declare these names themselves for the other layers.)

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
