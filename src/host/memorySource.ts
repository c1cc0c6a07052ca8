// The in-memory source: a JSON document or a piece of text, inspected by the core on demand and
// cached per mask. Browser-safe (no node, no vscode): the standalone report rebuilds it in the page
// from the same SourceSpec.
import {
  type AttentionInput,
  type ComputeEngine,
  type HeadInspection,
  type Inspection,
  type LimitOptions,
  type MaskSpec,
  type ScaleRule,
  InputError,
  inspect,
  isMaskWord,
  isRescalable,
  parseAttentionJson,
  textInput,
  varianceExperiment,
} from '../core';
import type { HeadIndex, HeadPayload, MaskName, Overview, Thumbnails, VarianceSample } from '../protocol/messages';
import type { HeadOptions, InspectionSource, SourceSpec } from './source';
import { meanPayload, packThumbnails, payloadOf, summaryOf, meanWeights } from './payload';

const TITLE_CHARS = 60;

export function titleOf(spec: SourceSpec): string {
  if (spec.title) return spec.title;
  if (spec.kind === 'json') return 'attention input';
  const flat = spec.text.replace(/\s+/g, ' ').trim();
  return flat.length > TITLE_CHARS ? `“${flat.slice(0, TITLE_CHARS)}…”` : `“${flat}”`;
}

/** Q = K = V = X: attention without projections (what the "why projections" view compares against). */
function rawInputOf(input: AttentionInput): AttentionInput | null {
  if (input.form !== 'projected') return null;
  const { X } = input;
  return { form: 'qkv', Q: X, K: X, V: X, tokens: input.tokens, keyTokens: input.keyTokens };
}

function readSpec(value: unknown): SourceSpec {
  if (typeof value !== 'object' || value === null)
    throw new InputError('report data', 'expected an object with kind "text" or "json"');
  const o = value as Record<string, unknown>;
  if (o.kind === 'text' && typeof o.text === 'string') return o as unknown as SourceSpec;
  if (o.kind === 'json' && typeof o.json === 'string') return o as unknown as SourceSpec;
  throw new InputError('report data.kind', 'expected "text" (with text) or "json" (with json)');
}

export class MemorySource implements InspectionSource {
  private readonly inspections = new Map<string, Inspection>();
  private varianceCache: VarianceSample[] | null = null;
  private readonly rawInput: AttentionInput | null;
  private readonly baseMask: MaskName;
  private readonly title: string;

  private constructor(
    private readonly input: AttentionInput,
    private readonly form: Overview['form'],
    private readonly scale: ScaleRule | undefined,
    private readonly maskOverride: MaskSpec | undefined,
    readonly spec: SourceSpec,
    private readonly engine: ComputeEngine | undefined,
  ) {
    const mask = maskOverride;
    const own = mask ?? input.mask ?? 'none';
    this.baseMask = typeof own === 'string' ? own : 'custom';
    this.rawInput = rawInputOf(input);
    this.title = titleOf(spec);
    // Validate now (scale/mask overrides against the input), so a bad input fails where it is opened.
    this.inspection(this.baseMask, 'projected');
  }

  /**
   * Builds the source a spec describes; bad input throws InputError naming the field and rule.
   * `engine` computes the heads (the WebAssembly kernels in the extension's worker; default: the
   * TypeScript reference, which the standalone report uses). `limits` (src/core/limits.ts) apply
   * unless the spec carries its own; the defaults otherwise (4096 tokens, 512 MiB of JSON).
   */
  static fromSpec(value: unknown, engine?: ComputeEngine, limits?: LimitOptions): MemorySource {
    const spec = readSpec(value);
    if (spec.mask !== undefined && !isMaskWord(spec.mask))
      throw new InputError('mask', `unknown mask ${JSON.stringify(spec.mask)}`);
    const caps: LimitOptions = {
      ...limits,
      ...(typeof spec.limits === 'object' && spec.limits !== null ? spec.limits : {}),
    };
    if (spec.kind === 'text') {
      const { input } = textInput(
        spec.text,
        spec.settings ?? {},
        spec.maxTokens !== undefined ? { ...caps, maxTokens: spec.maxTokens } : caps,
      );
      return new MemorySource(input, 'text', spec.scale, spec.mask, spec, engine);
    }
    const input = parseAttentionJson(spec.json, caps);
    return new MemorySource(input, input.form, spec.scale, spec.mask, spec, engine);
  }

  private maskSpec(mask: MaskName): MaskSpec {
    if (mask !== 'custom') return mask;
    if (this.input.mask !== undefined && typeof this.input.mask !== 'string') return this.input.mask;
    throw new InputError('mask', 'this input has no explicit mask matrix');
  }

  private inspection(mask: MaskName, variant: 'projected' | 'raw'): Inspection {
    const key = `${variant}:${mask}`;
    let found = this.inspections.get(key);
    if (!found) {
      if (variant === 'raw') {
        if (!this.rawInput)
          throw new InputError('variant', 'raw (Q = K = V = X) needs token vectors X: text or X with projections');
        found = inspect(this.rawInput, { mask: this.maskSpec(mask), scale: 'sqrt', engine: this.engine });
      } else if (this.input.form === 'weights') {
        if (mask !== this.baseMask) throw new InputError('mask', 'exported attention weights cannot be re-masked');
        // Overrides are passed on so that the core refuses them with its own message.
        found = inspect(this.input, {
          scale: this.scale,
          mask: this.maskOverride,
          scaleSource: '--scale',
          maskSource: '--mask',
          engine: this.engine,
        });
      } else {
        found = inspect(this.input, {
          engine: this.engine,
          scale: this.scale,
          mask: this.maskSpec(mask),
          scaleSource: '--scale',
          maskSource: '--mask',
        });
      }
      this.inspections.set(key, found);
    }
    return found;
  }

  private masks(): MaskName[] {
    if (this.input.form === 'weights') return [];
    const words: MaskName[] = ['none', 'causal', 'anticausal'];
    return this.input.mask !== undefined && typeof this.input.mask !== 'string' ? [...words, 'custom'] : words;
  }

  async overview(mask: MaskName = this.baseMask): Promise<Overview> {
    const ins = this.inspection(mask, 'projected');
    const layers = 1 + Math.max(...ins.heads.map((h) => h.layer));
    const heads = ins.heads.length / layers;
    return {
      title: this.title,
      form: this.form,
      n: ins.tokens.length,
      m: ins.keyTokens.length,
      tokens: ins.tokens.slice(),
      keyTokens: ins.keyTokens.slice(),
      layers,
      heads,
      mask,
      masks: this.masks(),
      rescalable: isRescalable(this.form),
      hasVectors: this.input.form === 'qkv' || this.input.form === 'projected',
      hasRaw: this.rawInput !== null,
      summaries: ins.heads.map(summaryOf),
      warnings: ins.warnings.slice(),
    };
  }

  private find(ins: Inspection, layer: number, head: number): HeadInspection {
    const h = ins.heads.find((x) => x.layer === layer && x.head === head);
    if (!h)
      throw new InputError('head', `no head ${head} in layer ${layer} (this input has ${ins.heads.length} head(s))`);
    return h;
  }

  async head(layer: number, head: HeadIndex, options: HeadOptions = {}): Promise<HeadPayload> {
    const mask = options.mask ?? this.baseMask;
    const variant = options.variant ?? 'projected';
    if (variant === 'raw' && (layer !== 0 || head !== 0))
      throw new InputError('head', 'the raw variant has one head: layer 0, head 0');
    const ins = this.inspection(mask, variant);
    if (head === 'mean') {
      const inLayer = ins.heads.filter((h) => h.layer === layer);
      if (inLayer.length === 0) throw new InputError('layer', `no layer ${layer}`);
      return meanPayload(inLayer, layer, mask);
    }
    return payloadOf(this.find(ins, layer, head), variant, mask);
  }

  async thumbnails(size: number, mask: MaskName = this.baseMask): Promise<Thumbnails> {
    const ins = this.inspection(mask, 'projected');
    const items: { layer: number; head: HeadIndex; weights: Float32Array }[] = [];
    const layers = [...new Set(ins.heads.map((h) => h.layer))];
    for (const layer of layers) {
      const inLayer = ins.heads.filter((h) => h.layer === layer);
      for (const h of inLayer) items.push({ layer, head: h.head, weights: h.weights.data });
      if (inLayer.length > 1) items.push({ layer, head: 'mean', weights: meanWeights(inLayer).data });
    }
    const first = ins.heads[0];
    return packThumbnails(items, first.weights.rows, first.weights.cols, first.allowed, size);
  }

  async variance(): Promise<VarianceSample[]> {
    this.varianceCache ??= varianceExperiment().map(({ dK, samples, varDot, varScaled }) => ({
      dK,
      samples,
      varDot,
      varScaled,
    }));
    return this.varianceCache;
  }
}
