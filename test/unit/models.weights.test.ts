// WeightStore.retainConverted: a process that runs a model again and again keeps each tensor's float32
// form after its first read, up to a budget, first come first kept; the values are the file's, and a
// second run reads nothing more from the files. With no budget (the default) nothing is kept.
import * as assert from 'node:assert/strict';
import { runModel } from '../../src/core/models';
import { tinyModelsDir, withModel } from '../helpers/torchReference';

const IDS = [1, 15, 300, 42, 7, 599, 15, 88, 123, 5];

describe('models: weights kept in float32 across runs (retainConverted)', function () {
  this.timeout(120_000);
  before(() => {
    tinyModelsDir();
  });

  it('a second run reads no tensor again and gives bit-identical attention; the default keeps nothing', async () => {
    await withModel('llama-tiny', async (model) => {
      const weightsOf = async () => {
        const out: Float32Array[] = [];
        await runModel(model, { ids: IDS }, { onLayer: (l) => void out.push(...l.heads.map((h) => h.weights.data)) });
        return out;
      };
      const plain = await weightsOf();
      const perRun = model.weights.bytesRead;
      await weightsOf();
      assert.equal(model.weights.bytesRead, 2 * perRun, 'without a budget every run reads its tensors');
      assert.equal(model.weights.retainedFloat32Bytes, 0);

      model.weights.retainConverted(Number.POSITIVE_INFINITY);
      const first = await weightsOf();
      const afterFirst = model.weights.bytesRead;
      const second = await weightsOf();
      // Only the embedding rows of the run's tokens are read again (rows() reads the rows it is asked for).
      const embeddingRows = new Set(IDS).size * model.config.hidden * 2; // BF16
      assert.equal(model.weights.bytesRead - afterFirst, embeddingRows);
      assert.ok(model.weights.retainedFloat32Bytes > 0);
      [first, second].forEach((run) => run.forEach((w, i) => assert.deepEqual(w, plain[i])));

      model.weights.retainConverted(0);
      assert.equal(model.weights.retainedFloat32Bytes, 0);
    });
  });

  it('a budget keeps the first tensors that fit, and never more than the budget', async () => {
    await withModel('gpt2-tiny', async (model) => {
      const budget = 40_000;
      model.weights.retainConverted(budget);
      await runModel(model, { ids: IDS });
      const kept = model.weights.retainedFloat32Bytes;
      assert.ok(kept > 0 && kept <= budget, `kept ${kept} bytes`);
      const read = model.weights.bytesRead;
      await runModel(model, { ids: IDS });
      const again = model.weights.bytesRead - read;
      assert.ok(again > 0 && again < read, `second run read ${again} of ${read} bytes`);
    });
  });
});
