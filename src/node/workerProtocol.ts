// Messages between the extension host and an inspection worker (worker_threads; structured clone,
// so typed arrays travel as typed arrays).
import type { OpenRequest } from '../host/openRequest';

export type SourceMethod = 'overview' | 'head' | 'thumbnails' | 'variance' | 'region';

export type WorkerRequest =
  | { readonly id: number; readonly op: 'open'; readonly request: OpenRequest }
  | { readonly id: number; readonly op: 'call'; readonly method: SourceMethod; readonly args: unknown[] };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  /** `input`: the error is the user's input (an InputError), not a bug. */
  | { readonly id: number; readonly ok: false; readonly error: string; readonly input: boolean };
