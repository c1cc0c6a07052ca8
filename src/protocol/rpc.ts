// One request/response helper for every channel in the extension: the webview asking its host
// (webview/client.ts), the extension host asking its inspection worker (src/node/workerSource.ts),
// and the attention pool driving its kernel threads (src/node/parallel/pool.ts). It numbers
// requests, matches replies to them, turns failures into errors, gives up on a timeout or an
// AbortSignal (CancelledError), and passes transferables through. Browser-safe: the channel is any
// `post` function and whoever receives messages hands them to `receive`.
//
// Wire format (the webview protocol's, so the panel's messages are unchanged):
//   request  { kind: 'request', id, method, params }
//   response { kind: 'response', id, ok: true, result } | { kind: 'response', id, ok: false, error, input? }
// `input` is true when the error is about the user's input (an InputError), not a bug.
import { InputError, oneLineMessage } from '../core';
import { CancelledError } from './cancelled';

/** A method table as types: each method's parameters and result. */
export type MethodMap = Record<string, { params: unknown; result: unknown }>;

/** What postMessage may move instead of copying (an ArrayBuffer, a MessagePort…). */
export type Transfer = readonly object[];

export interface RpcRequest<M extends MethodMap = MethodMap, K extends keyof M & string = keyof M & string> {
  readonly kind: 'request';
  readonly id: number;
  readonly method: K;
  readonly params: M[K]['params'];
}

export type RpcResponse =
  | { readonly kind: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | {
      readonly kind: 'response';
      readonly id: number;
      readonly ok: false;
      readonly error: string;
      readonly input?: boolean;
    };

/** Sends one message over the channel (postMessage), with what to transfer. */
export type Post = (message: unknown, transfer?: Transfer) => void;

export interface CallOptions {
  /** Aborting rejects the call with CancelledError (the peer is not interrupted: see RpcCaller.onCancel). */
  readonly signal?: AbortSignal;
  /** Buffers to move with the request instead of copying them. */
  readonly transfer?: Transfer;
}

export interface RpcCallerOptions<M extends MethodMap> {
  /** Checks a result against its method before the caller sees it; a failure rejects the call. */
  readonly validate?: <K extends keyof M & string>(
    method: K,
    result: unknown,
  ) => { ok: true; value: M[K]['result'] } | { ok: false; error: string };
  /** Past this a pending call is given up (the webview: a host that never answers). */
  readonly timeoutMs?: number;
  /** Who answers, for error messages ("the host"); default "the peer". */
  readonly peer?: string;
  /** Told when a result fails `validate` (the webview logs it to the host). */
  readonly onInvalid?: (method: string, error: string) => void;
  /** The error a failed response becomes (default: InputError for input errors, Error otherwise). */
  readonly toError?: (method: string, error: string, input: boolean) => Error;
  /** Called when a call is aborted, with its id (a worker source terminates the worker). */
  readonly onCancel?: (id: number) => void;
}

interface Pending {
  readonly method: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  readonly cleanup: () => void;
}

/** The calling end: `call` posts a request and settles when `receive` gets its response. */
export class RpcCaller<M extends MethodMap> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly post: Post,
    private readonly options: RpcCallerOptions<M> = {},
  ) {}

  private get peer(): string {
    return this.options.peer ?? 'the peer';
  }

  /** Calls waiting for their response. */
  get pendingCount(): number {
    return this.pending.size;
  }

  call<K extends keyof M & string>(
    method: K,
    params: M[K]['params'],
    options: CallOptions = {},
  ): Promise<M[K]['result']> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    const id = this.nextId++;
    return new Promise<M[K]['result']>((resolve, reject) => {
      const { timeoutMs } = this.options;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => this.settle(id, new Error(`${method}: no answer from ${this.peer} after ${timeoutMs / 1000} s`)),
              timeoutMs,
            );
      const onAbort = (): void => {
        this.settle(id, new CancelledError(signal?.reason));
        this.options.onCancel?.(id);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, cleanup });
      const request: RpcRequest<M, K> = { kind: 'request', id, method, params };
      try {
        this.post(request, options.transfer);
      } catch (e) {
        this.settle(id, e);
      }
    });
  }

  /**
   * Hands over a message that arrived: true when it was the response to one of this caller's calls
   * (settled now), false for anything else (the caller's owner handles pushes and drops the rest).
   */
  receive(message: unknown): boolean {
    if (!isResponse(message)) return false;
    const waiting = this.pending.get(message.id);
    if (!waiting) return false;
    if (!message.ok) {
      const toError = this.options.toError ?? defaultError;
      this.settle(message.id, toError(waiting.method, message.error, message.input === true));
      return true;
    }
    const validate = this.options.validate;
    if (!validate) {
      this.settle(message.id, undefined, message.result);
      return true;
    }
    const checked = validate(waiting.method as keyof M & string, message.result);
    if (checked.ok) this.settle(message.id, undefined, checked.value);
    else {
      this.options.onInvalid?.(waiting.method, checked.error);
      this.settle(message.id, new Error(`${this.peer} sent a malformed ${waiting.method} result (${checked.error})`));
    }
    return true;
  }

  /** Rejects every pending call (the peer died, was terminated, or its owner was disposed). */
  rejectAll(reason: unknown): void {
    for (const id of [...this.pending.keys()]) this.settle(id, reason);
  }

  private settle(id: number, error: unknown, value?: unknown): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    waiting.cleanup();
    if (error === undefined) waiting.resolve(value);
    else waiting.reject(error);
  }
}

function defaultError(_method: string, error: string, input: boolean): Error {
  if (!input) return new Error(error);
  const e = new InputError('input', error);
  e.message = error; // the peer's line already says where and what
  return e;
}

function isResponse(message: unknown): message is RpcResponse {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as { kind?: unknown; id?: unknown; ok?: unknown };
  return m.kind === 'response' && typeof m.id === 'number' && typeof m.ok === 'boolean';
}

/** A handler's result, and optionally what to transfer with it (see `withTransfer`). */
const TRANSFER = Symbol('transfer');
interface Transferring {
  readonly [TRANSFER]: Transfer;
  readonly value: unknown;
}

/** Marks a result whose buffers are moved to the caller (the handler must not use them afterwards). */
export function withTransfer<T>(value: T, transfer: Transfer): T {
  return { [TRANSFER]: transfer, value } as unknown as T;
}

/** Each method's handler: parameters in, result (or a promise of it) out. */
export type Handlers<M extends MethodMap> = {
  [K in keyof M & string]: (params: M[K]['params']) => M[K]['result'] | Promise<M[K]['result']>;
};

export interface ServeOptions {
  /** The one line a failure becomes, and whether it is the user's input (default: InputError ⇒ input). */
  readonly describe?: (error: unknown, method: string) => { error: string; input: boolean };
}

/**
 * The answering end: runs the request's handler and posts its response. An unknown method or a
 * throwing handler becomes an `ok: false` response; nothing escapes.
 */
export async function serveRequest<M extends MethodMap>(
  handlers: Handlers<M>,
  request: RpcRequest,
  post: Post,
  options: ServeOptions = {},
): Promise<void> {
  let response: RpcResponse;
  let transfer: Transfer | undefined;
  try {
    const handler = Object.prototype.hasOwnProperty.call(handlers, request.method)
      ? (handlers as Record<string, (p: unknown) => unknown>)[request.method]
      : undefined;
    if (!handler) throw new InputError('method', `unknown method ${JSON.stringify(request.method)}`);
    let result = await handler(request.params);
    if (typeof result === 'object' && result !== null && TRANSFER in result) {
      transfer = (result as Transferring)[TRANSFER];
      result = (result as Transferring).value;
    }
    response = { kind: 'response', id: request.id, ok: true, result };
  } catch (e) {
    const described = (options.describe ?? describeError)(e, request.method);
    response = { kind: 'response', id: request.id, ok: false, ...described };
  }
  post(response, transfer);
}

function describeError(error: unknown): { error: string; input: boolean } {
  return { error: oneLineMessage(error), input: error instanceof InputError };
}

/** Whether a message has the shape of a request (its method and params are the handler's to check). */
export function isRequest(message: unknown): message is RpcRequest {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as { kind?: unknown; id?: unknown; method?: unknown };
  return m.kind === 'request' && typeof m.id === 'number' && typeof m.method === 'string';
}
