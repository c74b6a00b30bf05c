# One file, eight targets (the node-pty layout): the launcher, the probe, the sysview, the lessons'
# demo tools (chroot escape, set-user-ID root, own seccomp filter) and the benchmark's stopwatch are
# plain executables, introspect is the read-only addon the server loads. Output: native/build/Release/.
#   ../node_modules/.bin/node-gyp rebuild --nodedir=/usr   (from native/; see README.md)
{
  'variables': {
    'isolab_cflags': [
      '-Wall', '-Wextra', '-Werror=format-security', '-Werror=shadow',
      '-fstack-protector-strong', '-O2',
    ],
  },
  'targets': [
    {
      # Not an ordinary executable: build-launcher.sh compiles and links it statically against musl
      # (a static PIE), because gyp builds every C target with one compiler; it says why. It reruns
      # when any launcher source or header changes.
      'target_name': 'isolab-launcher',
      'type': 'none',
      'variables': {
        'launcher_sources': [
          'launcher/main.c',
          'launcher/ns.c',
          'launcher/mounts.c',
          'launcher/rootfs.c',
          'launcher/net.c',
          'launcher/userns.c',
          'launcher/cgroup.c',
          'launcher/cgroup_args.c',
          'launcher/cgroup_inside.c',
          'launcher/cgroup_files.c',
          'launcher/cgroup_v1.c',
          'launcher/cgroup_v2.c',
          'launcher/cgroup_bpf.c',
          'launcher/rlimits.c',
          'launcher/lsm.c',
          'launcher/landlock.c',
          'launcher/caps.c',
          'launcher/nnp.c',
          'launcher/seccomp.c',
          'launcher/seccomp_guard.c',
          'launcher/seccomp_notify.c',
          'launcher/status.c',
          'launcher/join.c',
          'launcher/machine.c',
          'launcher/util.c',
          'parse-number.c',
        ],
      },
      'actions': [
        {
          'action_name': 'build_launcher',
          'inputs': [
            'build-launcher.sh',
            'launcher/musl-fortify.c',
            '<@(launcher_sources)',
            '<!@(ls launcher/*.h launcher/*.def cap-names.h parse-number.h)',
          ],
          'outputs': ['<(PRODUCT_DIR)/isolab-launcher'],
          # libm: cgroup_v2.c turns cpu.shares into cpu.weight on a logarithmic curve (musl's libc.a
          # has it); libseccomp (Debian: libseccomp-dev) is linked in statically.
          'action': ['sh', 'build-launcher.sh', '<(PRODUCT_DIR)/isolab-launcher', '<@(isolab_cflags)', '--', '<@(launcher_sources)'],
        },
      ],
    },
    {
      'target_name': 'isolab-probe',
      'type': 'executable',
      'sources': [
        'probe/probe.c',
        'probe/json.c',
        'probe/security.c',
        'probe/cgroup.c',
        'probe/fs.c',
        'probe/net.c',
        'probe/syscalls.c',
        'probe/keep.c',
        'parse-number.c',
      ],
      'cflags!': ['-O3', '-Wno-unused-parameter'],
      'cflags': ['<@(isolab_cflags)'],
      'cflags_c': ['-std=gnu11'],
      # Static: --join executes it by file descriptor inside any root filesystem, with no loader there.
      'ldflags': ['-static'],
    },
    {
      # The chroot lesson's escape demo, copied into the image (scripts/rootfs.mjs). Static, like the probe.
      'target_name': 'isolab-chroot-escape',
      'type': 'executable',
      'sources': ['probe/chroot-escape.c'],
      'cflags!': ['-O3', '-Wno-unused-parameter'],
      'cflags': ['<@(isolab_cflags)'],
      'cflags_c': ['-std=gnu11'],
      'ldflags': ['-static'],
    },
    {
      # The comparison panel's second question set (memory, CPUs, devices, modules, dmesg, the
      # hypervisor bit, the system call sweep): run next to the probe on the host, in a container,
      # in gVisor and in the VM. Static, like the probe.
      'target_name': 'isolab-sysview',
      'type': 'executable',
      'sources': ['probe/sysview.c', 'probe/json.c'],
      'cflags!': ['-O3', '-Wno-unused-parameter'],
      'cflags': ['<@(isolab_cflags)'],
      'cflags_c': ['-std=gnu11'],
      'ldflags': ['-static'],
    },
    {
      # The no_new_privs lesson's set-user-ID-root program (mode 6755 in the image: scripts/rootfs.mjs).
      'target_name': 'isolab-become-root',
      'type': 'executable',
      'sources': ['probe/become-root.c'],
      'cflags!': ['-O3', '-Wno-unused-parameter'],
      'cflags': ['<@(isolab_cflags)'],
      'cflags_c': ['-std=gnu11'],
      'ldflags': ['-static'],
    },
    {
      # The seccomp lesson's own-profile tool: deny some calls, exec a program. Static with libseccomp.a.
      'target_name': 'isolab-seccomp-deny',
      'type': 'executable',
      'sources': ['probe/seccomp-deny.c', 'parse-number.c'],
      'cflags!': ['-O3', '-Wno-unused-parameter'],
      'cflags': ['<@(isolab_cflags)'],
      'cflags_c': ['-std=gnu11'],
      'ldflags': ['-static'],
      'libraries': ['-lseccomp'],
    },
    {
      # The benchmark's stopwatch: exec → first line of a sandbox (launcher, runsc, QEMU), without
      # Node's fork in the measurement (bench/compare.ts).
      'target_name': 'isolab-first-line',
      'type': 'executable',
      'sources': ['bench/first-line.c', 'parse-number.c'],
      'cflags!': ['-O3', '-Wno-unused-parameter'],
      'cflags': ['<@(isolab_cflags)'],
      'cflags_c': ['-std=gnu11'],
    },
    {
      'target_name': 'introspect',
      'sources': ['addon/introspect.cc'],
      'defines': ['NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS', 'NAPI_VERSION=8'],
      'cflags!': ['-O3', '-Wno-unused-parameter', '-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions'],
      'cflags': [
        '<@(isolab_cflags)',
        # -isystem, not include_dirs: -Werror=shadow is for our code, node-addon-api's headers trip it.
        '-isystem', "<!(node -p \"require('path').dirname(require.resolve('node-addon-api/package.json'))\")",
      ],
      'cflags_cc': ['-fno-exceptions'],
    },
  ],
}
