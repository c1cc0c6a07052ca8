// Hugging Face generate(..., output_attentions=True, return_dict_in_generate=True) returns
// `attentions` as a tuple over steps, each a tuple over layers: step 0 is the prompt's [b, h, P, P],
// every later step one query row [b, h, 1, P+s] (the new token over the KV cache). Drawn step by
// step that is N small maps of different sizes; what it is, is one causal map over P+N−1 tokens:
// rows 0…P−1 from step 0, row P+s−1 from step s. This module finds such step groups (by the names
// `attentions.S.L` torch.save gives them, and for a bare nested tuple by the shape pattern alone),
// checks every step against the pattern (a wrong one is refused, never drawn), and registers per
// layer a view whose bytes are gathered from the steps on demand, so the readers see an ordinary
// [b, h, T, T] tensor. Encoder-decoder generate() has the same for decoder_attentions (its prompt is
// the one decoder start token) and cross_attentions (one row per step over the S encoder keys).
import { type ByteSource, checkRange, readRange } from './byteSource';
import { isFloat } from './dtype';
import { TensorFileError, quote } from './errors';
import { formatShape, product } from './shape';
import { type Stored, type TensorFile, type TensorInfo } from './tensorFile';

export interface StepGroup {
  /** The path before the step index: 'attentions', 'decoder_attentions', or '' for a bare tuple. */
  readonly prefix: string;
  readonly steps: number;
  readonly layers: number;
  /** Query rows of step 0: the prompt (1 for an encoder-decoder's decoder start token). */
  readonly prompt: number;
  /** Rows of the assembled map: prompt + steps − 1 (the last new token is never fed back). */
  readonly tokens: number;
  /** Keys: `tokens` for self-attention (one more per step), the encoder's length for cross-attention. */
  readonly keys: number;
  readonly cross: boolean;
  /** The assembled tensor of each layer (a TensorFile view, named `PREFIX.{steps}.L`). */
  readonly layerTensors: string[];
  /** Every step tensor the group was assembled from. */
  readonly stepTensors: string[];
  /** Siblings that are generate() outputs but not attention (output_scores' per-step logits). */
  readonly notAttention: string[];
  /** One sentence for `info`, stderr and the panel. */
  readonly summary: string;
}

const STEP_NAME = /^(?:(.*)\.)?(\d+)\.(\d+)$/;
/** generate()'s attention fields: a misfit under one of these names is refused, not skipped. */
const NAMED = /(^|\.)(attentions|decoder_attentions|cross_attentions)$/;

function parentOf(prefix: string): string {
  const cut = prefix.lastIndexOf('.');
  return cut < 0 ? '' : prefix.slice(0, cut + 1);
}

/** Every step group in the file, assembled (idempotent: views are registered once by name). */
export function findStepGroups(file: TensorFile): StepGroup[] {
  const byPrefix = new Map<string, Map<number, Map<number, TensorInfo>>>();
  for (const t of file.tensors) {
    const m = STEP_NAME.exec(t.name);
    if (!m) continue;
    const prefix = m[1] ?? '';
    let steps = byPrefix.get(prefix);
    if (!steps) byPrefix.set(prefix, (steps = new Map()));
    let layers = steps.get(Number(m[2]));
    if (!layers) steps.set(Number(m[2]), (layers = new Map()));
    layers.set(Number(m[3]), t);
  }
  const groups: StepGroup[] = [];
  for (const [prefix, steps] of byPrefix) {
    const named = NAMED.test(prefix);
    const group = checkSteps(file, prefix, steps, named);
    if (group) groups.push(group);
  }
  return groups;
}

/** The group if the steps fit generate()'s pattern; null (unnamed) or a refusal (named) if not. */
function checkSteps(
  file: TensorFile,
  prefix: string,
  steps: Map<number, Map<number, TensorInfo>>,
  named: boolean,
): StepGroup | null {
  const label = prefix === '' ? 'the nested tuple' : quote(prefix);
  const fail = (tensor: string | undefined, rule: string): null => {
    if (!named) return null;
    throw new TensorFileError(file.name, tensor !== undefined ? { tensor } : {}, `generate() output ${label}: ${rule}`);
  };
  const n = steps.size;
  if (n < (named ? 1 : 2)) return null;
  for (let s = 0; s < n; s++)
    if (!steps.has(s)) return fail(undefined, `the steps are not numbered 0…${n - 1} (step ${s} is missing)`);
  const layerCount = steps.get(0)!.size;
  const first = steps.get(0)!.get(0);
  if (!first) return fail(undefined, 'step 0 has no layer 0');
  const ndim = first.shape.length;
  if (ndim < 2 || !isFloat(first.dtype))
    return fail(first.name, `is ${first.dtypeLabel} ${formatShape(first.shape)}, not a float map`);
  const lead = first.shape.slice(0, -2);
  const [prompt, k0] = first.shape.slice(-2);
  const cross = /cross/.test(prefix);
  if (!cross && prompt !== k0)
    return fail(first.name, `step 0 is ${prompt} queries × ${k0} keys; the prompt step of self-attention is square`);
  const stepTensors: string[] = [];
  for (let s = 0; s < n; s++) {
    const layers = steps.get(s)!;
    if (layers.size !== layerCount)
      return fail(undefined, `step ${s} has ${layers.size} layers, step 0 has ${layerCount}`);
    const q = s === 0 ? prompt : 1;
    const k = cross ? k0 : k0 + s;
    for (let l = 0; l < layerCount; l++) {
      const t = layers.get(l);
      if (!t) return fail(undefined, `step ${s} has no layer ${l}`);
      const want = [...lead, q, k];
      if (t.dtype !== first.dtype || t.shape.join() !== want.join()) {
        const rule =
          s === 0
            ? 'every layer of step 0 has the same shape'
            : cross
              ? `every step after the first is one query row over the same ${k0} keys`
              : 'every step after the prompt is one query row over one key more than the step before';
        return fail(
          t.name,
          `step ${s} layer ${l} is ${t.dtypeLabel} ${formatShape(t.shape)}, expected ${first.dtypeLabel} ${formatShape(want)} (${rule})`,
        );
      }
      if (t.fortranOrder)
        return fail(t.name, 'is stored transposed (Fortran order); save the steps with .contiguous()');
      stepTensors.push(t.name);
    }
  }
  const tokens = prompt + n - 1;
  const keys = cross ? k0 : tokens;
  const parent = parentOf(prefix);
  const sequences = file.has(`${parent}sequences`) ? file.tensor(`${parent}sequences`) : undefined;
  if (sequences && sequences.shape[sequences.shape.length - 1] !== tokens + 1) {
    return fail(
      sequences.name,
      `${quote(sequences.name)} has ${sequences.shape[sequences.shape.length - 1]} tokens, but ${n} step${n === 1 ? '' : 's'} over a ${prompt}-token prompt account for ${tokens + 1} (${tokens} fed to the model, then the last one generated)`,
    );
  }
  const notAttention = file.tensors
    .filter((t) => new RegExp(`^${escapeRegExp(parent)}(scores|logits)\\.\\d+$`).test(t.name))
    .map((t) => t.name);
  const layerTensors = Array.from({ length: layerCount }, (_, l) =>
    assemble(
      file,
      prefix,
      l,
      Array.from({ length: n }, (_, s) => steps.get(s)!.get(l)!),
      { prompt, tokens, keys, cross },
    ),
  );
  const stepsText = `${n} step${n === 1 ? '' : 's'}`;
  const summary = cross
    ? `generate() output ${label}: ${stepsText} of one query row over ${keys} encoder keys, assembled as one ${tokens} × ${keys} cross-attention map`
    : `generate() output${prefix === '' ? ' (a nested tuple of steps, recognised by its shapes)' : ` ${label}`}: ${stepsText}, prompt ${prompt} token${prompt === 1 ? '' : 's'}, assembled as one causal map of ${tokens} tokens`;
  return {
    prefix,
    steps: n,
    layers: layerCount,
    prompt,
    tokens,
    keys,
    cross,
    layerTensors,
    stepTensors,
    notAttention,
    summary,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Shape {
  readonly prompt: number;
  readonly tokens: number;
  readonly keys: number;
  readonly cross: boolean;
}

/** Registers layer `layer`'s assembled view and returns its name. */
function assemble(file: TensorFile, prefix: string, layer: number, stepInfos: TensorInfo[], shape: Shape): string {
  const name = `${prefix === '' ? '' : `${prefix}.`}{steps}.${layer}`;
  if (file.has(name)) return name;
  const steps = stepInfos.map((t) => file.stored(t.name));
  const first = steps[0];
  const lead = first.info.shape.slice(0, -2);
  const full = [...lead, shape.tokens, shape.keys];
  const source = new AssembledStepsSource(`${file.name}[${name}]`, steps, product(lead), shape);
  const info: TensorInfo = {
    ...first.info,
    name,
    shape: full,
    fortranOrder: false,
    byteOffset: 0,
    byteLength: source.size,
    compressed: steps.some((s) => s.info.compressed),
  };
  const view: Stored = { info, type: first.type, source };
  return file.addView(view);
}

/**
 * The bytes of the assembled [lead…, T, K] map in C order: row r < P of a (lead) entry is row r of
 * step 0, row r ≥ P is the one row of step r − P + 1; keys a step has not seen yet (the future) are 0.
 * The prompt rows of one entry are one read; each later row is one read of its step.
 */
class AssembledStepsSource implements ByteSource {
  readonly size: number;
  private readonly itemsize: number;

  constructor(
    readonly name: string,
    private readonly steps: readonly Stored[],
    private readonly entries: number,
    private readonly shape: Shape,
  ) {
    this.itemsize = steps[0].info.itemsize;
    this.size = entries * shape.tokens * shape.keys * this.itemsize;
  }

  /** Keys step `s` holds. */
  private keysOf(s: number): number {
    return this.shape.cross ? this.shape.keys : this.shape.prompt + s;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    const size = this.itemsize;
    if (offset % size !== 0 || length % size !== 0)
      throw new TensorFileError(
        this.name,
        {},
        `read of ${length} bytes at ${offset} is not whole ${size}-byte elements`,
      );
    const out = new Uint8Array(length);
    const { tokens, keys, prompt } = this.shape;
    const first = offset / size;
    const end = first + length / size;
    const rowEnd = Math.ceil(end / keys);
    /** Copies `bytes` (row `g` of the map, `have` keys long) into `out` where they overlap the request. */
    const place = (g: number, bytes: Uint8Array, have: number): void => {
      const e0 = Math.max(first, g * keys);
      const e1 = Math.min(end, g * keys + have);
      if (e1 > e0) out.set(bytes.subarray((e0 - g * keys) * size, (e1 - g * keys) * size), (e0 - first) * size);
    };
    let g = Math.floor(first / keys);
    while (g < rowEnd) {
      const entry = Math.floor(g / tokens);
      const r = g % tokens;
      if (r < prompt) {
        // The prompt rows of this entry that the request covers: one read of step 0.
        const runEnd = Math.min(rowEnd, entry * tokens + prompt);
        const s0 = this.steps[0];
        const k0 = this.keysOf(0);
        const bytes = await readRange(
          s0.source,
          s0.info.byteOffset + (entry * prompt + r) * k0 * size,
          (runEnd - g) * k0 * size,
          `tensor ${quote(s0.info.name)}`,
        );
        for (let row = g; row < runEnd; row++)
          place(row, bytes.subarray((row - g) * k0 * size, (row - g + 1) * k0 * size), k0);
        g = runEnd;
        continue;
      }
      const s = r - prompt + 1;
      const step = this.steps[s];
      const k = this.keysOf(s);
      place(
        g,
        await readRange(
          step.source,
          step.info.byteOffset + entry * k * size,
          k * size,
          `tensor ${quote(step.info.name)}`,
        ),
        k,
      );
      g++;
    }
    return out;
  }
}

/** Tensors a generate() dict holds that the step groups account for, or that are not attention. */
export function stepGroupTensors(groups: readonly StepGroup[]): Set<string> {
  return new Set(groups.flatMap((g) => [...g.stepTensors, ...g.notAttention]));
}
