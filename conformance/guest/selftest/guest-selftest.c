// guest-selftest: static binary run inside the qemu guest by conformance/guest/selftest.sh.
// Checks: uname, bpf(BPF_MAP_CREATE) + update/lookup, BPF_PROG_LOAD + BPF_PROG_TEST_RUN of a
// trivial program, /sys/kernel/btf/vmlinux, bpf in the active LSM list, and that an ext4 file's
// page cache can be made cold with posix_fadvise(POSIX_FADV_DONTNEED) (checked with mincore).
// Usage: guest-selftest <expected-release-prefix> <file-on-ext4>
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int passed, failed;
#define CHECK(name, cond, ...) do { if (cond) { passed++; printf("PASS %s: ", name); } \
  else { failed++; printf("FAIL %s: ", name); } printf(__VA_ARGS__); printf("\n"); } while (0)

static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }

static int resident_pages(const char *path, long *total) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct stat st; fstat(fd, &st);
  long pg = sysconf(_SC_PAGESIZE), n = (st.st_size + pg - 1) / pg;
  void *m = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  unsigned char *v = calloc(n, 1);
  int r = -1;
  if (m != MAP_FAILED && mincore(m, st.st_size, v) == 0) { r = 0; for (long i = 0; i < n; i++) r += v[i] & 1; }
  if (m != MAP_FAILED) munmap(m, st.st_size);
  free(v); close(fd); *total = n;
  return r;
}

int main(int argc, char **argv) {
  const char *want = argc > 1 ? argv[1] : "7.2";
  const char *file = argc > 2 ? argv[2] : "/mnt/ext4/data.bin";
  setvbuf(stdout, NULL, _IONBF, 0);

  struct utsname u; uname(&u);
  CHECK("uname", strncmp(u.release, want, strlen(want)) == 0, "release %s (want prefix %s)", u.release, want);

  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_ARRAY; a.key_size = 4; a.value_size = 8; a.max_entries = 4;
  int map = sys_bpf(BPF_MAP_CREATE, &a);
  CHECK("map_create", map >= 0, "fd %d errno %s", map, map < 0 ? strerror(errno) : "-");
  if (map >= 0) {
    unsigned k = 1; unsigned long long v = 0x1122334455667788ULL, got = 0;
    memset(&a, 0, sizeof a); a.map_fd = map; a.key = (unsigned long)&k; a.value = (unsigned long)&v;
    long r1 = sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
    memset(&a, 0, sizeof a); a.map_fd = map; a.key = (unsigned long)&k; a.value = (unsigned long)&got;
    long r2 = sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
    CHECK("map_update_lookup", r1 == 0 && r2 == 0 && got == v, "update %ld lookup %ld value %#llx", r1, r2, got);
  }

  struct bpf_insn prog[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 42 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  static char log[4096];
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER; a.insns = (unsigned long)prog; a.insn_cnt = 2;
  a.license = (unsigned long)"GPL"; a.log_buf = (unsigned long)log; a.log_size = sizeof log; a.log_level = 1;
  int pfd = sys_bpf(BPF_PROG_LOAD, &a);
  CHECK("prog_load", pfd >= 0, "fd %d errno %s log: %.200s", pfd, pfd < 0 ? strerror(errno) : "-", log);
  if (pfd >= 0) {
    unsigned char pkt[64] = {0};
    memset(&a, 0, sizeof a);
    a.test.prog_fd = pfd; a.test.data_in = (unsigned long)pkt; a.test.data_size_in = sizeof pkt; a.test.repeat = 1;
    long r = sys_bpf(BPF_PROG_TEST_RUN, &a);
    CHECK("prog_test_run", r == 0 && a.test.retval == 42, "rc %ld retval %u", r, a.test.retval);
  }

  struct stat st;
  int r = stat("/sys/kernel/btf/vmlinux", &st);
  CHECK("btf_vmlinux", r == 0 && st.st_size > 0, "size %lld", r == 0 ? (long long)st.st_size : -1LL);

  char lsm[256] = {0};
  int lfd = open("/sys/kernel/security/lsm", O_RDONLY);
  if (lfd >= 0) { read(lfd, lsm, sizeof lsm - 1); close(lfd); }
  CHECK("lsm_bpf", strstr(lsm, "bpf") != NULL, "lsm=%s", lsm);

  // page cache: warm after a read, cold after POSIX_FADV_DONTNEED
  int fd = open(file, O_RDONLY);
  CHECK("ext4_open", fd >= 0, "%s %s", file, fd < 0 ? strerror(errno) : "ok");
  if (fd >= 0) {
    char buf[65536]; while (read(fd, buf, sizeof buf) > 0) {}
    long total = 0; int warm = resident_pages(file, &total);
    CHECK("page_cache_warm", warm == total && total > 0, "%d/%ld pages resident after read", warm, total);
    int fr = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    int cold = resident_pages(file, &total);
    CHECK("page_cache_cold", fr == 0 && cold == 0, "fadvise %d, %d/%ld pages resident after DONTNEED", fr, cold, total);
    pread(fd, buf, 1, 4096);
    int one = resident_pages(file, &total);
    CHECK("page_cache_rewarm", one >= 1 && one < total, "%d/%ld pages resident after a 1-byte read at 4096", one, total);
    close(fd);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
