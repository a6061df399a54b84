/*
 * berth-hide-mount-exec MOUNTPOINT BINARY [ARGS...]
 *
 * Runs BINARY in a mount namespace of its own in which MOUNTPOINT is unmounted (lazily), and nothing
 * else changes. Berth runs crun through it on hosts with the hybrid cgroup layout (cgroup v1 hierarchies
 * plus a cgroup2 mount at /sys/fs/cgroup/unified that holds a controller), which crun 1.8 refuses; without
 * that mount crun sees plain cgroup v1. The namespace's mounts become slaves of the host's: mounts the host
 * makes later still reach it, and the unmount never reaches the host. One exec, no shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MOUNTPOINT BINARY [ARGS...]\n", argv[0]);
    return 125;
  }
  if (unshare(CLONE_NEWNS) < 0) {
    fprintf(stderr, "berth-hide-mount-exec: unshare(CLONE_NEWNS): %s\n", strerror(errno));
    return 125;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
    fprintf(stderr, "berth-hide-mount-exec: make / a slave: %s\n", strerror(errno));
    return 125;
  }
  /* EINVAL: not a mount point (already gone): nothing to hide */
  if (umount2(argv[1], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    fprintf(stderr, "berth-hide-mount-exec: umount %s: %s\n", argv[1], strerror(errno));
    return 125;
  }
  execv(argv[2], argv + 2);
  fprintf(stderr, "berth-hide-mount-exec: exec %s: %s\n", argv[2], strerror(errno));
  return 127;
}
