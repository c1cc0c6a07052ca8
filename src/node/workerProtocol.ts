// What the extension host asks an inspection worker (worker_threads; structured clone, so typed
// arrays travel as typed arrays): the protocol's source methods (src/protocol/methods.ts), plus
// `open`. Carried by the RPC helper (src/protocol/rpc.ts).
import type { OpenRequest, OpenedInfo } from '../host/openRequest';
import type { SourceMethods } from '../host/sourceMethods';

export type WorkerMethods = SourceMethods & {
  /** Opens the input (closing the previous one); later calls ask this input. */
  open: { params: OpenRequest; result: OpenedInfo };
  /**
   * Drops the open input (a closed panel's scores) but keeps a loaded model, so a worker parked
   * after its panel closed holds only the model (workerSource.ts IdleModelWorkers).
   */
  release: { params: null; result: { heldModel: string | null } };
};

/** What a worker posts while it opens a model: a layer of the forward pass is done. */
export interface WorkerProgress {
  readonly kind: 'progress';
  readonly done: number;
  readonly total: number;
}

export function isWorkerProgress(message: unknown): message is WorkerProgress {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Partial<WorkerProgress>;
  return (
    m.kind === 'progress' &&
    Number.isInteger(m.done) &&
    Number.isInteger(m.total) &&
    (m.total as number) > 0 &&
    (m.done as number) >= 0
  );
}
