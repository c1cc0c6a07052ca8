// A model folder on the file system: files read as text or opened as positional byte sources (so a
// multi-gigabyte shard costs only the tensors a layer reads), all closed together.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ByteSource } from '../../core/tensorfiles/byteSource';
import type { ModelFolder } from '../../core/models/folder';
import { ModelError } from '../../core/models/errors';
import { FileByteSource } from '../fileByteSource';

export class NodeModelFolder implements ModelFolder {
  private readonly opened: FileByteSource[] = [];

  private constructor(
    readonly name: string,
    private readonly dir: string,
  ) {}

  /** The folder at `dir`, refused with one line when it is not a directory. */
  static async open(dir: string): Promise<NodeModelFolder> {
    let stat;
    try {
      stat = await fs.stat(dir);
    } catch (e) {
      throw new ModelError(dir, {}, `cannot open the model folder (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!stat.isDirectory())
      throw new ModelError(dir, {}, 'is not a folder (give the model folder holding config.json)');
    return new NodeModelFolder(dir, dir);
  }

  async readText(file: string): Promise<string | null> {
    try {
      return await fs.readFile(path.join(this.dir, file), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ModelError(
        path.join(this.name, file),
        {},
        `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }

  async open(file: string): Promise<ByteSource | null> {
    const full = path.join(this.dir, file);
    try {
      await fs.access(full);
    } catch {
      return null;
    }
    const source = await FileByteSource.open(full, path.join(this.name, file));
    this.opened.push(source);
    return source;
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((s) => s.close()));
  }
}
