/*
 * berth-mountd: mount(2) and umount2(2) for berthd without a mount(8) process per call. berthd starts it
 * once and keeps it; it reads requests on stdin and answers each with one line on stdout.
 *
 * A request is a run of NUL-terminated fields:
 *   "m" CWD SOURCE TARGET FSTYPE FLAGS DATA     mount(SOURCE, TARGET, FSTYPE, FLAGS, DATA) in folder CWD
 *   "u" TARGET FLAGS                            umount2(TARGET, FLAGS)
 * FLAGS is decimal. The answer is "0\n", or "<errno> <strerror>\n". It exits when stdin closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char *field(void) {
  static char buf[8][65536];
  static int slot;
  char *b = buf[slot++ & 7];
  size_t n = 0;
  int c;
  while ((c = getchar()) != EOF) {
    if (c == 0) { b[n] = 0; return b; }
    if (n + 1 >= sizeof buf[0]) { fprintf(stderr, "berth-mountd: field too long\n"); exit(1); }
    b[n++] = (char)c;
  }
  if (n == 0) exit(0);
  fprintf(stderr, "berth-mountd: truncated request\n");
  exit(1);
}

static void answer(int r) {
  if (r == 0) printf("0\n");
  else printf("%d %s\n", errno, strerror(errno));
  fflush(stdout);
}

int main(void) {
  for (;;) {
    char *op = field();
    if (!strcmp(op, "m")) {
      char *cwd = field(), *src = field(), *target = field(), *type = field(), *flags = field(), *data = field();
      if (chdir(*cwd ? cwd : "/") < 0) { answer(-1); continue; }
      answer(mount(src, target, type, strtoul(flags, NULL, 10), *data ? data : NULL));
      if (chdir("/") < 0) exit(1);
    } else if (!strcmp(op, "u")) {
      char *target = field(), *flags = field();
      answer(umount2(target, (int)strtol(flags, NULL, 10)));
    } else {
      fprintf(stderr, "berth-mountd: unknown request %s\n", op);
      return 1;
    }
  }
}
