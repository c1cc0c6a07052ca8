// The RoPE switch of a rotary model's panel (Overview.rotary): the scores as the model computes
// them, q·k after the rotary position encoding, or the same q and k before it, to see what the
// rotation contributes. The host answers `head` with params.rotation (src/host/modelSource.ts).
import type { Rotation } from '../src/protocol/messages';
import { el } from './dom';

const TITLES: Record<Rotation, { label: string; help: string }> = {
  applied: { label: 'after RoPE', help: 'q·k as the model computes it: queries and keys rotated by position' },
  removed: { label: 'before RoPE', help: 'the same q and k before the rotation: what position adds is gone' },
};

/** A labelled two-way control; `choose` is told the rotation picked. */
export function ropeSwitch(current: Rotation, choose: (rotation: Rotation) => void): HTMLElement {
  const group = el('vscode-radio-group', { attrs: { 'aria-label': 'Rotary position encoding' } });
  for (const r of ['applied', 'removed'] as const) {
    const radio = el('vscode-radio', {
      attrs: { name: 'rotation', value: r, label: TITLES[r].label, title: TITLES[r].help },
    }) as HTMLElement & { checked: boolean };
    radio.checked = r === current;
    group.append(radio);
  }
  group.addEventListener('change', (e) => {
    const target = e.target as HTMLElement & { checked?: boolean; value?: string };
    if (
      target.tagName === 'VSCODE-RADIO' &&
      target.checked &&
      (target.value === 'applied' || target.value === 'removed')
    )
      choose(target.value);
  });
  return el('div', { cls: 'control' }, el('span', { cls: 'control-label', text: 'Scores' }), group);
}
