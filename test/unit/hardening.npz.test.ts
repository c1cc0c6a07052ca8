// `info` on a large legitimate .npz (issue 17): each deflated member's .npy header is read by
// inflating only its first bytes, so listing a real np.savez_compressed archive of ~200 MB of zeros
// reads a few KB of it. Shapes and dtypes are checked against numpy's own view of the same file.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteSource } from '../../src/core/tensorfiles/byteSource';
import { readNpz } from '../../src/core/tensorfiles/npz';
import { FileByteSource } from '../../src/node/fileByteSource';
import { runCli } from '../helpers/cli';

/** numpy writes the archive and prints what it holds: {name: [shape, dtype.str]}. */
const WRITE_NPZ = `
import json, sys, numpy as np
path = sys.argv[1]
np.savez_compressed(path, attn=np.zeros((12, 4096, 1024), dtype=np.float32), q=np.zeros((4096, 64), dtype='<f2'))
with np.load(path) as f:
    print(json.dumps({k: [list(f[k].shape), f[k].dtype.str] for k in f.files}))
`;

/** Counts the archive bytes a reader asks for. */
function counting(source: ByteSource): ByteSource & { bytesRead: number } {
  const counted = {
    name: source.name,
    size: source.size,
    bytesRead: 0,
    read(offset: number, length: number): Promise<Uint8Array> {
      counted.bytesRead += length;
      return source.read(offset, length);
    },
  };
  return counted;
}

describe('hardening: info on a large real .npz inflates only the member headers', function () {
  this.timeout(60_000);
  let dir = '';
  let file = '';
  let numpyView: Record<string, [number[], string]> = {};
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-npz-'));
    file = join(dir, 'zeros.npz');
    numpyView = JSON.parse(execFileSync('/usr/bin/python3', ['-c', WRITE_NPZ, file], { encoding: 'utf8' }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('readNpz lists every member with its numpy shape and dtype after reading a few KB of a 200 MB archive', async () => {
    const source = await FileByteSource.open(file);
    try {
      const archive = counting(source);
      const npz = await readNpz(archive);
      const listed = Object.fromEntries(npz.members.map((m) => [m.name, [m.header.shape, m.header.type.label]]));
      assert.deepEqual(listed, numpyView);
      assert.deepEqual(
        npz.members.map((m) => m.compressed),
        [true, true],
      );
      // The zip end record and directory (~64 KiB tail read) plus two local headers and two small pushes.
      assert.ok(archive.bytesRead < 70 * 1024, `read ${archive.bytesRead} bytes of the archive`);
    } finally {
      await source.close();
    }
  });

  it('the CLI lists the members (exit 0) and says why it does not read the 1028:1 member', () => {
    const r = runCli(['info', file]);
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.deepEqual(
      Object.fromEntries(
        info.tensors.map((t: { name: string; shape: number[]; dtype: string }) => [t.name, [t.shape, t.dtype]]),
      ),
      numpyView,
    );
    assert.match(
      info.problem,
      /^zeros\.npz: byte \d+: deflated member "attn\.npy" declares 201326720 bytes from \d+ \(\d+:1\), over the 200:1 inflation limit/,
    );
  });
});
