// The dispatch of the protocol's source methods (src/protocol/methods.ts) onto an InspectionSource,
// written once: the panel session answers with it in the extension host and in report pages, the
// node inspection worker serves it (src/node/inspectionWorker.ts), and the web build runs it in
// process (src/web/inProcessSource.ts). `ForwardingSource` is the other direction: an
// InspectionSource whose every method is one call of a method by name (a worker, a deferred open).
import { InputError, varianceExperiment } from '../core';
import type {
  HeadIndex,
  HeadPayload,
  MaskName,
  Overview,
  RegionParams,
  RegionPayload,
  Thumbnails,
  VarianceSample,
} from '../protocol/messages';
import type { Methods, SourceMethod } from '../protocol/methods';
import type { Handlers } from '../protocol/rpc';
import { packThumbnails } from './payload';
import type { HeadOptions, InspectionSource } from './source';

export type SourceMethods = Pick<Methods, SourceMethod>;
type Params<M extends SourceMethod> = Methods[M]['params'];
type Result<M extends SourceMethod> = Methods[M]['result'];

/** Thumbnails for sources that do not pool their own: every head read once, one at a time. */
export async function thumbnailsFromHeads(
  source: InspectionSource,
  size: number,
  mask?: MaskName,
): Promise<Thumbnails> {
  const overview = await source.overview(mask);
  const items: { layer: number; head: HeadIndex; weights: Float32Array }[] = [];
  let allowed: Uint8Array | null = null;
  for (let layer = 0; layer < overview.layers; layer++) {
    for (let head = 0; head < overview.heads; head++) {
      const p = await source.head(layer, head, { mask });
      allowed = p.allowed;
      items.push({ layer, head, weights: p.weights });
    }
  }
  return packThumbnails(items, overview.n, overview.m, allowed, size);
}

let varianceCache: VarianceSample[] | null = null;
/** The core's Var(q·k) experiment: it does not depend on the input. */
function defaultVariance(): VarianceSample[] {
  varianceCache ??= varianceExperiment().map(({ dK, samples, varDot, varScaled }) => ({
    dK,
    samples,
    varDot,
    varScaled,
  }));
  return varianceCache;
}

/** One handler per source method: the compiler refuses a method of the table without one. */
const SOURCE_HANDLERS: { [M in SourceMethod]: (source: InspectionSource, params: Params<M>) => Promise<Result<M>> } = {
  overview: (source, p) => source.overview(p.mask),
  head: (source, p) => source.head(p.layer, p.head, { mask: p.mask, variant: p.variant, rotation: p.rotation }),
  thumbnails: async (source, p) =>
    source.thumbnails ? source.thumbnails(p.size, p.mask) : thumbnailsFromHeads(source, p.size, p.mask),
  variance: async (source) => (source.variance ? source.variance() : defaultVariance()),
  region: async (source, p) => {
    if (!source.region) throw new InputError('region', 'this input is shown at full resolution already');
    return source.region(p);
  },
};

/** Answers one (validated) source method from `source`. Throws InputError for what it cannot answer. */
export function callSource<M extends SourceMethod>(
  source: InspectionSource,
  method: M,
  params: Params<M>,
): Promise<Result<M>> {
  const handler = SOURCE_HANDLERS[method] as
    ((source: InspectionSource, params: Params<M>) => Promise<Result<M>>) | undefined;
  if (!handler) return Promise.reject(new InputError('method', `unknown method ${JSON.stringify(method)}`));
  return handler(source, params);
}

/** RPC handlers (src/protocol/rpc.ts) for every source method, each asking the source `current()` returns. */
export function sourceHandlers(current: () => InspectionSource): Handlers<SourceMethods> {
  const entries = (Object.keys(SOURCE_HANDLERS) as SourceMethod[]).map((method) => [
    method,
    (params: Params<SourceMethod>) => callSource(current(), method, params),
  ]);
  return Object.fromEntries(entries) as Handlers<SourceMethods>;
}

export function isSourceMethod(method: string): method is SourceMethod {
  return Object.prototype.hasOwnProperty.call(SOURCE_HANDLERS, method);
}

/** Structured clone keeps `undefined` properties; dropping them lets the far side's defaults apply. */
function defined<T extends object>(params: T): T {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as T;
}

/**
 * An InspectionSource over a `call(method, params)` function: the worker source sends the call to
 * its thread, the web source runs it in process. Every source method exists here, so the far side
 * (callSource) decides the fallbacks and the refusals.
 */
export abstract class ForwardingSource implements InspectionSource {
  protected abstract call<M extends SourceMethod>(method: M, params: Params<M>): Promise<Result<M>>;

  overview(mask?: MaskName): Promise<Overview> {
    return this.call('overview', defined({ mask }));
  }

  head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    return this.call(
      'head',
      defined({ layer, head, mask: options.mask, variant: options.variant, rotation: options.rotation }),
    );
  }

  thumbnails(size: number, mask?: MaskName): Promise<Thumbnails> {
    return this.call('thumbnails', defined({ size, mask }));
  }

  variance(): Promise<VarianceSample[]> {
    return this.call('variance', {});
  }

  region(params: RegionParams): Promise<RegionPayload> {
    return this.call('region', defined(params));
  }
}
