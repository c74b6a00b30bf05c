import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from './capabilities.js';
import { HOSTNAME_PATTERN, SECCOMP_DESCRIPTIONS, SPEC_DESCRIPTIONS, containerSpecJsonSchema, schemaAt, seccompProfileJsonSchema, type JsonSchema } from './json-schema.js';
import { SECCOMP_ACTIONS } from './seccomp-profile.js';
import { ContainerSpec, PLAIN_PROCESS, RLIMIT_NAMES } from './spec.js';

describe('the settings editor\'s JSON Schema', () => {
  const schema = containerSpecJsonSchema();

  it('is generated from ContainerSpec: every field, required, nothing else allowed', () => {
    const props = schema['properties'] as Record<string, JsonSchema>;
    expect(Object.keys(props).sort()).toEqual(Object.keys(PLAIN_PROCESS).sort());
    expect([...(schema['required'] as string[])].sort()).toEqual(Object.keys(PLAIN_PROCESS).sort());
    expect(schema['additionalProperties']).toBe(false);
    expect(schemaAt(schema, 'namespaces')!['additionalProperties']).toBe(false);
    expect(schemaAt(schema, 'filesystem.rootMode')!['enum']).toEqual(['pivot', 'chroot']);
    expect(schemaAt(schema, 'seccomp')!['enum']).toEqual(['unconfined', 'docker-default', 'custom']);
  });

  it('describes every field it has a text for, and every text names a real field', () => {
    for (const [path, text] of Object.entries(SPEC_DESCRIPTIONS)) {
      expect(schemaAt(schema, path), path).toBeDefined();
      expect(schemaAt(schema, path)!['description']).toBe(text);
    }
    // Through a nullable object (user: {uid,gid} | null) too.
    expect(schemaAt(schema, 'user.uid')).toMatchObject({ type: 'integer' });
  });

  it('completes capability names and rlimit names', () => {
    const caps = schemaAt(schema, 'capabilities')!['anyOf'] as JsonSchema[];
    expect(caps[0]).toMatchObject({ const: 'all' });
    expect((caps[1]!['items'] as JsonSchema)['enum']).toEqual([...CAPABILITIES]);
    expect(Object.keys(schemaAt(schema, 'rlimits')!['properties'] as object)).toEqual([...RLIMIT_NAMES]);
    expect(schemaAt(schema, 'rlimits.nofile')).toMatchObject({ required: ['soft', 'hard'] });
  });

  it.each(['isolab', 'MyHost', 'a', 'web-1', '-bad', 'bad-', 'has space', 'x'.repeat(64), 'x'.repeat(63)])(
    'agrees with the server on hostname %j',
    (hostname) => {
      const server = ContainerSpec.safeParse({ ...PLAIN_PROCESS, hostname }).success;
      expect(new RegExp(HOSTNAME_PATTERN).test(hostname)).toBe(server);
      expect(schemaAt(schema, 'hostname')!['pattern']).toBe(HOSTNAME_PATTERN);
    },
  );
});

describe('the seccomp editor\'s JSON Schema', () => {
  const schema = seccompProfileJsonSchema();

  it('offers Docker\'s actions and names its fields', () => {
    expect(schemaAt(schema, 'defaultAction')!['enum']).toEqual([...SECCOMP_ACTIONS]);
    for (const path of Object.keys(SECCOMP_DESCRIPTIONS)) expect(schemaAt(schema, path), path).toBeDefined();
    const rule = ((schemaAt(schema, 'syscalls')!['anyOf'] as JsonSchema[])[0]!['items'] as JsonSchema);
    expect(rule['additionalProperties']).toBe(false);
    expect((rule['properties'] as Record<string, JsonSchema>)['action']!['enum']).toEqual([...SECCOMP_ACTIONS]);
  });
});
