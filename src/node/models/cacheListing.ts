// The Hugging Face cache through the file system, for listCachedModels (snapshot files are links
// into blobs/, which reads follow).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CacheListing } from '../../core/models/cache';
import type { ModelFolder } from '../../core/models/folder';
import { NodeModelFolder } from './nodeFolder';

export class NodeCacheListing implements CacheListing {
  async list(dir: string): Promise<string[] | null> {
    try {
      return await fs.readdir(dir);
    } catch {
      return null;
    }
  }

  async readText(file: string): Promise<string | null> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch {
      return null;
    }
  }

  folder(dir: string): Promise<ModelFolder> {
    return NodeModelFolder.open(dir);
  }

  join(...parts: string[]): string {
    return path.join(...parts);
  }
}
