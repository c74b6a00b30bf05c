import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_DEFAULT, PLAIN_PROCESS, TOGGLE_IDS, applyToggle, isToggleOn } from '../../common/spec.js';
import { TOGGLE_FIELD, FLOOR_TOGGLES, floorRootMode } from './floor.js';

const at = (obj: unknown, path: (string | number)[]) => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], obj);

describe('TOGGLE_FIELD: where the settings editor points when an edit lowers the workshop floor', () => {
  it.each(TOGGLE_IDS)('%s: the field exists and changes when the switch does', (id) => {
    const path = TOGGLE_FIELD[id];
    for (const base of [PLAIN_PROCESS, DOCKER_RUN_DEFAULT]) {
      expect(at(base, path), `${id} → ${path.join('.')}`).not.toBeUndefined();
      const flipped = applyToggle(base, id, !isToggleOn(base, id)).spec;
      expect(JSON.stringify(at(flipped, path)), `${id} → ${path.join('.')}`).not.toBe(JSON.stringify(at(base, path)));
    }
  });

  it('covers every locked switch', () => {
    for (const id of FLOOR_TOGGLES) expect(TOGGLE_FIELD[id]).toBeDefined();
  });
});

describe('floorRootMode: a workshop shell always pivots', () => {
  const withRoot = (rootMode: 'pivot' | 'chroot') => ({ ...DOCKER_RUN_DEFAULT, filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, rootMode } });

  it('turns chroot into pivot_root and keeps the rest of the filesystem settings', () => {
    const floored = floorRootMode(withRoot('chroot'));
    expect(floored.filesystem).toEqual({ ...DOCKER_RUN_DEFAULT.filesystem, rootMode: 'pivot' });
    expect({ ...floored, filesystem: null }).toEqual({ ...DOCKER_RUN_DEFAULT, filesystem: null });
  });

  it('returns the very same settings when there is nothing to change (the settings editor tests identity)', () => {
    const pivot = withRoot('pivot');
    expect(floorRootMode(pivot)).toBe(pivot);
    expect(floorRootMode(PLAIN_PROCESS)).toBe(PLAIN_PROCESS);
  });
});
