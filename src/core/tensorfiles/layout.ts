// Which tensors in a file are attention, and what their axes mean. Files from real models come in
// a few shapes: one stacked tensor ([layers, batch, heads, q, k] and its sub-shapes), one tensor per
// layer (HF `attentions.0`, TransformerLens `blocks.3.attn.hook_pattern`, np.savez's arr_0…arr_N),
// or the queries/keys/values themselves. This module names the candidates, picks one when the
// choice is unambiguous, and reads the axes by a documented default that `layout` overrides.
import { isFloat } from './dtype';
import { TensorFileError, quote } from './errors';
import { type StepGroup, findStepGroups, stepGroupTensors } from './generateSteps';
import { isModelWeight, modelWeightsMessage } from './modelWeights';
import { type PaddingMaskInfo, findPaddingMask, paddingMaskInfo } from './paddingMask';
import { formatShape } from './shape';
import { type TensorFile, type TensorInfo } from './tensorFile';

export type Axis = 'layers' | 'batch' | 'heads' | 'q' | 'k' | 'd';
export type ViewKind = 'maps' | 'qkv';
/** The three kinds of attention an encoder-decoder returns (Hugging Face's names without `_attentions`). */
export type AttentionPart = 'encoder' | 'decoder' | 'cross';
export const ATTENTION_PARTS: readonly AttentionPart[] = ['encoder', 'decoder', 'cross'];

/** The tensors behind one layer of a view: a map tensor, or a q/k(/v) set. */
export interface LayerTensors {
  readonly map?: string;
  readonly q?: string;
  readonly k?: string;
  readonly v?: string;
}

export interface Candidate {
  /** What to pass as `tensor` (--tensor) to choose it: a tensor name, `prefix.{}.suffix` for a
   * per-layer group, or `…{q,k,v}` for a query/key/value set. */
  readonly id: string;
  readonly kind: ViewKind;
  /** One entry per layer when the layer index is in the tensor names, else one entry. */
  readonly layerTensors: LayerTensors[];
  /** Layer numbers from the names (grouped), else []. */
  readonly layerIds: number[];
  /** One line for listings: id, shape, dtype. */
  readonly description: string;
  /** Which part of an encoder-decoder output (encoder_attentions, decoder_attentions, cross_attentions). */
  readonly part?: AttentionPart;
  /** generate()'s steps, assembled into one map per layer. */
  readonly steps?: StepGroup;
}

/** One part of an encoder-decoder output, as `info` lists them. */
export interface PartSummary {
  readonly part: AttentionPart;
  readonly id: string;
  readonly layers: number;
  /** Shape of one layer's tensor (assembled, for generate() steps). */
  readonly shape: readonly number[];
}

export interface AttentionView {
  readonly kind: ViewKind;
  readonly id: string;
  /** Axes of each tensor in the view (for a group: of each layer's tensor, without 'layers'). */
  readonly axes: Axis[];
  /** `axes` joined with commas: the value to pass back as `layout`. */
  readonly layout: string;
  /** True when the layer index comes from the tensor names. */
  readonly grouped: boolean;
  readonly layerTensors: LayerTensors[];
  readonly layers: number;
  /** Layer numbers for display: from the names when grouped, else 0…layers-1. */
  readonly layerIds: number[];
  readonly batch: number;
  readonly heads: number;
  readonly queries: number;
  readonly keys: number;
  /** Query/key width (qkv views). */
  readonly dK?: number;
  /** Value width (qkv views with values). */
  readonly dV?: number;
  /** Why the view was chosen and read this way (one sentence, for `info` and the panel); ends with the notes. */
  readonly reason: string;
  /** Choices the tool made where the file is ambiguous, each with the option that changes it (stderr, `info`, the panel). */
  readonly notes: string[];
  /** Key/value heads when fewer than the query heads (grouped-query attention): query head h uses ⌊h·kvHeads/heads⌋. */
  readonly kvHeads?: number;
  /** The encoder-decoder part shown, and every part the file holds. */
  readonly part?: AttentionPart;
  readonly parts?: readonly PartSummary[];
  /** generate() steps assembled into one map: query rows 0…prompt−1 from step 0, then one row per step. */
  readonly generated?: { readonly steps: number; readonly prompt: number; readonly cross: boolean };
  /** A padding mask ([batch, keys]) stored beside the maps or Q/K/V, applied per batch entry. */
  readonly padding?: PaddingMaskInfo;
  /** The batch entry the notes speak of (ViewOptions.batch, default 0). */
  readonly batchEntry: number;
}

export interface ViewOptions {
  /** A candidate id or any tensor name (--tensor). */
  tensor?: string;
  /** Axis names, comma-separated, e.g. 'batch,heads,q,k' (--layout). */
  layout?: string;
  /** Which part of an encoder-decoder output (--kind); default the decoder's self-attention, or the first part there is. */
  kind?: AttentionPart;
  /** The batch entry shown (--batch; default 0): checked against the batch axis and named in the notes. */
  batch?: number;
}

const ATTENTION_NAME = /att|pattern|score|prob/i;
const MASK_NAME = /mask/i;
const ROLES: Record<string, 'q' | 'k' | 'v'> = {
  q: 'q',
  query: 'q',
  queries: 'q',
  k: 'k',
  key: 'k',
  keys: 'k',
  v: 'v',
  value: 'v',
  values: 'v',
};
/** TransformerLens activations: hook_q/k/v (and the rotated hook_rot_q/k that RoPE models dot) are [batch, pos, head, d_head]. */
const TL_ROLE = /(^|[./])hook_(rot_)?([qkv])$/;
/** The suffix TensorFile.permuted gives the TransformerLens views. */
const TL_PERMUTE = '.permute(0, 2, 1, 3)';
/** TransformerLens activations that are neither maps nor Q/K/V (outputs, residuals, norms). */
const TL_NOT_ATTENTION =
  /(^|[./])hook_(z|result|attn_out|mlp_\w+|resid_\w+|embed|pos_embed|normalized|scale|post|pre|pre_linear|q_input|k_input|v_input)$/;
/** Hugging Face ModelOutput fields that are never attention (a hidden state [b, n, d] with n = d is square by chance). */
const HF_NOT_ATTENTION =
  /(^|[./])(past_key_values|hidden_states|decoder_hidden_states|encoder_hidden_states|last_hidden_state|encoder_last_hidden_state|logits|loss)([./]|$)/;
const LAYER_NUMBER = /(^|[._/:-])(\d+)(?=$|[._/:-])/;

/** Default axes by number of dims. The 4-D map default is [layers, heads, q, k] (a stack of
 * per-layer maps with the batch dropped); pass layout 'batch,heads,q,k' for one layer's batch. */
const MAP_DEFAULTS: Record<number, Axis[]> = {
  2: ['q', 'k'],
  3: ['heads', 'q', 'k'],
  4: ['layers', 'heads', 'q', 'k'],
  5: ['layers', 'batch', 'heads', 'q', 'k'],
};
/** In a per-layer group the layer comes from the names, so a 4-D member is [batch, heads, q, k]. */
const GROUPED_MAP_DEFAULTS: Record<number, Axis[]> = {
  2: ['q', 'k'],
  3: ['heads', 'q', 'k'],
  4: ['batch', 'heads', 'q', 'k'],
};

function defaultsFor(kind: ViewKind, grouped: boolean, ndim: number): Axis[] | undefined {
  const table = grouped ? GROUPED_MAP_DEFAULTS : MAP_DEFAULTS;
  const axes = table[ndim];
  return axes && (kind === 'qkv' ? [...axes.slice(0, -1), 'd'] : [...axes]);
}

function isRole(name: string): 'q' | 'k' | 'v' | undefined {
  const tl = TL_ROLE.exec(name);
  if (tl) return tl[3] as 'q' | 'k' | 'v';
  const last = name.split(/[./]/).pop()!.toLowerCase();
  return Object.hasOwn(ROLES, last) ? ROLES[last] : undefined;
}

/** TransformerLens q/k/v are [batch, pos, head, d_head]; the readers want [batch, head, pos, d]. */
function isTransformerLensRole(info: TensorInfo): boolean {
  return TL_ROLE.test(info.name) && info.shape.length === 4;
}

function describe(info: TensorInfo): string {
  return `${formatShape(info.shape)} ${info.dtypeLabel}`;
}

/** A float tensor of 2–5 dims whose last two axes look like queries × keys. */
function looksLikeMaps(info: TensorInfo, maxDims: number): boolean {
  const n = info.shape.length;
  if (
    !isFloat(info.dtype) ||
    n < 2 ||
    n > maxDims ||
    MASK_NAME.test(info.name) ||
    isRole(info.name) ||
    isModelWeight(info) ||
    TL_NOT_ATTENTION.test(info.name) ||
    HF_NOT_ATTENTION.test(info.name)
  )
    return false;
  return info.shape[n - 1] === info.shape[n - 2] || ATTENTION_NAME.test(info.name);
}

/** `prefix{}suffix` and the number, for names with a whole numeric segment (`blocks.3.attn`, `arr_0`). */
function layerPattern(name: string): { pattern: string; layer: number } | undefined {
  const m = LAYER_NUMBER.exec(name);
  if (!m) return undefined;
  const at = m.index + m[1].length;
  return { pattern: `${name.slice(0, at)}{}${name.slice(at + m[2].length)}`, layer: Number(m[2]) };
}

/** The q/k/v tensors sharing a name pattern (and layer number, when the names carry one). */
interface RoleSet {
  pattern: string;
  layer?: number;
  /** The names up to the role segment ('layers.0.', 'blocks.0.attn.'). */
  prefix: string;
  q?: TensorInfo;
  k?: TensorInfo;
  v?: TensorInfo;
  /** How each role is spelled in the names ('q' or 'query'…), for the candidate id. */
  spelled: Record<string, string>;
}

/** Every attention-like candidate in the file: per-layer groups, q/k/v sets, then single tensors. */
export function findCandidates(file: TensorFile): Candidate[] {
  const tensors = file.tensors;
  const candidates: Candidate[] = [];
  // generate() steps: one assembled map per layer, and the step tensors (and per-step logits) used up.
  const stepGroups = findStepGroups(file);
  const used = stepGroupTensors(stepGroups);
  for (const g of stepGroups) {
    const id = `${g.prefix === '' ? '' : `${g.prefix}.`}{steps}.{}`;
    const shape = file.tensor(g.layerTensors[0]).shape;
    candidates.push({
      id,
      kind: 'maps',
      layerTensors: g.layerTensors.map((map) => ({ map })),
      layerIds: g.layerTensors.map((_, l) => l),
      steps: g,
      description: `${id}: generate() output, ${g.steps} steps × ${g.layers} layers assembled as ${g.layers} layers of ${formatShape(shape)} ${file.tensor(g.layerTensors[0]).dtypeLabel}`,
    });
  }

  // q/k/v sets: same name but for the role segment; per layer when a numeric segment varies.
  const sets = new Map<string, RoleSet>();
  for (const t0 of tensors) {
    const role = isRole(t0.name);
    if (!role || !isFloat(t0.dtype) || isModelWeight(t0)) continue;
    // TransformerLens [batch, pos, head, d_head] is read through a view with the head axis moved before pos.
    const t = isTransformerLensRole(t0) ? file.tensor(file.permuted(t0.name, [0, 2, 1, 3])) : t0;
    const cut = Math.max(t0.name.lastIndexOf('.'), t0.name.lastIndexOf('/')) + 1;
    const withRole = `${t0.name.slice(0, cut)}{role}`;
    const numbered = layerPattern(t0.name.slice(0, cut));
    const key = numbered ? `${numbered.pattern}{role}` : withRole;
    const layer = numbered?.layer;
    const id = `${key}#${layer ?? ''}`;
    let entry = sets.get(id);
    if (!entry) sets.set(id, (entry = { pattern: key, layer, prefix: t0.name.slice(0, cut), spelled: {} }));
    // hook_q and hook_rot_q both present: the rotated ones are what the model dots.
    if (entry[role] && !/hook_rot_/.test(t0.name)) continue;
    entry[role] = t;
    entry.spelled[role] = t0.name.slice(cut);
  }
  const byPattern = new Map<string, RoleSet[]>();
  for (const s of sets.values()) {
    if (!s.q || !s.k) continue;
    const list = byPattern.get(s.pattern) ?? [];
    list.push(s);
    byPattern.set(s.pattern, list);
  }
  for (const [pattern, list] of byPattern) {
    const spelled = list[0].spelled;
    const roles = `{${[spelled.q, spelled.k, spelled.v].filter((x) => x !== undefined).join(',')}}`;
    const layered = list.length >= 2 && list.every((s) => s.layer !== undefined);
    if (layered) {
      list.sort((a, b) => a.layer! - b.layer!);
      const layerTensors = list.map((s) => ({ q: s.q!.name, k: s.k!.name, v: s.v?.name }));
      layerTensors.forEach((l) => [l.q, l.k, l.v].forEach((n) => n && used.add(n)));
      candidates.push({
        id: pattern.replace('{role}', roles),
        kind: 'qkv',
        layerTensors,
        layerIds: list.map((s) => s.layer!),
        description: `${pattern.replace('{role}', roles)}: ${list.length} layers of q ${describe(list[0].q!)}`,
      });
    } else {
      for (const s of list) {
        const id = `${s.prefix}${roles}`;
        [s.q!, s.k!, s.v].forEach((t) => t && used.add(t.name));
        candidates.push({
          id,
          kind: 'qkv',
          layerTensors: [{ q: s.q!.name, k: s.k!.name, v: s.v?.name }],
          layerIds: [],
          description: `${id}: q ${describe(s.q!)}`,
        });
      }
    }
  }

  // Per-layer groups of maps: two or more same-shape, same-dtype tensors differing in one number.
  const groups = new Map<string, { layer: number; info: TensorInfo }[]>();
  for (const t of tensors) {
    if (used.has(t.name) || !looksLikeMaps(t, 4)) continue;
    const p = layerPattern(t.name);
    if (!p) continue;
    const list = groups.get(p.pattern) ?? [];
    list.push({ layer: p.layer, info: t });
    groups.set(p.pattern, list);
  }
  for (const [pattern, list] of groups) {
    const first = list[0].info;
    const uniform = list.every((m) => m.info.dtype === first.dtype && m.info.shape.join() === first.shape.join());
    const distinct = new Set(list.map((m) => m.layer)).size === list.length;
    if (list.length < 2 || !uniform || !distinct) continue;
    list.sort((a, b) => a.layer - b.layer);
    list.forEach((m) => used.add(m.info.name));
    candidates.push({
      id: pattern,
      kind: 'maps',
      layerTensors: list.map((m) => ({ map: m.info.name })),
      layerIds: list.map((m) => m.layer),
      description: `${pattern}: ${list.length} layers (${list[0].layer}–${list[list.length - 1].layer}) of ${describe(first)}`,
    });
  }

  for (const t of tensors) {
    if (used.has(t.name) || !looksLikeMaps(t, 5)) continue;
    candidates.push({
      id: t.name,
      kind: 'maps',
      layerTensors: [{ map: t.name }],
      layerIds: [],
      description: `${t.name}: ${describe(t)}`,
    });
  }
  return candidates.map((c) => {
    const part = partOf(c.id);
    return part ? { ...c, part } : c;
  });
}

/** encoder_attentions.{}, decoder_attentions.{steps}.{}, cross_attentions.3 …: the part of an encoder-decoder output. */
function partOf(id: string): AttentionPart | undefined {
  const m = /(^|\.)(encoder|decoder|cross)_attentions(\.|$)/.exec(id);
  return m ? (m[2] as AttentionPart) : undefined;
}

/** The part --kind names (or the default: the decoder's self-attention, else the first part), with why. */
function choosePart(
  file: TensorFile,
  parts: readonly Candidate[],
  kind: AttentionPart | undefined,
): { chosen: Candidate; why: string } {
  const listed = parts.map((c) => `${c.part} (${quote(c.id)})`).join(', ');
  if (kind !== undefined) {
    const named = parts.find((c) => c.part === kind);
    if (!named)
      throw new TensorFileError(
        file.name,
        {},
        `--kind ${kind}: no ${kind}_attentions here; the file holds ${listed || 'no encoder-decoder attentions'}`,
      );
    return { chosen: named, why: `chosen with --kind ${kind}` };
  }
  const decoder = parts.find((c) => c.part === 'decoder');
  return decoder
    ? { chosen: decoder, why: "an encoder-decoder output's decoder self-attention (the default)" }
    : { chosen: parts[0], why: `the first part of an encoder-decoder output (${parts[0].part})` };
}

const AXIS_ALIASES: Record<string, Axis> = {
  layers: 'layers',
  layer: 'layers',
  l: 'layers',
  batch: 'batch',
  b: 'batch',
  heads: 'heads',
  head: 'heads',
  h: 'heads',
  q: 'q',
  query: 'q',
  queries: 'q',
  k: 'k',
  key: 'k',
  keys: 'k',
  d: 'd',
  dim: 'd',
  d_k: 'd',
  d_head: 'd',
};

/** Parses a layout string ('layers,batch,heads,q,k') for a tensor of `ndim` dims. */
export function parseLayout(
  file: string,
  text: string,
  ndim: number,
  kind: ViewKind,
  grouped: boolean,
  tensor: string,
): Axis[] {
  const fail = (rule: string): never => {
    throw new TensorFileError(file, { tensor }, `layout ${quote(text, 60)}: ${rule}`);
  };
  const words = text
    .trim()
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  const axes = words.map((w) =>
    Object.hasOwn(AXIS_ALIASES, w.toLowerCase())
      ? AXIS_ALIASES[w.toLowerCase()]
      : fail(`unknown axis ${quote(w, 20)} (use layers, batch, heads, q, k, d)`),
  );
  if (axes.length !== ndim) fail(`names ${axes.length} axes but the tensor has ${ndim}`);
  const tail = kind === 'maps' ? ['q', 'k'] : ['q', 'd'];
  if (axes.length < 2 || axes[ndim - 2] !== tail[0] || axes[ndim - 1] !== tail[1])
    fail(`must end with ${tail.join(',')} (${kind === 'maps' ? 'queries × keys' : 'tokens × width'})`);
  const leading = axes.slice(0, -2);
  if (new Set(leading).size !== leading.length) fail('names an axis twice');
  for (const a of leading) {
    if (a !== 'layers' && a !== 'batch' && a !== 'heads') fail(`axis ${a} can only be one of the last two`);
    if (a === 'layers' && grouped) fail('has a layers axis, but here the layer number is in the tensor names');
  }
  return axes;
}

function candidateList(cands: Candidate[]): string {
  const shown = cands
    .slice(0, 12)
    .map((c) => c.description)
    .join('; ');
  return cands.length > 12 ? `${shown}; … (${cands.length} in all)` : shown;
}

/**
 * Picks the attention tensor(s) and reads their axes. With `tensor`, that candidate or tensor;
 * otherwise the only candidate, or an error listing them. `layout` overrides the default axes.
 */
export function detectAttention(file: TensorFile, options: ViewOptions = {}): AttentionView {
  const candidates = findCandidates(file);
  const parts = candidates.filter((c) => c.part !== undefined);
  let chosen: Candidate;
  let why: string;
  if (options.kind !== undefined && options.tensor !== undefined) {
    throw new TensorFileError(file.name, {}, '--kind and --tensor both choose the tensor: pass one of them');
  }
  if (
    options.kind !== undefined ||
    (options.tensor === undefined && parts.length > 0 && parts.length === candidates.length)
  ) {
    if (options.kind !== undefined && parts.length === 0) {
      throw new TensorFileError(
        file.name,
        {},
        `--kind ${options.kind} applies to encoder-decoder outputs (encoder_attentions, decoder_attentions, cross_attentions); this file has none (candidates: ${candidateList(candidates) || 'none'})`,
      );
    }
    ({ chosen, why } = choosePart(file, parts, options.kind));
  } else if (options.tensor !== undefined) {
    const named = candidates.find((c) => c.id === options.tensor);
    if (named) chosen = named;
    else if (file.has(options.tensor)) {
      const info = file.tensor(options.tensor);
      if (isModelWeight(info))
        throw new TensorFileError(
          file.name,
          { tensor: info.name },
          modelWeightsMessage([info], 1).replace(
            /^holds model weights, not attention: /,
            'is a model weight, not attention: ',
          ),
        );
      chosen = {
        id: info.name,
        kind: 'maps',
        layerTensors: [{ map: info.name }],
        layerIds: [],
        description: `${info.name}: ${describe(info)}`,
      };
    } else {
      // A non-array archive member gets its own message ("is not a .npy array").
      if (file.otherMembers.some((m) => m === options.tensor || m.replace(/\.[^./]*$/, '') === options.tensor))
        file.tensor(options.tensor);
      const hint =
        candidates.length > 0
          ? `candidates: ${candidateList(candidates)}`
          : `tensors: ${file.tensors
              .slice(0, 12)
              .map((t) => `${t.name} ${describe(t)}`)
              .join('; ')}`;
      throw new TensorFileError(file.name, { tensor: options.tensor }, `not found; ${hint}`);
    }
    why = `chosen with --tensor`;
  } else if (candidates.length === 1) {
    chosen = candidates[0];
    why = 'the only attention-like candidate';
  } else if (candidates.length === 0) {
    const weights = file.tensors.filter((t) => isModelWeight(t));
    if (weights.length > 0) throw new TensorFileError(file.name, {}, modelWeightsMessage(weights, file.tensors.length));
    const list = file.tensors
      .slice(0, 12)
      .map((t) => `${t.name} ${describe(t)}`)
      .join('; ');
    throw new TensorFileError(
      file.name,
      {},
      `no attention-like tensor (a float tensor of 2–5 dims with square last axes or an attention-like name, per-layer tensors, or q/k/v); tensors: ${list || 'none'}`,
    );
  } else {
    throw new TensorFileError(
      file.name,
      {},
      `${candidates.length} attention-like candidates, pass --tensor NAME with one of: ${candidateList(candidates)}`,
    );
  }
  const partSummaries = parts.map((p): PartSummary => ({
    part: p.part!,
    id: p.id,
    layers: p.layerTensors.length,
    shape: file.tensor(p.layerTensors[0].map ?? p.layerTensors[0].q!).shape,
  }));
  return buildView(file, chosen, options.layout, why, options.batch ?? 0, partSummaries);
}

function buildView(
  file: TensorFile,
  c: Candidate,
  layoutText: string | undefined,
  why: string,
  batchEntry: number,
  parts: readonly PartSummary[],
): AttentionView {
  const grouped = c.layerIds.length > 0;
  const first = c.layerTensors[0];
  const main = file.tensor(c.kind === 'maps' ? first.map! : first.q!);
  const ndim = main.shape.length;
  const fail = (tensor: string, rule: string): never => {
    throw new TensorFileError(file.name, { tensor }, rule);
  };
  if (ndim < 2) fail(main.name, `has shape ${formatShape(main.shape)}; attention needs at least 2 dims`);
  const maskTensor = findPaddingMask(file, c.part);
  let axes: Axis[];
  let how: string;
  // A padding mask [B, keys] beside a 4-D stack whose first axis is B says that axis is the batch.
  const batchFromMask =
    layoutText === undefined &&
    !grouped &&
    ndim === 4 &&
    maskTensor !== undefined &&
    maskTensor.shape.length === 2 &&
    maskTensor.shape[0] > 1 &&
    maskTensor.shape[0] === main.shape[0];
  if (layoutText !== undefined) {
    axes = parseLayout(file.name, layoutText, ndim, c.kind, grouped, main.name);
    how = 'as given by --layout';
  } else if (batchFromMask) {
    axes = ['batch', 'heads', 'q', c.kind === 'maps' ? 'k' : 'd'];
    how = `the first axis is the batch: it is the batch of ${quote(maskTensor.name)} ${formatShape(maskTensor.shape)} stored beside it; pass --layout layers,heads,${c.kind === 'maps' ? 'q,k' : 'q,d'} if it is layers`;
  } else if (c.kind === 'qkv' && ndim === 4 && main.name.endsWith(TL_PERMUTE)) {
    axes = ['batch', 'heads', 'q', 'd'];
    how = "TransformerLens's [batch, pos, head, d_head] with the head axis moved before the positions";
  } else {
    const d = defaultsFor(c.kind, grouped, ndim);
    if (!d) {
      return fail(
        main.name,
        `has ${ndim} dims ${formatShape(main.shape)}; no default layout for that, pass --layout (e.g. ${grouped ? 'batch,heads' : 'layers,batch,heads'},${c.kind === 'maps' ? 'q,k' : 'q,d'})`,
      );
    }
    axes = d;
    how = `the ${ndim}-D default`;
    if (ndim === 4 && !grouped)
      how += '; pass --layout batch,heads,' + (c.kind === 'maps' ? 'q,k' : 'q,d') + ' if the first axis is the batch';
  }
  if (ndim === 4 && grouped && layoutText === undefined) how = `the ${ndim}-D default for a per-layer tensor`;
  const size = (axis: Axis): number => {
    const i = axes.indexOf(axis);
    return i < 0 ? 1 : main.shape[i];
  };
  const n = main.shape[ndim - 2];
  let keys = main.shape[ndim - 1];
  let dK: number | undefined;
  let dV: number | undefined;

  // Every layer's tensors must agree with the first one.
  for (const lt of c.layerTensors) {
    const names = c.kind === 'maps' ? [lt.map!] : [lt.q!, lt.k!, ...(lt.v ? [lt.v] : [])];
    for (const name of names) {
      const t = file.tensor(name);
      if (t.shape.includes(0)) fail(name, `has shape ${formatShape(t.shape)}: no elements to show`);
      if (!isFloat(t.dtype) && name !== main.name) fail(name, `is ${t.dtypeLabel}, not a float tensor`);
      if (t.shape.length !== ndim || !leadingAxesAgree(axes, t.shape, main.shape, c.kind === 'qkv' && name !== lt.q)) {
        fail(
          name,
          `has shape ${formatShape(t.shape)}, but ${quote(main.name)} has ${formatShape(main.shape)}: the leading axes must match${c.kind === 'qkv' ? ' (keys and values may have fewer heads than the queries, a divisor of them: grouped-query attention)' : ''}`,
        );
      }
    }
    if (c.kind === 'qkv') {
      const q = file.tensor(lt.q!),
        k = file.tensor(lt.k!);
      if (q.shape.join() !== main.shape.join())
        fail(q.name, `has shape ${formatShape(q.shape)}, unlike ${quote(main.name)} ${formatShape(main.shape)}`);
      if (k.shape[ndim - 1] !== q.shape[ndim - 1])
        fail(k.name, `has width ${k.shape[ndim - 1]} but the queries have ${q.shape[ndim - 1]}: Q·Kᵀ needs equal d_k`);
      keys = k.shape[ndim - 2];
      dK = q.shape[ndim - 1];
      if (lt.v) {
        const v = file.tensor(lt.v);
        if (v.shape[ndim - 2] !== keys) fail(v.name, `has ${v.shape[ndim - 2]} rows but there are ${keys} keys`);
        dV = v.shape[ndim - 1];
      }
    } else if (file.tensor(lt.map!).shape.join() !== main.shape.join()) {
      fail(
        lt.map!,
        `has shape ${formatShape(file.tensor(lt.map!).shape)}, unlike ${quote(main.name)} ${formatShape(main.shape)}`,
      );
    }
  }
  if (n === 0 || keys === 0) fail(main.name, `has ${n} queries and ${keys} keys; nothing to show`);
  const layers = grouped ? c.layerTensors.length : size('layers');
  const heads = size('heads');
  const batch = size('batch');
  const headsAxis = axes.indexOf('heads');
  const kvHeads = c.kind === 'qkv' && headsAxis >= 0 ? file.tensor(first.k!).shape[headsAxis] : heads;
  const notes = c.steps ? [c.steps.summary] : [];
  if (parts.length > 0 && c.part !== undefined) {
    notes.push(
      `encoder-decoder output: ${parts.map((p) => `${p.part} ${quote(p.id)} ${p.layers} layer${p.layers === 1 ? '' : 's'} of ${formatShape(p.shape)}`).join(', ')}; showing ${c.part}${c.part === 'cross' ? ' (decoder tokens are the queries, encoder tokens the keys)' : ''} (--kind ${ATTENTION_PARTS.join('|')} chooses another)`,
    );
  }
  if (!batchFromMask) notes.push(...ambiguityNotes(main.shape, axes, grouped, layoutText !== undefined, c.kind));
  if (kvHeads !== heads)
    notes.push(
      `grouped-query attention: ${heads} query heads share ${kvHeads} key/value heads (query head h uses key/value head ⌊h·${kvHeads}/${heads}⌋)`,
    );
  if (layers === 0 || heads === 0 || batch === 0) fail(main.name, `has an empty axis in ${formatShape(main.shape)}`);
  if (!Number.isInteger(batchEntry) || batchEntry < 0 || batchEntry >= batch) {
    fail(
      main.name,
      `batch entry ${batchEntry} is out of range: the batch axis has ${batch === 1 ? 'one entry (0)' : `entries 0–${batch - 1}`}`,
    );
  }
  if (batch > 1) notes.push(`batch entry ${batchEntry} of ${batch} shown; --batch changes it`);
  const generated = c.steps ? { steps: c.steps.steps, prompt: c.steps.prompt, cross: c.steps.cross } : undefined;
  const padding = maskTensor ? paddingMaskInfo(file.name, maskTensor, { batch, keys, generated }) : undefined;
  const encoderMask = c.part === 'decoder' && !padding ? findPaddingMask(file, 'encoder') : undefined;
  if (encoderMask)
    notes.push(
      `${quote(encoderMask.name)} pads the encoder's tokens (encoder self-attention and cross-attention): it does not apply to the decoder's self-attention, which would need decoder_attention_mask`,
    );
  if (padding)
    notes.push(
      `padding mask ${quote(padding.tensor)} ${formatShape(padding.shape)} (${padding.describes}) stored beside the ${c.kind === 'qkv' ? 'queries/keys/values' : 'maps'}: applied per batch entry`,
    );
  const layerIds = grouped ? c.layerIds : Array.from({ length: layers }, (_, i) => i);
  const what = grouped
    ? `${c.layerTensors.length} per-layer tensors ${quote(c.id)} (layers ${layerIds[0]}–${layerIds[layerIds.length - 1]}), each ${formatShape(main.shape)} ${main.dtypeLabel}`
    : c.kind === 'qkv'
      ? `q/k/v set ${quote(c.id)}, q ${formatShape(main.shape)} ${main.dtypeLabel}`
      : `tensor ${quote(main.name)} ${formatShape(main.shape)} ${main.dtypeLabel}`;
  const reason = `${what}, ${why}, read as [${axes.join(', ')}] (${how})${notes.length > 0 ? `. Note: ${notes.join('; ')}` : ''}`;
  return {
    kind: c.kind,
    id: c.id,
    axes,
    layout: axes.join(','),
    grouped,
    layerTensors: c.layerTensors,
    layers,
    layerIds,
    batch,
    heads,
    queries: n,
    keys,
    dK,
    dV,
    reason,
    notes,
    ...(kvHeads !== heads ? { kvHeads } : {}),
    batchEntry,
    ...(c.part ? { part: c.part, parts } : {}),
    ...(generated ? { generated } : {}),
    ...(padding ? { padding } : {}),
  };
}

/** Leading axes equal, except that keys/values may have a divisor of the query heads (grouped-query attention). */
function leadingAxesAgree(
  axes: readonly Axis[],
  shape: readonly number[],
  main: readonly number[],
  kv: boolean,
): boolean {
  for (let i = 0; i < main.length - 2; i++) {
    if (shape[i] === main[i]) continue;
    if (kv && axes[i] === 'heads' && shape[i] > 0 && main[i] % shape[i] === 0) continue;
    return false;
  }
  return true;
}

/**
 * Where the default layout is a guess that changes the picture, says which reading was picked and
 * the --layout that gives the other. An axis of size 1 changes nothing, so it gets no note.
 */
function ambiguityNotes(
  shape: readonly number[],
  axes: readonly Axis[],
  grouped: boolean,
  given: boolean,
  kind: ViewKind,
): string[] {
  if (given) return [];
  const tail = kind === 'maps' ? 'q,k' : 'q,d';
  const dims = `${shape.length}-D ${formatShape(shape)}`;
  if (!grouped && shape.length === 4 && shape[0] > 1) {
    return [
      `${dims} is ambiguous: read as [${axes.join(', ')}] (a stack of ${shape[0]} layers); pass --layout batch,heads,${tail} if the first axis is the batch (one layer's [batch, heads, q, k])`,
    ];
  }
  if (shape.length === 3 && shape[0] > 1) {
    return [
      `${dims} is ambiguous: read as [${axes.join(', ')}] (${shape[0]} heads); pass --layout batch,${tail} if the first axis is the batch (head-averaged weights, as nn.MultiheadAttention returns by default, are [batch, q, k])`,
    ];
  }
  return [];
}
