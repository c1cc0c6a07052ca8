// Writing the standalone report from node (the CLI's `report` command; the extension may reuse it):
// read the built panel bundle, check the input by opening it, write one self-contained HTML file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, oneLineMessage } from '../core';
import { buildReportHtml } from '../host/html';
import { MemorySource } from '../host/memorySource';
import type { SourceSpec } from '../host/source';

/** dist/ beside the running bundle (dist/cli.js, dist/extension.js) or, from sources, the repo's dist/. */
export function defaultDistDir(): string {
  const candidates = [__dirname, join(__dirname, '..', '..', 'dist')];
  return candidates.find((d) => existsSync(join(d, 'webview.js'))) ?? candidates[candidates.length - 1];
}

export function readWebviewAssets(distDir = defaultDistDir()): { script: string; style: string } {
  const read = (name: string) => {
    try {
      return readFileSync(join(distDir, name), 'utf8');
    } catch {
      throw new InputError('report', `the panel bundle ${join(distDir, name)} is missing (run npm run build)`);
    }
  };
  return { script: read('webview.js'), style: read('webview.css') };
}

/** Opens the input (bad input throws InputError before anything is written), then writes the report. */
export async function writeReport(
  spec: SourceSpec,
  outputPath: string,
  options: { distDir?: string } = {},
): Promise<{ bytes: number; warnings: string[] }> {
  const { warnings } = await MemorySource.fromSpec(spec).overview();
  const html = buildReportHtml({ ...readWebviewAssets(options.distDir), spec });
  try {
    writeFileSync(outputPath, html, 'utf8');
  } catch (e) {
    throw new InputError(outputPath, `cannot write (${(e as NodeJS.ErrnoException).code ?? oneLineMessage(e)})`);
  }
  return { bytes: Buffer.byteLength(html), warnings };
}
