// Runtime checks for every message crossing the host/webview boundary. Both sides treat what arrives
// as untrusted: a message that does not match the protocol is dropped with a one-line reason (the
// caller logs it), never half-used. Results are checked against their method, including that every
// typed array has exactly the length its shape says. What each method, notification and push
// carries is read by the tables in methods.ts.
import type { HostMessage, Method, Methods, WebviewMessage } from './messages';
import { METHOD_TABLE, METHODS, NOTIFICATIONS, PUSHES } from './methods';
import { type Checked, MAX_TEXT, attempt, fail, integer, oneOf, record, string } from './readers';

export type { Checked } from './readers';
export { readHeadPayload, readOverview } from './readers';

function readEvent<T extends Record<string, (o: Record<string, unknown>) => object>>(
  table: T,
  o: Record<string, unknown>,
  what: string,
): object {
  const event = o.event;
  if (typeof event !== 'string' || !Object.prototype.hasOwnProperty.call(table, event))
    return fail('event', `unknown ${what}`);
  return { event, ...table[event](o) };
}

/** Validates a message from the webview. */
export function parseWebviewMessage(value: unknown): Checked<WebviewMessage> {
  return attempt(() => {
    const o = record(value, 'message');
    switch (o.kind) {
      case 'hello':
        return { kind: 'hello', protocol: integer(o.protocol, 'protocol', 0, 1000) };
      case 'request': {
        const id = integer(o.id, 'id', 0);
        const method = oneOf(o.method, METHODS, 'method');
        return { kind: 'request', id, method, params: METHOD_TABLE[method].params(o.params) } as WebviewMessage;
      }
      case 'notify':
        return { kind: 'notify', ...readEvent(NOTIFICATIONS, o, 'notification') } as WebviewMessage;
      default:
        return fail('kind', 'expected hello, request or notify');
    }
  });
}

/** Validates the envelope of a message from the host; results are checked per method by validateResult. */
export function parseHostMessage(value: unknown): Checked<HostMessage> {
  return attempt(() => {
    const o = record(value, 'message');
    if (o.kind === 'response') {
      const id = integer(o.id, 'id', 0);
      if (o.ok === true) return { kind: 'response', id, ok: true, result: o.result };
      if (o.ok === false)
        return { kind: 'response', id, ok: false, error: string(o.error, 'error').slice(0, MAX_TEXT) };
      return fail('ok', 'expected true or false');
    }
    if (o.kind === 'push') return { kind: 'push', ...readEvent(PUSHES, o, 'push') } as HostMessage;
    return fail('kind', 'expected response or push');
  });
}

/** Validates a response's result against the method that was asked. */
export function validateResult<M extends Method>(method: M, value: unknown): Checked<Methods[M]['result']> {
  return attempt(() => METHOD_TABLE[method].result(value) as Methods[M]['result']);
}
