/*
 * berth-seccomp-bpf: compiles an OCI seccomp profile with libseccomp and writes the raw BPF program to
 * stdout, for crun's `run.oci.seccomp_bpf_data` annotation. Berth runs it once per distinct profile and
 * caches the result by the profile's hash (src/runtime/seccomp/).
 *
 * Input on stdin, one directive per line, fields separated by single spaces (Berth writes it from the
 * profile's JSON, so this program parses no JSON):
 *   default ACTION ERRNO              the default action (SCMP_ACT_ without its prefix) and its errno
 *   arch NAME                         an architecture as libseccomp names it (x86_64, x86, x32, ...)
 *   rule ACTION ERRNO SYSCALL N [INDEX OP A B]{N}
 *                                     a syscall rule; OP is SCMP_CMP_ without its prefix, A and B decimal
 * The rules are added as crun adds them: a rule whose action is the default one is left out, an unknown
 * syscall name is skipped, and conditions on the same argument become one rule each.
 * Exit status 0 with the program on stdout, or 1 with a message on stderr.
 *
 * berth-seccomp-bpf --resolve ARCH NAME...  prints each syscall's number on ARCH as libseccomp knows it
 * (negative when ARCH has no such syscall), one a line: the tests check compiled filters against it.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "berth-seccomp-bpf: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static uint32_t action_of(const char *name, const char *errno_text) {
  unsigned long e = strtoul(errno_text, NULL, 10);
  if (!strcmp(name, "ALLOW")) return SCMP_ACT_ALLOW;
  if (!strcmp(name, "ERRNO")) return SCMP_ACT_ERRNO((uint16_t)e);
  if (!strcmp(name, "TRACE")) return SCMP_ACT_TRACE((uint16_t)e);
  if (!strcmp(name, "KILL")) return SCMP_ACT_KILL;
  if (!strcmp(name, "KILL_THREAD")) return SCMP_ACT_KILL_THREAD;
  if (!strcmp(name, "KILL_PROCESS")) return SCMP_ACT_KILL_PROCESS;
  if (!strcmp(name, "TRAP")) return SCMP_ACT_TRAP;
  if (!strcmp(name, "LOG")) return SCMP_ACT_LOG;
  fail("unknown action", name);
  return 0;
}

static enum scmp_compare op_of(const char *name) {
  if (!strcmp(name, "NE")) return SCMP_CMP_NE;
  if (!strcmp(name, "LT")) return SCMP_CMP_LT;
  if (!strcmp(name, "LE")) return SCMP_CMP_LE;
  if (!strcmp(name, "EQ")) return SCMP_CMP_EQ;
  if (!strcmp(name, "GE")) return SCMP_CMP_GE;
  if (!strcmp(name, "GT")) return SCMP_CMP_GT;
  if (!strcmp(name, "MASKED_EQ")) return SCMP_CMP_MASKED_EQ;
  fail("unknown operator", name);
  return 0;
}

#define MAX_FIELDS 40

static int resolve(int argc, char **argv) {
  uint32_t arch = seccomp_arch_resolve_name(argv[2]);
  if (arch == 0) fail("unknown architecture", argv[2]);
  for (int i = 3; i < argc; i++) printf("%d\n", seccomp_syscall_resolve_name_arch(arch, argv[i]));
  return 0;
}

int main(int argc, char **argv) {
  static char line[8192];
  if (argc >= 3 && !strcmp(argv[1], "--resolve")) return resolve(argc, argv);
  char *f[MAX_FIELDS];
  scmp_filter_ctx ctx = NULL;
  uint32_t def = 0;
  while (fgets(line, sizeof line, stdin)) {
    size_t n = 0;
    char *save = NULL;
    line[strcspn(line, "\n")] = 0;
    for (char *t = strtok_r(line, " ", &save); t && n < MAX_FIELDS; t = strtok_r(NULL, " ", &save)) f[n++] = t;
    if (n == 0) continue;
    if (!strcmp(f[0], "default") && n == 3) {
      if (ctx) fail("default given twice", NULL);
      def = action_of(f[1], f[2]);
      ctx = seccomp_init(def);
      if (!ctx) fail("seccomp_init failed", NULL);
      continue;
    }
    if (!ctx) fail("the first directive must be default", NULL);
    if (!strcmp(f[0], "arch") && n == 2) {
      uint32_t token = seccomp_arch_resolve_name(f[1]);
      if (token == 0) fail("unknown architecture", f[1]);
      int r = seccomp_arch_add(ctx, token);
      if (r < 0 && r != -EEXIST) fail("seccomp_arch_add", strerror(-r));
      continue;
    }
    if (!strcmp(f[0], "rule") && n >= 5) {
      uint32_t action = action_of(f[1], f[2]);
      unsigned long nargs = strtoul(f[4], NULL, 10);
      if (nargs > 6 || n != 5 + 4 * nargs) fail("malformed rule for", f[3]);
      if (action == def) continue;
      int nr = seccomp_syscall_resolve_name(f[3]);
      if (nr == __NR_SCMP_ERROR) continue;
      struct scmp_arg_cmp cmp[6];
      unsigned count[6] = {0};
      int repeated = 0;
      for (unsigned long k = 0; k < nargs; k++) {
        unsigned long idx = strtoul(f[5 + 4 * k], NULL, 10);
        if (idx >= 6) fail("argument index out of range for", f[3]);
        if (++count[idx] > 1) repeated = 1;
        cmp[k].arg = (unsigned)idx;
        cmp[k].op = op_of(f[6 + 4 * k]);
        cmp[k].datum_a = strtoull(f[7 + 4 * k], NULL, 10);
        cmp[k].datum_b = strtoull(f[8 + 4 * k], NULL, 10);
      }
      int r = 0;
      if (!repeated) {
        r = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, cmp);
      } else {
        for (unsigned long k = 0; k < nargs && r == 0; k++) r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[k]);
      }
      if (r < 0) fail(f[3], strerror(-r));
      continue;
    }
    fail("malformed directive", f[0]);
  }
  if (!ctx) fail("no default action", NULL);
  int r = seccomp_export_bpf(ctx, 1);
  if (r < 0) fail("seccomp_export_bpf", strerror(-r));
  seccomp_release(ctx);
  return 0;
}
