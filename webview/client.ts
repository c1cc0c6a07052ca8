// The webview end of the protocol: typed requests through the RPC helper (src/protocol/rpc.ts),
// results validated against their method (src/protocol/methods.ts) before use; pushes from the
// host handed to the app. Anything malformed is dropped and logged.
import type { HostMessage, Method, Methods, PushMessage, WebviewMessage } from '../src/protocol/messages';
import type { FirstDrawMarks } from '../src/protocol/methods';
import { PROTOCOL_VERSION } from '../src/protocol/messages';
import { RpcCaller } from '../src/protocol/rpc';
import { parseHostMessage, validateResult } from '../src/protocol/validate';

/** How messages leave and arrive: VS Code's webview API, or the report page's in-page host. */
export interface Transport {
  post(message: WebviewMessage): void;
  listen(handler: (data: unknown) => void): void;
}

/** Heads of long inputs take time to compute on the host; past this a request is given up. */
const TIMEOUT_MS = 120_000;

export class HostClient {
  private readonly rpc: RpcCaller<Methods>;
  /** The first load's steps (page clock), sent once with firstDraw: where a slow first heatmap spent its time. */
  private readonly marks: { -readonly [K in keyof FirstDrawMarks]?: number } = {};
  private firstDrawSent = false;

  constructor(
    private readonly transport: Transport,
    /** The page's marks before the client existed (webview/scriptStart.ts, boot()'s start). */
    early: Pick<FirstDrawMarks, 'scriptStart' | 'modulesEvaluated'>,
    private readonly onPush: (push: PushMessage) => void,
  ) {
    this.rpc = new RpcCaller<Methods>((message) => transport.post(message as WebviewMessage), {
      timeoutMs: TIMEOUT_MS,
      peer: 'the host',
      validate: validateResult,
      toError: (_method, error) => new Error(error),
      onInvalid: (method, error) => this.log('error', `malformed ${method} result (${error})`),
    });
    transport.listen((data) => this.receive(data));
    Object.assign(this.marks, early);
    this.marks.hello = performance.now();
    transport.post({ kind: 'hello', protocol: PROTOCOL_VERSION });
  }

  request<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const call = this.rpc.call(method, params);
    if (!this.firstDrawSent && (method === 'overview' || method === 'head')) {
      const step: 'overview' | 'head' = method;
      if (step === 'overview') this.marks.overviewAsked ??= performance.now();
      void call.then(
        () => {
          this.marks[step] ??= performance.now();
        },
        () => undefined,
      );
    }
    return call;
  }

  /**
   * Another input in the same page (the host's reset): the load marks start again at the reset,
   * which stands in for hello (the host took its time when it posted it); no script or modules ran.
   */
  restartLoadMarks(): void {
    const now = performance.now();
    for (const key of Object.keys(this.marks) as (keyof FirstDrawMarks)[]) delete this.marks[key];
    Object.assign(this.marks, { scriptStart: now, modulesEvaluated: now, hello: now });
    this.firstDrawSent = false;
  }

  /** Tells the host the first heatmap is on screen (once per page load), with the load's steps. */
  firstDraw(): void {
    const { scriptStart, modulesEvaluated, hello, overviewAsked, overview, head } = this.marks;
    if (this.firstDrawSent || overviewAsked === undefined || overview === undefined || head === undefined) return;
    this.firstDrawSent = true;
    const marks: FirstDrawMarks = {
      scriptStart: scriptStart ?? 0,
      modulesEvaluated: modulesEvaluated ?? 0,
      hello: hello ?? 0,
      overviewAsked,
      overview,
      head,
      drawn: performance.now(),
    };
    this.transport.post({ kind: 'notify', event: 'firstDraw', marks });
  }

  focusToken(index: number | null, hover = false): void {
    this.transport.post({ kind: 'notify', event: 'focusToken', index, ...(hover ? { hover } : {}) });
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
    const message: HostMessage = parsed.value;
    if (message.kind === 'push') this.onPush(message);
    else if (!this.rpc.receive(message))
      console.warn(`[attention-inspector] ignored a response to unknown request ${message.id}`);
  }
}
