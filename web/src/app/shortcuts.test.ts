import { describe, expect, it } from 'vitest';
import { TOGGLE_IDS } from '../../../common/spec.js';
import { BROWSER_ALT_KEYS, SWITCH_KEYS, switchForCode } from '../present/switch-keys.js';
import { shortcutFor, type KeyLike } from './shortcuts.js';

const key = (code: string, mods: Partial<KeyLike> = {}): KeyLike => ({ code, altKey: true, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });

describe('shortcutFor', () => {
  it('sizes text with Alt+= / Alt+- / Alt+0, in and out of presenter mode', () => {
    for (const presenting of [false, true]) {
      expect(shortcutFor(key('Equal'), presenting)).toEqual({ kind: 'text-size', delta: 1 });
      expect(shortcutFor(key('Equal', { shiftKey: true }), presenting)).toEqual({ kind: 'text-size', delta: 1 });
      expect(shortcutFor(key('Minus'), presenting)).toEqual({ kind: 'text-size', delta: -1 });
      expect(shortcutFor(key('Digit0'), presenting)).toEqual({ kind: 'text-size', delta: 0 });
    }
  });

  it('leaves Ctrl (the browser\'s zoom, the shell\'s keys) and plain keys alone', () => {
    expect(shortcutFor(key('Equal', { altKey: false, ctrlKey: true }), false)).toBeNull();
    expect(shortcutFor(key('Equal', { ctrlKey: true }), false)).toBeNull();
    expect(shortcutFor(key('KeyU', { altKey: false }), true)).toBeNull();
    expect(shortcutFor(key('Minus', { metaKey: true }), false)).toBeNull();
  });

  it('flips switches and walks steps only in presenter mode', () => {
    expect(shortcutFor(key('KeyU'), false)).toBeNull();
    expect(shortcutFor(key('KeyU'), true)).toEqual({ kind: 'toggle', id: 'uts' });
    expect(shortcutFor(key('KeyU', { shiftKey: true }), true)).toBeNull();
    expect(shortcutFor(key('PageDown'), true)).toEqual({ kind: 'step', delta: 1 });
    expect(shortcutFor(key('PageUp'), true)).toEqual({ kind: 'step', delta: -1 });
    expect(shortcutFor(key('Enter'), true)).toEqual({ kind: 'run-step' });
    expect(shortcutFor(key('PageDown'), false)).toBeNull();
  });
});

describe('SWITCH_KEYS', () => {
  it('gives every switch its own letter, none of the browser\'s', () => {
    const letters = TOGGLE_IDS.map((id) => SWITCH_KEYS[id]);
    expect(new Set(letters).size).toBe(TOGGLE_IDS.length);
    for (const letter of letters) {
      expect(letter).toMatch(/^[A-Z]$/);
      expect(BROWSER_ALT_KEYS).not.toContain(letter);
    }
    for (const id of TOGGLE_IDS) expect(switchForCode(`Key${SWITCH_KEYS[id]}`)).toBe(id);
  });
});
