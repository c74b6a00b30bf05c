// The launcher as built (native/build-launcher.sh): a static PIE on musl. Static, so no loader and
// no shared library stands between exec and main() (that is where a dynamically linked glibc
// program spends ~0.4 ms of every container start here); PIE with relocations done at once and then
// read-only, so its addresses still differ at every run and its pointers cannot be overwritten.
// Read from the ELF headers: what the kernel's loader sees.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPaths } from '../../server/base/paths.js';

const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_GNU_RELRO = 0x6474e552;
const ET_DYN = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_FLAGS = 30;
const DT_FLAGS_1 = 0x6ffffffb;
const DF_BIND_NOW = 0x8;
const DF_1_NOW = 0x1;
const DF_1_PIE = 0x08000000;

/** The fields of a 64-bit little-endian ELF file this test asks about. */
function readElf(path: string) {
  const elf = readFileSync(path);
  expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(elf[4]).toBe(2); // ELFCLASS64
  expect(elf[5]).toBe(1); // little-endian
  const type = elf.readUInt16LE(16);
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  const segments = Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * phentsize;
    return { type: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 8)), fileSize: Number(elf.readBigUInt64LE(at + 32)) };
  });
  const dynamic: { tag: number; value: bigint }[] = [];
  const dyn = segments.find((s) => s.type === PT_DYNAMIC);
  for (let at = dyn?.offset ?? 0; dyn && at < dyn.offset + dyn.fileSize; at += 16) {
    const tag = Number(elf.readBigInt64LE(at));
    if (tag === DT_NULL) break;
    dynamic.push({ tag, value: elf.readBigUInt64LE(at + 8) });
  }
  return { type, segments, dynamic };
}

describe('isolab-launcher, as built', () => {
  const elf = readElf(defaultPaths().launcher);
  const tag = (t: number) => dynamic(t)[0] ?? 0n;
  const dynamic = (t: number) => elf.dynamic.filter((d) => d.tag === t).map((d) => d.value);

  it('is linked statically: no loader to run (PT_INTERP) and no shared library to load (DT_NEEDED)', () => {
    expect(elf.segments.some((s) => s.type === PT_INTERP)).toBe(false);
    expect(dynamic(DT_NEEDED)).toEqual([]);
  });

  it('is position-independent (ET_DYN, DF_1_PIE): the kernel places it at a random address', () => {
    expect(elf.type).toBe(ET_DYN);
    expect(tag(DT_FLAGS_1) & BigInt(DF_1_PIE)).not.toBe(0n);
  });

  it('relocates everything at start (BIND_NOW) and then makes it read-only (PT_GNU_RELRO)', () => {
    expect((tag(DT_FLAGS) & BigInt(DF_BIND_NOW)) !== 0n || (tag(DT_FLAGS_1) & BigInt(DF_1_NOW)) !== 0n).toBe(true);
    expect(elf.segments.some((s) => s.type === PT_GNU_RELRO)).toBe(true);
  });
});
