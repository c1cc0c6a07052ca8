// The webview end of the protocol: typed requests with ids, one response each, validated before
// use; pushes from the host handed to the app. Anything malformed is dropped and logged.
import type { HostMessage, Method, Methods, WebviewMessage } from '../src/protocol/messages';
import { PROTOCOL_VERSION } from '../src/protocol/messages';
import { parseHostMessage, validateResult } from '../src/protocol/validate';

/** How messages leave and arrive: VS Code's webview API, or the report page's in-page host. */
export interface Transport {
  post(message: WebviewMessage): void;
  listen(handler: (data: unknown) => void): void;
}

type Push = Extract<HostMessage, { kind: 'push' }>;

interface Pending {
  readonly method: Method;
  resolve(value: unknown): void;
  reject(error: Error): void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Heads of long inputs take time to compute on the host; past this a request is given up. */
const TIMEOUT_MS = 120_000;

export class HostClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly transport: Transport, private readonly onPush: (push: Push) => void) {
    transport.listen((data) => this.receive(data));
    transport.post({ kind: 'hello', protocol: PROTOCOL_VERSION });
  }

  request<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from the host after ${TIMEOUT_MS / 1000} s`));
      }, TIMEOUT_MS);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.transport.post({ kind: 'request', id, method, params } as WebviewMessage);
    });
  }

  focusToken(index: number | null): void {
    this.transport.post({ kind: 'notify', event: 'focusToken', index });
  }

  log(level: 'warn' | 'error', text: string): void {
    console[level](`[attention-inspector] ${text}`);
    this.transport.post({ kind: 'notify', event: 'log', level, text });
  }

  private receive(data: unknown): void {
    const parsed = parseHostMessage(data);
    if (!parsed.ok) {
      console.warn(`[attention-inspector] ignored a malformed message from the host (${parsed.error})`);
      return;
    }
    const message = parsed.value;
    if (message.kind === 'push') {
      this.onPush(message);
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) {
      console.warn(`[attention-inspector] ignored a response to unknown request ${message.id}`);
      return;
    }
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (!message.ok) {
      waiting.reject(new Error(message.error));
      return;
    }
    const checked = validateResult(waiting.method, message.result);
    if (checked.ok) waiting.resolve(checked.value);
    else {
      this.log('error', `malformed ${waiting.method} result (${checked.error})`);
      waiting.reject(new Error(`the host sent a malformed ${waiting.method} result (${checked.error})`));
    }
  }
}
