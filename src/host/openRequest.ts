// What a host asks a worker (or the web's in-process opener) to open: plain data that survives a
// structured clone. Browser-safe: the VS Code glue and the web build name requests without
// reaching into node code; only src/node/openSource.ts knows how to read the 'file' kind from disk.
import type { LimitOptions } from '../core';
import type { InMemoryRequest, TensorFileRequestOptions } from './openInMemory';
import type { ModelRequest } from './modelSource';

export type { ModelRequest } from './modelSource';
export type { InMemoryRequest, OpenedInfo, OpenedSource, TensorFileRequestOptions } from './openInMemory';

export type OpenRequest =
  | InMemoryRequest
  /** A Hugging Face model folder on the local disk run on a text (node only: src/host/modelSource.ts). */
  | ModelRequest
  /** A tensor file on the local disk, read by positional reads (node only). */
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly title: string;
      readonly options?: TensorFileRequestOptions;
      readonly limits?: LimitOptions;
    };
