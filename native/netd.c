/*
 * berth-netd: links, addresses, routes, sysctls and nftables rulesets for berthd without a process per
 * call (no ip, nsenter or nft). berthd starts it once and keeps it; it reads requests on stdin and answers
 * each with one line on stdout. Links, addresses and routes go over rtnetlink; rulesets go to libnftables
 * (loaded with dlopen, so the helper builds and runs without it: then "nft" ops fail with ENOSYS and
 * berthd runs nft(8) instead).
 *
 * A request is a run of NUL-terminated fields: "x" COUNT, then COUNT ops, each its name and arguments:
 *   ns PID                                       enter the network namespace of PID (for the ops after it)
 *   veth NAME MTU PEER PEERMAC PEERMTU PID MASTER  a veth pair; PEER created in the namespace of PID;
 *                                                  NAME put on bridge MASTER (unless "") and up
 *   macvlan PARENT NAME MAC MTU PID MODE         a macvlan child of PARENT, created in the namespace of PID
 *   up DEV                                       link set DEV up
 *   addr DEV A.B.C.D/N                           address add
 *   route VIA DEV                                route replace default via VIA dev DEV
 *   del DEV                                      link del DEV (an interface that is gone is no error)
 *   sysctl PATH VALUE                            write VALUE to /proc/sys/PATH (in the current namespace)
 *   nft SCRIPT                                   run an nftables script (one transaction), as nft -f
 * Ops run in order; the first failure ends the request. After each request the helper is back in its own
 * network namespace. The answer is "0\n", or "<op index> <errno> <message>\n" (errno 0 for an nft error,
 * whose message is nft's, with "\n" written as "\\n" and "\\" as "\\\\"). "v" answers "0 <features>\n"
 * (features: "nft" when libnftables was loaded). It exits when stdin closes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------ requests */

static char *field(void) {
  static char *buf[16];
  static size_t cap[16];
  static int slot;
  int i = slot++ & 15;
  size_t n = 0;
  int c;
  if (!buf[i]) { cap[i] = 4096; buf[i] = malloc(cap[i]); }
  while ((c = getchar()) != EOF) {
    if (n + 1 >= cap[i]) {
      if (cap[i] >= (64u << 20)) { fprintf(stderr, "berth-netd: field too long\n"); exit(1); }
      cap[i] *= 2;
      buf[i] = realloc(buf[i], cap[i]);
      if (!buf[i]) exit(1);
    }
    if (c == 0) { buf[i][n] = 0; return buf[i]; }
    buf[i][n++] = (char)c;
  }
  if (n == 0) exit(0);
  fprintf(stderr, "berth-netd: truncated request\n");
  exit(1);
}

static char errmsg[65536];

static int fail(int e, const char *fmt, const char *arg) {
  snprintf(errmsg, sizeof errmsg, fmt, arg, strerror(e));
  errno = e;
  return -1;
}

/* ------------------------------------------------------------------ rtnetlink */

static int rtnl = -1;
static unsigned seq;

struct msg {
  struct nlmsghdr n;
  char buf[2048];
};

static void *tail(struct nlmsghdr *n) { return (char *)n + NLMSG_ALIGN(n->nlmsg_len); }

static void attr(struct nlmsghdr *n, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = tail(n);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void attr32(struct nlmsghdr *n, unsigned short type, uint32_t v) { attr(n, type, &v, sizeof v); }
static void attrstr(struct nlmsghdr *n, unsigned short type, const char *s) { attr(n, type, s, strlen(s) + 1); }
static struct rtattr *nest(struct nlmsghdr *n, unsigned short type) { struct rtattr *a = tail(n); attr(n, type, NULL, 0); return a; }
static void nest_end(struct nlmsghdr *n, struct rtattr *a) { a->rta_len = (char *)tail(n) - (char *)a; }

static int rtnl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { close(fd); return -1; }
  return fd;
}

/* send one request with NLM_F_ACK and read its ack: 0, or -1 with errno */
static int talk(struct nlmsghdr *n) {
  n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  n->nlmsg_seq = ++seq;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (sendto(rtnl, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) return -1;
  char buf[8192];
  for (;;) {
    ssize_t r = recv(rtnl, buf, sizeof buf, 0);
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      int e = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (e) { errno = e; return -1; }
      return 0;
    }
  }
}

static struct ifinfomsg *link_msg(struct msg *m, int type, int flags) {
  memset(m, 0, sizeof *m);
  m->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  m->n.nlmsg_type = type;
  m->n.nlmsg_flags = flags;
  struct ifinfomsg *i = NLMSG_DATA(&m->n);
  i->ifi_family = AF_UNSPEC;
  return i;
}

static int parse_mac(const char *s, unsigned char mac[6]) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int ns_fd(const char *pid) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%s/ns/net", pid);
  return open(p, O_RDONLY | O_CLOEXEC);
}

static int index_of(const char *dev) {
  unsigned i = if_nametoindex(dev);
  if (!i) { fail(ENODEV, "no interface %s: %s", dev); return -1; }
  return (int)i;
}

/* link set DEV up [master MASTER] */
static int link_up(const char *dev, const char *master) {
  int idx = index_of(dev);
  if (idx < 0) return -1;
  struct msg m;
  struct ifinfomsg *i = link_msg(&m, RTM_NEWLINK, 0);
  i->ifi_index = idx;
  i->ifi_flags = IFF_UP;
  i->ifi_change = IFF_UP;
  if (master && *master) {
    int b = index_of(master);
    if (b < 0) return -1;
    attr32(&m.n, IFLA_MASTER, (uint32_t)b);
  }
  if (talk(&m.n) < 0) return fail(errno, "link set %s up: %s", dev);
  return 0;
}

static int op_veth(char **a) {
  const char *name = a[0], *peer = a[2], *master = a[6];
  unsigned char mac[6];
  if (parse_mac(a[3], mac) < 0) return fail(EINVAL, "bad MAC address %s: %s", a[3]);
  int fd = ns_fd(a[5]);
  if (fd < 0) return fail(errno, "network namespace of process %s: %s", a[5]);
  struct msg m;
  link_msg(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  attrstr(&m.n, IFLA_IFNAME, name);
  attr32(&m.n, IFLA_MTU, (uint32_t)strtoul(a[1], NULL, 10));
  struct rtattr *info = nest(&m.n, IFLA_LINKINFO);
  attrstr(&m.n, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest(&m.n, IFLA_INFO_DATA);
  struct rtattr *p = nest(&m.n, VETH_INFO_PEER);
  m.n.nlmsg_len += sizeof(struct ifinfomsg); /* the peer's own ifinfomsg, zeroed */
  attrstr(&m.n, IFLA_IFNAME, peer);
  attr(&m.n, IFLA_ADDRESS, mac, 6);
  attr32(&m.n, IFLA_MTU, (uint32_t)strtoul(a[4], NULL, 10));
  attr32(&m.n, IFLA_NET_NS_FD, (uint32_t)fd);
  nest_end(&m.n, p);
  nest_end(&m.n, data);
  nest_end(&m.n, info);
  int r = talk(&m.n);
  int e = errno;
  close(fd);
  if (r < 0) return fail(e, "link add %s type veth: %s", name);
  return link_up(name, master);
}

static int op_macvlan(char **a) {
  static const struct { const char *name; uint32_t mode; } modes[] = {
    { "private", MACVLAN_MODE_PRIVATE }, { "vepa", MACVLAN_MODE_VEPA }, { "bridge", MACVLAN_MODE_BRIDGE },
    { "passthru", MACVLAN_MODE_PASSTHRU }, { "source", MACVLAN_MODE_SOURCE },
  };
  const char *parent = a[0], *name = a[1];
  uint32_t mode = 0;
  for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) if (!strcmp(a[5], modes[k].name)) mode = modes[k].mode;
  if (!mode) return fail(EINVAL, "bad macvlan mode %s: %s", a[5]);
  unsigned char mac[6];
  if (parse_mac(a[2], mac) < 0) return fail(EINVAL, "bad MAC address %s: %s", a[2]);
  int link = index_of(parent);
  if (link < 0) return -1;
  int fd = ns_fd(a[4]);
  if (fd < 0) return fail(errno, "network namespace of process %s: %s", a[4]);
  struct msg m;
  link_msg(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  attr32(&m.n, IFLA_LINK, (uint32_t)link);
  attrstr(&m.n, IFLA_IFNAME, name);
  attr(&m.n, IFLA_ADDRESS, mac, 6);
  attr32(&m.n, IFLA_MTU, (uint32_t)strtoul(a[3], NULL, 10));
  attr32(&m.n, IFLA_NET_NS_FD, (uint32_t)fd);
  struct rtattr *info = nest(&m.n, IFLA_LINKINFO);
  attrstr(&m.n, IFLA_INFO_KIND, "macvlan");
  struct rtattr *data = nest(&m.n, IFLA_INFO_DATA);
  attr32(&m.n, IFLA_MACVLAN_MODE, mode);
  nest_end(&m.n, data);
  nest_end(&m.n, info);
  int r = talk(&m.n);
  int e = errno;
  close(fd);
  if (r < 0) return fail(e, "link add %s type macvlan: %s", name);
  return 0;
}

static int op_addr(char **a) {
  char ip[32];
  unsigned plen;
  struct in_addr in;
  if (sscanf(a[1], "%31[0-9.]/%u", ip, &plen) != 2 || plen > 32 || inet_pton(AF_INET, ip, &in) != 1) return fail(EINVAL, "bad address %s: %s", a[1]);
  int idx = index_of(a[0]);
  if (idx < 0) return -1;
  struct msg m;
  memset(&m, 0, sizeof m);
  m.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  m.n.nlmsg_type = RTM_NEWADDR;
  m.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct ifaddrmsg *ifa = NLMSG_DATA(&m.n);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char)plen;
  ifa->ifa_index = (unsigned)idx;
  attr(&m.n, IFA_LOCAL, &in, 4);
  attr(&m.n, IFA_ADDRESS, &in, 4);
  if (talk(&m.n) < 0) return fail(errno, "address add %s: %s", a[1]);
  return 0;
}

static int op_route(char **a) {
  struct in_addr gw;
  if (inet_pton(AF_INET, a[0], &gw) != 1) return fail(EINVAL, "bad gateway %s: %s", a[0]);
  int idx = index_of(a[1]);
  if (idx < 0) return -1;
  struct msg m;
  memset(&m, 0, sizeof m);
  m.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  m.n.nlmsg_type = RTM_NEWROUTE;
  m.n.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  struct rtmsg *rt = NLMSG_DATA(&m.n);
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  attr(&m.n, RTA_GATEWAY, &gw, 4);
  attr32(&m.n, RTA_OIF, (uint32_t)idx);
  if (talk(&m.n) < 0) return fail(errno, "route replace default via %s: %s", a[0]);
  return 0;
}

static int op_del(char **a) {
  unsigned idx = if_nametoindex(a[0]);
  if (!idx) return 0;
  struct msg m;
  struct ifinfomsg *i = link_msg(&m, RTM_DELLINK, 0);
  i->ifi_index = (int)idx;
  if (talk(&m.n) < 0 && errno != ENODEV) return fail(errno, "link del %s: %s", a[0]);
  return 0;
}

static int op_sysctl(char **a) {
  if (strstr(a[0], "..") || a[0][0] == '/') return fail(EINVAL, "bad sysctl path %s: %s", a[0]);
  char p[512];
  snprintf(p, sizeof p, "/proc/sys/%s", a[0]);
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "sysctl %s: %s", a[0]);
  ssize_t w = write(fd, a[1], strlen(a[1]));
  int e = errno;
  close(fd);
  if (w < 0) return fail(e, "sysctl %s: %s", a[0]);
  return 0;
}

/* ------------------------------------------------------------------ nftables */

struct nft_ctx;
static struct nft_ctx *(*nft_new)(uint32_t);
static void (*nft_free)(struct nft_ctx *);
static int (*nft_run)(struct nft_ctx *, const char *);
static int (*nft_buffer_output)(struct nft_ctx *);
static int (*nft_buffer_error)(struct nft_ctx *);
static const char *(*nft_error_buffer)(struct nft_ctx *);
static struct nft_ctx *host_nft; /* kept: its cache makes later runs cheap */
static struct nft_ctx *ns_nft;   /* for the namespace the request entered */

static void load_nft(void) {
  void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) return;
  nft_new = dlsym(h, "nft_ctx_new");
  nft_free = dlsym(h, "nft_ctx_free");
  nft_run = dlsym(h, "nft_run_cmd_from_buffer");
  nft_buffer_output = dlsym(h, "nft_ctx_buffer_output");
  nft_buffer_error = dlsym(h, "nft_ctx_buffer_error");
  nft_error_buffer = dlsym(h, "nft_ctx_get_error_buffer");
  if (!nft_new || !nft_free || !nft_run || !nft_buffer_output || !nft_buffer_error || !nft_error_buffer) nft_new = NULL;
}

static struct nft_ctx *nft_open(void) {
  struct nft_ctx *c = nft_new(0);
  if (c) { nft_buffer_output(c); nft_buffer_error(c); }
  return c;
}

static int op_nft(char **a, int in_ns) {
  if (!nft_new) return fail(ENOSYS, "nft: %s%s", "libnftables is not available: ");
  struct nft_ctx **slot = in_ns ? &ns_nft : &host_nft;
  if (!*slot) *slot = nft_open();
  if (!*slot) return fail(ENOMEM, "nft: %s%s", "");
  if (nft_run(*slot, a[0]) != 0) {
    const char *e = nft_error_buffer(*slot);
    snprintf(errmsg, sizeof errmsg, "%s", e && *e ? e : "nft failed");
    /* the next run starts with an empty error buffer and a fresh cache */
    nft_free(*slot);
    *slot = NULL;
    errno = 0;
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ main loop */

static int host_ns = -1, host_rtnl = -1;

static int enter(const char *pid, int *in_ns) {
  int fd = ns_fd(pid);
  if (fd < 0) return fail(errno, "network namespace of process %s: %s", pid);
  int r = setns(fd, CLONE_NEWNET);
  int e = errno;
  close(fd);
  if (r < 0) return fail(e, "enter the network namespace of process %s: %s", pid);
  *in_ns = 1;
  if (rtnl != host_rtnl) close(rtnl);
  if (ns_nft) { nft_free(ns_nft); ns_nft = NULL; }
  rtnl = rtnl_open();
  if (rtnl < 0) return fail(errno, "netlink socket in the namespace of %s: %s", pid);
  return 0;
}

static void leave(void) {
  if (ns_nft) { nft_free(ns_nft); ns_nft = NULL; }
  if (rtnl != host_rtnl) { if (rtnl >= 0) close(rtnl); rtnl = host_rtnl; }
  if (setns(host_ns, CLONE_NEWNET) < 0) { perror("berth-netd: back to its own network namespace"); exit(1); }
}

static void answer_error(int index, int e) {
  printf("%d %d ", index, e);
  for (const char *p = errmsg; *p; p++) {
    if (*p == '\n') fputs("\\n", stdout);
    else if (*p == '\\') fputs("\\\\", stdout);
    else putchar(*p);
  }
  putchar('\n');
}

int main(void) {
  host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  host_rtnl = rtnl = rtnl_open();
  if (host_ns < 0 || rtnl < 0) { perror("berth-netd"); return 1; }
  load_nft();
  static const struct { const char *name; int argc; } ops[] = {
    { "ns", 1 }, { "veth", 7 }, { "macvlan", 6 }, { "up", 1 }, { "addr", 2 }, { "route", 2 }, { "del", 1 }, { "sysctl", 2 }, { "nft", 1 },
  };
  for (;;) {
    char *req = field();
    if (!strcmp(req, "v")) {
      printf("0%s\n", nft_new ? " nft" : "");
      fflush(stdout);
      continue;
    }
    if (strcmp(req, "x")) { fprintf(stderr, "berth-netd: unknown request %s\n", req); return 1; }
    long count = strtol(field(), NULL, 10);
    int failed = -1, err = 0, in_ns = 0;
    for (long k = 0; k < count; k++) {
      char *name = field();
      int argc = -1;
      for (size_t j = 0; j < sizeof ops / sizeof ops[0]; j++) if (!strcmp(name, ops[j].name)) argc = ops[j].argc;
      if (argc < 0) { fprintf(stderr, "berth-netd: unknown op %s\n", name); return 1; }
      char *a[8];
      for (int j = 0; j < argc; j++) a[j] = strdup(field());
      if (failed < 0) {
        int r;
        if (!strcmp(name, "ns")) r = enter(a[0], &in_ns);
        else if (!strcmp(name, "veth")) r = op_veth(a);
        else if (!strcmp(name, "macvlan")) r = op_macvlan(a);
        else if (!strcmp(name, "up")) r = link_up(a[0], NULL);
        else if (!strcmp(name, "addr")) r = op_addr(a);
        else if (!strcmp(name, "route")) r = op_route(a);
        else if (!strcmp(name, "del")) r = op_del(a);
        else if (!strcmp(name, "sysctl")) r = op_sysctl(a);
        else r = op_nft(a, in_ns);
        if (r < 0) { failed = (int)k; err = errno; }
      }
      for (int j = 0; j < argc; j++) free(a[j]);
    }
    if (in_ns) leave();
    if (failed < 0) printf("0\n");
    else answer_error(failed, err);
    fflush(stdout);
  }
}
