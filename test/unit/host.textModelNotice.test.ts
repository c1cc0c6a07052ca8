// Text inputs say they run on a seeded random model (src/host/textModelNotice.ts); nothing else changes.
import * as assert from 'node:assert/strict';
import { MemorySource } from '../../src/host/memorySource';
import { textModelNotice, withNotices } from '../../src/host/textModelNotice';

describe('text model notice', () => {
  it('names the seeded random model and points at a real one, without a finding about the text', () => {
    assert.match(textModelNotice(), /^seeded random model: pick a real model for real attention/);
    assert.doesNotMatch(textModelNotice(), /attends to|focuses on|this text (shows|means)/);
  });

  it("comes first among the overview warnings; heads, thumbnails and the spec are the source's own", async () => {
    const source = MemorySource.fromSpec({ kind: 'text', text: 'i go home', title: 'i go home' });
    const noted = withNotices(source, [textModelNotice()]);
    const [plain, shown] = await Promise.all([source.overview(), noted.overview()]);
    assert.deepEqual(shown.warnings, [textModelNotice(), ...plain.warnings]);
    assert.deepEqual({ ...shown, warnings: plain.warnings }, plain);
    assert.deepEqual(await noted.head(0, 1), await source.head(0, 1));
    assert.deepEqual(await noted.thumbnails!(8), await source.thumbnails!(8));
    assert.equal(noted.spec, source.spec);
    assert.equal(withNotices(source, []), source, 'no notices: the source itself');
  });
});
