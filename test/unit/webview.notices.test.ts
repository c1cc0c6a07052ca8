// Which lines above a view are notes and which are warnings (webview/notices.ts): the host's real
// sentences, from tensor files opened through the panel's TensorFileSource, the text model's notice
// and the long-sequence note, sorted as the panel shows them; and no line is ever dropped.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { MemoryByteSource, axisLabels, openAttention } from '../../src/core/tensorfiles';
import { TensorFileSource } from '../../src/host/tensorFileSource';
import { textModelNotice } from '../../src/host/textModelNotice';
import { classifyNotice, sortNotices } from '../../webview/notices';

const DIR = join(__dirname, '..', 'fixtures', 'tensorfiles');

async function warningsOf(name: string): Promise<string[]> {
  const opened = await openAttention(new MemoryByteSource(name, new Uint8Array(readFileSync(join(DIR, name)))));
  const source = new TensorFileSource(opened, axisLabels(name, opened.view, opened.tokens?.tokens ?? null), {
    title: name,
  });
  return (await source.overview()).warnings;
}

describe('panel notices: notes are one neutral line, warnings stay warnings', () => {
  it('a weights file: its detection is one line "read as [axes] weights", nothing is a warning', async () => {
    const lines = await warningsOf('model.safetensors');
    assert.ok(lines.length > 0, 'the file has a detection note');
    const sorted = sortNotices(lines);
    assert.deepEqual(sorted.warnings, []);
    assert.match(sorted.detected ?? '', /^read as \[[^\]]+\] weights$/);
    assert.deepEqual(sorted.details, lines, 'the reasoning is kept, word for word, behind the disclosure');
  });

  it('a scores file reads "… scores"', async () => {
    const sorted = sortNotices(await warningsOf('f16_scores.safetensors'));
    assert.match(sorted.detected ?? '', /^read as \[[^\]]+\] scores$/);
    assert.deepEqual(sorted.warnings, []);
  });

  it('the seeded model notice is its own first kind; row-sum and masked-row messages stay warnings', () => {
    assert.equal(classifyNotice(textModelNotice()).kind, 'model');
    assert.equal(classifyNotice('2 query row(s) have all-zero weights (masked out): 0, 1').kind, 'warning');
    assert.equal(classifyNotice('layer 0 head 1 row 3 sums to 0.8, not 1').kind, 'warning');
    assert.equal(
      classifyNotice(
        '5000 tokens: more than 4096, so each cell is a block of 5 × 5 tokens showing its largest weight; click a cell for that region at full resolution.',
      ).kind,
      'info',
    );
  });

  it('every line lands in exactly one place, in order (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (lines) => {
        const s = sortNotices(lines);
        assert.equal(s.model.length + s.details.length + s.warnings.length, lines.length);
        assert.deepEqual(
          s.warnings,
          lines.filter((l) => classifyNotice(l).kind === 'warning'),
        );
      }),
    );
  });
});
