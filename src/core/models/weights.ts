// A model's weights across one or several safetensors files, read a tensor at a time with the
// project's safetensors reader and converted from the file's dtype (F32, F16, BF16) to float32 only
// when a layer asks for them: memory holds one layer's weights, never the whole model.
import { type ByteSource } from '../tensorfiles/byteSource';
import { readSafetensorsHeader, type SafetensorsEntry } from '../tensorfiles/safetensors';
import { decodeToFloat32 } from '../tensorfiles/decode';
import { type Matrix, matrixFrom } from '../matrix';
import { type ModelFolder, filePath } from './folder';
import { ModelError } from './errors';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
const WEIGHT_DTYPES = ['f32', 'f16', 'bf16'];
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Located {
  readonly entry: SafetensorsEntry;
  readonly source: ByteSource;
  readonly file: string;
}

export interface WeightSummary {
  readonly files: string[];
  readonly tensors: number;
  readonly parameters: number;
  readonly bytes: number;
  /** Parameters per dtype label as stored ('BF16': 494032768). */
  readonly dtypes: Record<string, number>;
}

export class WeightStore {
  /** Bytes decoded so far: how much of the files a run actually read. */
  bytesRead = 0;
  /** Named in "is missing" messages (set by the loader once config.json is read). */
  architecture = 'the architecture';
  /** Converted tensors kept for the next run (retainConverted), by name, and their float32 bytes. */
  private readonly retained = new Map<string, Float32Array>();
  private retainBudget = 0;
  private retainedBytes = 0;

  private constructor(
    private readonly folder: ModelFolder,
    private readonly byName: Map<string, Located>,
    readonly files: string[],
  ) {}

  /** Opens model.safetensors, or the shards model.safetensors.index.json lists, reading only their headers. */
  static async open(folder: ModelFolder): Promise<WeightStore> {
    const indexText = await folder.readText(INDEX_FILE);
    const byName = new Map<string, Located>();
    if (indexText === null) {
      const source = await folder.open(SINGLE_FILE);
      if (!source) {
        const bin = await folder.open('pytorch_model.bin');
        throw new ModelError(
          filePath(folder, SINGLE_FILE),
          {},
          bin
            ? 'is missing: only pytorch_model.bin is there, a pickle, which is never loaded (convert it to safetensors)'
            : `is missing (expected ${SINGLE_FILE} or ${INDEX_FILE} with its shards)`,
        );
      }
      const header = await readSafetensorsHeader(source);
      for (const entry of header.entries) byName.set(entry.name, { entry, source, file: SINGLE_FILE });
      return new WeightStore(folder, byName, [SINGLE_FILE]);
    }
    const weightMap = parseIndex(filePath(folder, INDEX_FILE), indexText);
    const shards = [...new Set(Object.values(weightMap))].sort();
    const headers = new Map<string, Map<string, SafetensorsEntry>>();
    const sources = new Map<string, ByteSource>();
    for (const shard of shards) {
      const source = await folder.open(shard);
      if (!source) throw new ModelError(filePath(folder, shard), {}, `is missing (${INDEX_FILE} lists it)`);
      const header = await readSafetensorsHeader(source);
      headers.set(shard, new Map(header.entries.map((e) => [e.name, e])));
      sources.set(shard, source);
    }
    for (const [name, shard] of Object.entries(weightMap)) {
      const entry = headers.get(shard)!.get(name);
      if (!entry)
        throw new ModelError(
          filePath(folder, shard),
          { tensor: name },
          `is not in this shard, though ${INDEX_FILE} puts it there`,
        );
      byName.set(name, { entry, source: sources.get(shard)!, file: shard });
    }
    return new WeightStore(folder, byName, shards);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** Shape of a stored tensor, or null when absent. */
  shape(name: string): readonly number[] | null {
    return this.byName.get(name)?.entry.shape ?? null;
  }

  /** Refuses a tensor that is absent, has another shape, or is not F32/F16/BF16, naming its file. */
  check(name: string, shape: readonly number[]): void {
    this.locate(name, shape);
  }

  summary(): WeightSummary {
    const dtypes: Record<string, number> = {};
    let parameters = 0,
      bytes = 0;
    for (const { entry } of this.byName.values()) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      parameters += count;
      bytes += entry.byteLength;
      dtypes[entry.type.label] = (dtypes[entry.type.label] ?? 0) + count;
    }
    return { files: this.files, tensors: this.byName.size, parameters, bytes, dtypes };
  }

  private locate(name: string, shape: readonly number[]): Located {
    const found = this.byName.get(name);
    if (!found)
      throw new ModelError(
        filePath(this.folder, this.files.length === 1 ? this.files[0] : INDEX_FILE),
        { tensor: name },
        `is missing (${this.architecture} needs it)`,
      );
    const { entry, file } = found;
    const where = filePath(this.folder, file);
    if (!WEIGHT_DTYPES.includes(entry.type.dtype))
      throw new ModelError(
        where,
        { tensor: name },
        `dtype ${entry.type.label} is not supported for weights (F32, F16 or BF16)`,
      );
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new ModelError(
        where,
        { tensor: name },
        `has shape [${entry.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`,
      );
    }
    return found;
  }

  /**
   * Keeps each tensor's float32 form after its first read, until `budgetBytes` of float32 are held
   * (then later tensors are converted per run as before): for a process that runs the model again
   * and again (the bench, a panel's worker), as torch holds its weights. First come, first kept, not
   * least recently used: a forward pass reads the layers in order every run, and an LRU smaller than
   * the model would evict each tensor just before it is needed again. 0 (the default) keeps nothing,
   * so a single `compute --model` holds one layer's weights at a time.
   */
  retainConverted(budgetBytes: number): void {
    this.retainBudget = Math.max(0, budgetBytes);
    if (this.retainBudget === 0) {
      this.retained.clear();
      this.retainedBytes = 0;
    }
  }

  /** Float32 bytes held by retainConverted. */
  get retainedFloat32Bytes(): number {
    return this.retainedBytes;
  }

  /** The tensor as float32, after checking it has exactly `shape`. */
  async vector(name: string, shape: readonly number[]): Promise<Float32Array> {
    const { entry, source } = this.locate(name, shape);
    const kept = this.retained.get(name);
    if (kept) return kept;
    const values = await this.convert(entry, source);
    if (this.retainedBytes + values.byteLength <= this.retainBudget) {
      this.retained.set(name, values);
      this.retainedBytes += values.byteLength;
    }
    return values;
  }

  private async convert(entry: SafetensorsEntry, source: ByteSource): Promise<Float32Array> {
    const bytes = await source.read(entry.byteOffset, entry.byteLength);
    this.bytesRead += entry.byteLength;
    // Little-endian F32 read into an aligned buffer is already the float32 array: no second copy (the
    // forward passes never write into weights).
    if (entry.type.dtype === 'f32' && entry.type.littleEndian && HOST_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    }
    return decodeToFloat32(bytes, entry.type as typeof entry.type & { dtype: 'f32' });
  }

  /** A 2-D tensor [rows, cols] as a matrix. */
  async matrix(name: string, rows: number, cols: number): Promise<Matrix> {
    return matrixFrom(rows, cols, await this.vector(name, [rows, cols]));
  }

  /** Rows `ids` of a [rows, cols] table (an embedding), reading only those rows. */
  async rows(name: string, rows: number, cols: number, ids: readonly number[]): Promise<Matrix> {
    const { entry, source } = this.locate(name, [rows, cols]);
    const rowBytes = cols * entry.type.itemsize;
    const out = new Float32Array(ids.length * cols);
    const cache = new Map<number, Float32Array>();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= rows)
        throw new ModelError(
          filePath(this.folder, found(this.byName, name)),
          { tensor: name },
          `token id ${id} is outside the table's ${rows} rows`,
        );
      let values = cache.get(id);
      if (!values) {
        values = decodeToFloat32(
          await source.read(entry.byteOffset + id * rowBytes, rowBytes),
          entry.type as typeof entry.type & { dtype: 'f32' },
        );
        this.bytesRead += rowBytes;
        cache.set(id, values);
      }
      out.set(values, i * cols);
    }
    return matrixFrom(ids.length, cols, out);
  }
}

function found(byName: Map<string, Located>, name: string): string {
  return byName.get(name)?.file ?? SINGLE_FILE;
}

function parseIndex(file: string, text: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError(file, {}, `is not valid JSON (${(e instanceof Error ? e.message : String(e)).slice(0, 100)})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw new ModelError(file, { field: 'weight_map' }, 'is missing or not an object of tensor → shard file');
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || !/^[^/\\]+\.safetensors$/.test(shard))
      throw new ModelError(
        file,
        { field: `weight_map.${name}` },
        `expected a .safetensors file name in the folder, found ${JSON.stringify(shard)?.slice(0, 60)}`,
      );
  }
  return map as Record<string, string>;
}
