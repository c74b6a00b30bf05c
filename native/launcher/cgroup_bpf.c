/* Device access under cgroup v2. v2 has no devices.allow file: instead, each time a process of the
 * cgroup creates (mknod) or opens a device node, the kernel runs the BPF programs of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to its cgroup. 1 lets the access through, 0 makes it fail
 * with EPERM. We assemble that program here by hand, instruction by instruction, from the same rule
 * list v1 writes to devices.allow/deny (crun's and runc's device filters work the same way).
 *
 * The program's input (r1 points at it) is struct bpf_cgroup_dev_ctx:
 *   u32 access_type   (access << 16) | type; type 1 block, 2 char; access 1 mknod | 2 read | 4 write
 *   u32 major
 *   u32 minor                                                                                     */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"

/* ---- instructions (the kernel's own filter.h macros, as functions) ---- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}
/* dst = *(u32 *)(src + off) */
static struct bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0); }
/* (u32) dst &= imm,  (u32) dst >>= imm,  (u32) dst = src,  dst = imm */
static struct bpf_insn and32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
static struct bpf_insn rsh32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
static struct bpf_insn mov32(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
static struct bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
/* if (dst != imm) / if (dst != src) goto pc + 1 + off (the offset is filled in once known) */
static struct bpf_insn jne_imm(uint8_t dst, int32_t imm) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm); }
static struct bpf_insn jne_reg(uint8_t dst, uint8_t src) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0); }
static struct bpf_insn exit_insn(void) { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

static unsigned emit(struct lab_bpf_program *prog, struct bpf_insn in)
{
	if (prog->count == LAB_BPF_MAX_INSNS)
		die(lab_cg_step, "internal error: the device program needs more than %d instructions", LAB_BPF_MAX_INSNS);
	prog->insns[prog->count] = in;
	return prog->count++;
}

static int access_bits(const char *access)
{
	int bits = 0;
	for (; *access; access++)
		bits |= *access == 'm' ? BPF_DEVCG_ACC_MKNOD : *access == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
	return bits;
}
#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/* One rule: every test that fails jumps past the block; if all pass, return the rule's verdict.
 *
 *     if (type != RULE_TYPE) goto next;                 (not for type a)
 *     if ((access & RULE_ACCESS) != access) goto next;  (not when the rule grants rwm)  
 *     if (major != RULE_MAJOR) goto next;               (not for *)
 *     if (minor != RULE_MINOR) goto next;               (not for *)
 *     return ALLOW ? 1 : 0;
 *   next:                                                                                         */
static void emit_rule(struct lab_bpf_program *prog, const struct lab_cg_device_rule *rule)
{
	unsigned jumps[4];
	unsigned jump_count = 0;
	int access = access_bits(rule->access);
	if (rule->type != 'a')
		jumps[jump_count++] = emit(prog, jne_imm(BPF_REG_2, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
	if (access != ACC_ALL) {
		emit(prog, mov32(BPF_REG_1, BPF_REG_3));
		emit(prog, and32(BPF_REG_1, access));
		jumps[jump_count++] = emit(prog, jne_reg(BPF_REG_1, BPF_REG_3));
	}
	if (rule->major != LAB_CG_ANY)
		jumps[jump_count++] = emit(prog, jne_imm(BPF_REG_4, (int32_t)rule->major));
	if (rule->minor != LAB_CG_ANY)
		jumps[jump_count++] = emit(prog, jne_imm(BPF_REG_5, (int32_t)rule->minor));
	emit(prog, mov64_imm(BPF_REG_0, rule->allow ? 1 : 0));
	emit(prog, exit_insn());
	/* A jump lands at pc + 1 + off: the first instruction after this block. */
	for (unsigned i = 0; i < jump_count; i++)
		prog->insns[jumps[i]].off = (int16_t)(prog->count - jumps[i] - 1);
}

void lab_bpf_device_program(const struct lab_cg_device_rule *rules, unsigned count, struct lab_bpf_program *prog)
{
	prog->count = 0;
	emit(prog, load_u32(BPF_REG_2, BPF_REG_1, 0)); /* r2 = type */
	emit(prog, and32(BPF_REG_2, 0xffff));
	emit(prog, load_u32(BPF_REG_3, BPF_REG_1, 0)); /* r3 = access */
	emit(prog, rsh32(BPF_REG_3, 16));
	emit(prog, load_u32(BPF_REG_4, BPF_REG_1, 4)); /* r4 = major */
	emit(prog, load_u32(BPF_REG_5, BPF_REG_1, 8)); /* r5 = minor */
	/* In v1 the last rule that matches decides; a program decides at the first match it reaches,
	 * so the rules go in backwards. A rule for every device ends the program: nothing after it
	 * could run, and the verifier refuses code that cannot be reached. */
	for (unsigned i = count; i-- > 0;) {
		const struct lab_cg_device_rule *rule = &rules[i];
		if (rule->type == 'a' && rule->major == LAB_CG_ANY && rule->minor == LAB_CG_ANY &&
		    access_bits(rule->access) == ACC_ALL) {
			emit(prog, mov64_imm(BPF_REG_0, rule->allow ? 1 : 0));
			emit(prog, exit_insn());
			return;
		}
		emit_rule(prog, rule);
	}
	emit(prog, mov64_imm(BPF_REG_0, 0)); /* no rule matched: refuse */
	emit(prog, exit_insn());
}

/* ---- into the kernel ---- */

static int bpf(int cmd, union bpf_attr *attr)
{
	/* glibc has no wrapper for bpf(2). */
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

void lab_bpf_attach_device_program(const struct lab_bpf_program *prog, const char *cgroup_dir)
{
	union bpf_attr load;
	memset(&load, 0, sizeof(load));
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)prog->insns;
	load.insn_cnt = prog->count;
	/* Only GPL-only kernel helpers care about the licence; this program calls no helper at all. */
	load.license = (uint64_t)(uintptr_t)"Apache-2.0";
	/* The verifier checks the program first: every path ends in exit, every read is in bounds. */
	int prog_fd = bpf(BPF_PROG_LOAD, &load);
	if (prog_fd < 0) {
		/* Ask again with the verifier's log, to say why. */
		static char log[65536];
		int err = errno;
		load.log_buf = (uint64_t)(uintptr_t)log;
		load.log_size = sizeof(log);
		load.log_level = 1;
		if (bpf(BPF_PROG_LOAD, &load) < 0)
			err = errno;
		size_t len = strlen(log);
		while (len > 0 && log[len - 1] == '\n')
			log[--len] = '\0';
		const char *last_line = strrchr(log, '\n');
		die_with_errno(err, "cgroup_devices", "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, %u instructions)%s%s",
			       prog->count, len ? ", the verifier says: " : "", last_line ? last_line + 1 : log);
	}
	int cgroup_fd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		die_with_error("cgroup_devices", "open(\"%s\")", cgroup_dir);
	union bpf_attr attach;
	memset(&attach, 0, sizeof(attach));
	attach.target_fd = (uint32_t)cgroup_fd;
	attach.attach_bpf_fd = (uint32_t)prog_fd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	/* ALLOW_MULTI: programs of the ancestors run too, and every one must allow. */
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &attach) < 0)
		die_with_error("cgroup_devices", "bpf(BPF_PROG_ATTACH, \"%s\", BPF_CGROUP_DEVICE)", cgroup_dir);
	/* The attachment holds the program for as long as the cgroup exists: our fds can go. */
	if (close(prog_fd) < 0 || close(cgroup_fd) < 0)
		die_with_error("cgroup_devices", "close(BPF program, cgroup)");
}
