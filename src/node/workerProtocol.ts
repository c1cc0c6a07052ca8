// What the extension host asks an inspection worker (worker_threads; structured clone, so typed
// arrays travel as typed arrays): the protocol's source methods (src/protocol/methods.ts), plus
// `open`. Carried by the RPC helper (src/protocol/rpc.ts).
import type { OpenRequest, OpenedInfo } from '../host/openRequest';
import type { SourceMethods } from '../host/sourceMethods';

export type WorkerMethods = SourceMethods & {
  /** Opens the input (closing the previous one); later calls ask this input. */
  open: { params: OpenRequest; result: OpenedInfo };
};
