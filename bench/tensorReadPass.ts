// One streaming pass over every head of a tensor file, reading and converting to float32 only (no
// statistics): the reader's own throughput, for bench/tensorfiles.mjs.
// The tests' .wasm loader first: float16 slices convert with the WebAssembly kernels, as the bundles do.
import '../test/unit/kernels.setup';
import { openTensorPath } from '../src/node/tensorPath';
import { detectAttention, streamHeads } from '../src/core/tensorfiles';

async function main(): Promise<void> {
  // Timed from here, so the figure is the reader's, not Node's and tsx's start-up.
  const started = performance.now();
  const { file, close } = await openTensorPath(process.argv[2]);
  try {
    const view = detectAttention(file, {});
    let heads = 0,
      checksum = 0;
    for await (const slice of streamHeads(file, view)) {
      heads++;
      if (slice.data.kind === 'map') checksum += slice.data.matrix.data[0];
    }
    process.stdout.write(JSON.stringify({ heads, checksum, ms: performance.now() - started }) + '\n');
  } finally {
    await close();
  }
}
void main();
