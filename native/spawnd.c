/*
 * berth-spawnd: starts programs for berthd. A fork of berthd itself (a Node process of 50-70 MB) costs
 * the daemon 7 to 15 ms of its only thread per program on the machines measured; this helper is small, so
 * its fork costs a fraction of a millisecond, and berthd only writes a request and reads an answer.
 * berthd starts it once and keeps it. Several programs run at once; answers come as each one ends,
 * tagged with the request's tag.
 *
 * A request is a run of NUL-terminated fields:
 *   TAG "r" CWD INPUT ENVC ENV... ARGC ARGV...   run ARGV[0] (searched in PATH without a slash): INPUT on stdin (a
 *                                                memfd), stdout and stderr collected. ENVC "-1": this
 *                                                helper's own environment, else ENVC entries "K=V".
 *   TAG "c" CWD ENVC ENV... ARGC ARGV...         start conmon: stdin and stdout /dev/null, stderr a pipe,
 *                                                fd 3 the sync pipe; this helper's environment plus the
 *                                                ENVC entries. Answered at the sync pipe's first line (or
 *                                                its end); both pipes are then closed.
 *   TAG "x" CWD ENVC ENV... ARGC ARGV...         start conmon for an exec: as "c", plus fd 4 the start pipe
 *                                                (the helper writes "0" into it at once, and again on "g")
 *                                                and fd 5 the attach pipe. Answered three times.
 *   TAG "g" TARGET                               write "0" into the start pipe of exec TARGET. No answer.
 *   TAG "k" TARGET SIGNAL                        kill(2) the program of request TARGET, if it still runs.
 *                                                No answer of its own.
 * Answers, one line each ("-" for an empty field, else base64):
 *   TAG "x" CODE STDOUT STDERR      "r": exited with CODE
 *   TAG "s" SIGNAL STDOUT STDERR    "r": killed by SIGNAL
 *   TAG "e" ERRNO                   could not start (chdir or execve failed in the child, or fork, pipe)
 *   TAG "c" SYNCLINE STDERR         "c": the first line of the sync pipe (at its end: what came)
 *   TAG "a" LINE STDERR             "x": the first line of the attach pipe (conmon is ready), then
 *   TAG "p" LINE                    "x": the first line of the sync pipe (the pid), then
 *   TAG "z" LINE                    "x": its second line (the exit code); the last answer
 * It exits when stdin closes; programs still running keep running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* programs at once: an exec holds its slot (and three descriptors) while it runs */
#define MAXJOBS 4096

struct buf { char *p; size_t n, cap; };

struct job {
  int used, kind; /* 'r' or 'c' */
  char *tag;
  pid_t pid;
  int out, err, sync, attach, start; /* fds, -1 when closed */
  int exited, status, answered; /* "x": how many of its three answers went */
  struct buf bout, berr, bsync, battach;
};

static struct job jobs[MAXJOBS];
static struct rlimit nofile; /* as berthd had it: the helper raises its own, its programs get this one */
static struct buf in;   /* bytes read from stdin not yet parsed */

static void die(const char *what) { fprintf(stderr, "berth-spawnd: %s: %s\n", what, strerror(errno)); exit(1); }

static void put(struct buf *b, const char *p, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    if (!(b->p = realloc(b->p, b->cap))) die("realloc");
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
  b->p[b->n] = 0;
}

static void b64(struct buf *o, const char *p, size_t n) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (n == 0) { put(o, "-", 1); return; }
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)p[i] << 16 | (i + 1 < n ? (unsigned char)p[i + 1] << 8 : 0) | (i + 2 < n ? (unsigned char)p[i + 2] : 0);
    char q[4] = { t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=', i + 2 < n ? t[v & 63] : '=' };
    put(o, q, 4);
  }
}

static void send_line(struct buf *o) {
  put(o, "\n", 1);
  for (size_t off = 0; off < o->n;) {
    ssize_t w = write(1, o->p + off, o->n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) exit(0); /* berthd is gone */
    off += (size_t)w;
  }
  free(o->p);
}

static void closefd(int *fd) { if (*fd >= 0) { close(*fd); *fd = -1; } }

static void answer_errno(const char *tag, int e) {
  struct buf o = {0};
  char num[32];
  snprintf(num, sizeof num, " e %d", e);
  put(&o, tag, strlen(tag));
  put(&o, num, strlen(num));
  send_line(&o);
}

static void finish(struct job *j) {
  free(j->tag); free(j->bout.p); free(j->berr.p); free(j->bsync.p); free(j->battach.p);
  memset(j, 0, sizeof *j);
}

/* what is on a nonblocking pipe now (conmon's own process keeps stderr open while it runs) */
static void drain(int fd, struct buf *b) {
  char tmp[4096];
  ssize_t r;
  if (fd >= 0) while ((r = read(fd, tmp, sizeof tmp)) > 0) put(b, tmp, (size_t)r);
}

/* the first line of `b` (or, `fd` closed, what came), base64 into `o`; false when it is not there yet */
static int line_of(struct buf *o, struct buf *b, int fd, int consume) {
  char *nl = b->p ? memchr(b->p, '\n', b->n) : NULL;
  if (!nl && fd >= 0) return 0;
  size_t n = nl ? (size_t)(nl - b->p) : b->n;
  b64(o, b->p, n);
  if (consume) {
    size_t used = nl ? n + 1 : n;
    memmove(b->p, b->p + used, b->n - used);
    b->n -= used;
  }
  return 1;
}

static void head(struct buf *o, const char *tag, const char *kind) { put(o, tag, strlen(tag)); put(o, kind, strlen(kind)); }

/* ends a job's answers: its pipes closed; it stays, tagless, until its process is reaped */
static void untag(struct job *j) {
  closefd(&j->out); closefd(&j->err); closefd(&j->sync); closefd(&j->attach); closefd(&j->start);
  free(j->tag); j->tag = NULL;
}

/* sends what a job can answer now */
static void maybe_answer(struct job *j) {
  struct buf o = {0};
  if (!j->tag) { if (j->exited && j->out < 0 && j->err < 0 && j->sync < 0 && j->attach < 0 && j->start < 0) finish(j); return; }
  if (j->kind == 'r') {
    if (!j->exited || j->out >= 0 || j->err >= 0) return;
    char h[48];
    if (WIFSIGNALED(j->status)) snprintf(h, sizeof h, " s %d ", WTERMSIG(j->status));
    else snprintf(h, sizeof h, " x %d ", WEXITSTATUS(j->status));
    head(&o, j->tag, h);
    b64(&o, j->bout.p, j->bout.n); put(&o, " ", 1); b64(&o, j->berr.p, j->berr.n);
    send_line(&o);
    finish(j);
    return;
  }
  if (j->kind == 'c') {
    head(&o, j->tag, " c ");
    if (!line_of(&o, &j->bsync, j->sync, 0)) { free(o.p); return; }
    drain(j->err, &j->berr);
    put(&o, " ", 1); b64(&o, j->berr.p, j->berr.n);
    send_line(&o);
    untag(j);
    maybe_answer(j);
    return;
  }
  /* "x": conmon ready (attach pipe), then the pid and the exit code (sync pipe), in that order */
  if (j->answered == 0) {
    head(&o, j->tag, " a ");
    if (!line_of(&o, &j->battach, j->attach, 0)) { free(o.p); return; }
    drain(j->err, &j->berr);
    put(&o, " ", 1); b64(&o, j->berr.p, j->berr.n);
    send_line(&o);
    closefd(&j->attach);
    j->answered = 1;
    o = (struct buf){0};
  }
  while (j->answered < 3) {
    head(&o, j->tag, j->answered == 1 ? " p " : " z ");
    if (!line_of(&o, &j->bsync, j->sync, 1)) { free(o.p); return; }
    send_line(&o);
    o = (struct buf){0};
    j->answered++;
  }
  untag(j);
  maybe_answer(j);
}

static void child_exec(int errpipe, const char *cwd, char **argv, char **envp, int fds[6]) {
  sigset_t none;
  sigemptyset(&none);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setrlimit(RLIMIT_NOFILE, &nofile);
  /* the error pipe and fds[i] (which becomes fd i) move to 64 and up first, so no dup2 overwrites a source */
  errpipe = fcntl(errpipe, F_DUPFD_CLOEXEC, 64);
  if (errpipe < 0) _exit(127);
  int hi[6], keep = 3;
  for (int i = 0; i < 6; i++) hi[i] = fds[i] < 0 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, 64);
  for (int i = 0; i < 6; i++) if (hi[i] >= 0) { if (dup2(hi[i], i) < 0) goto fail; keep = i + 1; }
  /* every other descriptor, but the error pipe (close-on-exec) */
  syscall(SYS_close_range, (unsigned)keep, (unsigned)errpipe - 1, 0U);
  syscall(SYS_close_range, (unsigned)errpipe + 1, ~0U, 0U);
  if (*cwd && chdir(cwd) < 0) goto fail;
  execvpe(argv[0], argv, envp);
fail:;
  int e = errno;
  if (write(errpipe, &e, sizeof e) < 0) _exit(127);
  _exit(127);
}

/* fields: the parsed request; returns after answering or registering the job */
static void start(char **f, int nf) {
  const char *tag = f[0];
  int kind = f[1][0], i = 2;
  const char *cwd = f[i++];
  const char *input = kind == 'r' ? f[i++] : NULL;
  int envc = atoi(f[i++]);
  char **envp = environ, **extra = f + i;
  if (envc >= 0) i += envc;
  int argc = atoi(f[i++]);
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  if (!argv) die("calloc");
  for (int a = 0; a < argc; a++) argv[a] = f[i + a];
  (void)nf;
  if (kind == 'r' && envc >= 0) {
    envp = calloc((size_t)envc + 1, sizeof *envp);
    if (!envp) die("calloc");
    for (int e = 0; e < envc; e++) envp[e] = extra[e];
  } else if (kind != 'r') {
    size_t n = 0;
    while (environ[n]) n++;
    envp = calloc(n + (size_t)envc + 1, sizeof *envp);
    if (!envp) die("calloc");
    memcpy(envp, environ, n * sizeof *envp);
    for (int e = 0; e < envc; e++) envp[n + e] = extra[e];
  }
  struct job *j = NULL;
  for (int k = 0; k < MAXJOBS; k++) if (!jobs[k].used) { j = &jobs[k]; break; }
  int p_out[2] = {-1, -1}, p_err[2] = {-1, -1}, p_sync[2] = {-1, -1}, p_fail[2] = {-1, -1}, stdin_fd = -1, devnull = -1;
  int p_start[2] = {-1, -1}, p_attach[2] = {-1, -1};
  int e = 0;
  if (!j) { e = EAGAIN; goto out; }
  if (pipe2(p_err, O_CLOEXEC) < 0 || pipe2(p_fail, O_CLOEXEC) < 0) { e = errno; goto out; }
  if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) { e = errno; goto out; }
  int fds[6] = { devnull, devnull, p_err[1], -1, -1, -1 };
  if (kind == 'r') {
    if (pipe2(p_out, O_CLOEXEC) < 0) { e = errno; goto out; }
    fds[1] = p_out[1];
    if (*input) {
      if ((stdin_fd = memfd_create("berth-spawnd-input", MFD_CLOEXEC)) < 0) { e = errno; goto out; }
      for (size_t off = 0, n = strlen(input); off < n;) {
        ssize_t w = write(stdin_fd, input + off, n - off);
        if (w < 0) { e = errno; goto out; }
        off += (size_t)w;
      }
      lseek(stdin_fd, 0, SEEK_SET);
      fds[0] = stdin_fd;
    }
  } else {
    if (pipe2(p_sync, O_CLOEXEC) < 0) { e = errno; goto out; }
    fds[3] = p_sync[1];
  }
  if (kind == 'x') {
    if (pipe2(p_start, O_CLOEXEC) < 0 || pipe2(p_attach, O_CLOEXEC) < 0) { e = errno; goto out; }
    fds[4] = p_start[0];
    fds[5] = p_attach[1];
  }
  pid_t pid = fork();
  if (pid < 0) { e = errno; goto out; }
  if (pid == 0) child_exec(p_fail[1], cwd, argv, envp, fds);
  closefd(&p_fail[1]);
  /* the child's execve closes the pipe; a failure writes its errno first */
  ssize_t r;
  while ((r = read(p_fail[0], &e, sizeof e)) < 0 && errno == EINTR) {}
  if (r != sizeof e) e = 0;
  if (e) {
    /* the child exits at once: reaped by the SIGCHLD handling, as no job holds its pid */
    goto out;
  }
  memset(j, 0, sizeof *j);
  j->used = 1; j->kind = kind; j->pid = pid;
  if (!(j->tag = strdup(tag))) die("strdup");
  j->out = p_out[0]; p_out[0] = -1;
  j->err = p_err[0]; p_err[0] = -1;
  j->sync = p_sync[0]; p_sync[0] = -1;
  j->attach = p_attach[0]; p_attach[0] = -1;
  j->start = p_start[1]; p_start[1] = -1;
  if (kind != 'r') fcntl(j->err, F_SETFL, O_NONBLOCK);
  /* conmon waits for a first byte before it creates its attach socket */
  if (kind == 'x' && write(j->start, "0", 1) < 0) closefd(&j->start);
out:
  closefd(&p_out[0]); closefd(&p_out[1]); closefd(&p_err[0]); closefd(&p_err[1]);
  closefd(&p_sync[0]); closefd(&p_sync[1]); closefd(&p_fail[0]); closefd(&p_fail[1]);
  closefd(&p_start[0]); closefd(&p_start[1]); closefd(&p_attach[0]); closefd(&p_attach[1]);
  closefd(&stdin_fd); closefd(&devnull);
  if (envp != environ) free(envp);
  free(argv);
  if (e) answer_errno(tag, e);
}

/* the number of fields request `f` (nf complete fields) needs, or 0 when more must be read first */
static int needed(char **f, int nf) {
  if (nf < 2) return 0;
  if (f[1][0] == 'k') return 4;
  if (f[1][0] == 'g') return 3;
  int i = f[1][0] == 'r' ? 4 : 3;
  if (nf <= i) return 0;
  int envc = atoi(f[i]);
  i += 1 + (envc > 0 ? envc : 0);
  if (nf <= i) return 0;
  return i + 1 + atoi(f[i]);
}

static void parse(void) {
  for (;;) {
    char *f[4096];
    int nf = 0;
    size_t off = 0;
    while (nf < 4096) {
      char *z = memchr(in.p + off, 0, in.n - off);
      if (!z) break;
      f[nf++] = in.p + off;
      off = (size_t)(z - in.p) + 1;
      int need = needed(f, nf);
      if (need && nf >= need) break;
    }
    int need = needed(f, nf);
    if (nf == 4096 && !need) { fprintf(stderr, "berth-spawnd: request too long\n"); exit(1); }
    if (!need || nf < need) return;
    if (f[1][0] == 'k') {
      for (int k = 0; k < MAXJOBS; k++)
        if (jobs[k].used && jobs[k].tag && !strcmp(jobs[k].tag, f[2]) && !jobs[k].exited) kill(jobs[k].pid, atoi(f[3]));
    } else if (f[1][0] == 'g') {
      for (int k = 0; k < MAXJOBS; k++)
        if (jobs[k].used && jobs[k].tag && !strcmp(jobs[k].tag, f[2]) && jobs[k].start >= 0 && write(jobs[k].start, "0", 1) < 0) closefd(&jobs[k].start);
    } else if (f[1][0] == 'r' || f[1][0] == 'c' || f[1][0] == 'x') {
      start(f, nf);
    } else {
      fprintf(stderr, "berth-spawnd: unknown request %s\n", f[1]);
      exit(1);
    }
    memmove(in.p, in.p + off, in.n - off);
    in.n -= off;
  }
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int k = 0; k < MAXJOBS; k++) {
      struct job *j = &jobs[k];
      if (j->used && j->pid == pid) { j->exited = 1; j->status = status; maybe_answer(j); break; }
    }
  }
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  signal(SIGPIPE, SIG_IGN);
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    struct rlimit raised = { nofile.rlim_max, nofile.rlim_max };
    setrlimit(RLIMIT_NOFILE, &raised);
  }
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  for (;;) {
    static struct pollfd p[2 + 4 * MAXJOBS];
    static struct { struct job *j; int *fd; struct buf *b; } who[2 + 4 * MAXJOBS];
    int n = 0;
    p[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
    for (int k = 0; k < MAXJOBS; k++) {
      struct job *j = &jobs[k];
      if (!j->used) continue;
      int *fds[4] = { &j->out, &j->err, &j->sync, &j->attach };
      struct buf *bs[4] = { &j->bout, &j->berr, &j->bsync, &j->battach };
      for (int i = 0; i < 4; i++) {
        if (*fds[i] < 0) continue;
        who[n].j = j; who[n].fd = fds[i]; who[n].b = bs[i];
        p[n++] = (struct pollfd){ .fd = *fds[i], .events = POLLIN };
      }
    }
    if (poll(p, (nfds_t)n, -1) < 0) { if (errno == EINTR) continue; die("poll"); }
    if (p[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      reap();
    }
    for (int i = 2; i < n; i++) {
      if (!p[i].revents || *who[i].fd != p[i].fd) continue;
      char tmp[65536];
      ssize_t r = read(p[i].fd, tmp, sizeof tmp);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r > 0) put(who[i].b, tmp, (size_t)r);
      else closefd(who[i].fd);
      maybe_answer(who[i].j);
    }
    if (p[0].revents) {
      char tmp[65536];
      ssize_t r = read(0, tmp, sizeof tmp);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return 0;
      put(&in, tmp, (size_t)r);
      parse();
    }
  }
}
