// What the panel loads from the host, and the caches that keep it: the last few heads, the raw
// (unprojected) head and the thumbnails per mask, the variance experiment once. No DOM, no state:
// callers say which head and mask they want.
import type {
  HeadIndex,
  HeadPayload,
  MaskName,
  Method,
  Methods,
  Overview,
  RegionParams,
  RegionPayload,
  Rotation,
  Thumbnails,
  VarianceSample,
} from '../src/protocol/messages';

/** The part of HostClient this module needs (a test can pass a stand-in). */
export interface Requester {
  request<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']>;
}

/** Heads kept in memory (switching back and forth between a few heads costs no round trip). */
const CACHE_HEADS = 4;

export interface HeadKey {
  readonly layer: number;
  readonly head: HeadIndex;
  /** null: the input's own mask. */
  readonly mask: MaskName | null;
  /** A RoPE model's heads before the rotation ('removed'); absent or 'applied': as the model computes them. */
  readonly rotation?: Rotation;
}

export class PanelData {
  private readonly heads = new Map<string, HeadPayload>();
  private readonly raw = new Map<string, Promise<HeadPayload>>();
  private readonly thumbs = new Map<string, Promise<Thumbnails>>();
  private varianceSamples: Promise<VarianceSample[]> | null = null;

  constructor(private readonly host: Requester) {}

  /** Forgets everything (the host's input changed). */
  reset(): void {
    this.heads.clear();
    this.raw.clear();
    this.thumbs.clear();
  }

  overview(mask: MaskName | null): Promise<Overview> {
    return this.host.request('overview', mask ? { mask } : {});
  }

  async head(key: HeadKey, ownMask: MaskName): Promise<HeadPayload> {
    const removed = key.rotation === 'removed';
    const id = `${key.layer}:${key.head}:${key.mask ?? ownMask}${removed ? ':unrotated' : ''}`;
    const cached = this.heads.get(id);
    if (cached) return cached;
    const payload = await this.host.request('head', {
      layer: key.layer,
      head: key.head,
      mask: key.mask ?? undefined,
      ...(removed ? { rotation: 'removed' as const } : {}),
    });
    this.heads.set(id, payload);
    while (this.heads.size > CACHE_HEADS) this.heads.delete(this.heads.keys().next().value as string);
    return payload;
  }

  rawHead(mask: MaskName | null, ownMask: MaskName): Promise<HeadPayload> {
    return once(this.raw, mask ?? ownMask, () =>
      this.host.request('head', { layer: 0, head: 0, mask: mask ?? undefined, variant: 'raw' }),
    );
  }

  thumbnails(overview: Overview, mask: MaskName | null): Promise<Thumbnails> {
    const count = overview.layers * (overview.heads + 1);
    return once(this.thumbs, mask ?? overview.mask, () =>
      this.host.request('thumbnails', { size: count > 64 ? 32 : 64, mask: mask ?? undefined }),
    );
  }

  /** Thumbnails of a mask are fetched again after the mask is picked anew. */
  dropThumbnails(mask: MaskName): void {
    this.thumbs.delete(mask);
  }

  variance(): Promise<VarianceSample[]> {
    this.varianceSamples ??= this.host.request('variance', {});
    return this.varianceSamples;
  }

  region(params: RegionParams): Promise<RegionPayload> {
    return this.host.request('region', params);
  }
}

/** The cached promise for `key`, made by `load` the first time; a failure is not kept. */
function once<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
