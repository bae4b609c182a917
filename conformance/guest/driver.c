// SPDX-License-Identifier: MIT
/*
 * kernsim conformance guest driver (guest tier): a static libbpf program run inside the qemu guest.
 * It runs from the ext4 disk (/mnt/ext4/driver), so its own executable file, read by the programs
 * through bpf_get_task_exe_file(current), has a real page cache. Data is appended to the ELF (past
 * every PT_LOAD segment, so never mapped), and posix_fadvise(DONTNEED) makes those pages cold.
 *
 * usage: driver MANIFEST
 *   OBJ <path.o>                 load this object (each program alone when the whole does not load)
 *   CASE <prog> <state>          for one program of the last object:
 *                                  warm | cold | P:<a>-<b>[,<c>-<d>...] (page ranges re-read after eviction)
 *   SCASE <id> <p1,p2,..|-> <steps>  a script over the data file (/mnt/ext4/data, reset from data.tpl):
 *                                  attach the programs, run the steps (';'-separated), detach, and
 *                                  report each step's result, the file size and its residency.
 *     o:<fd>:<r|w|rw>[a]  open the data file (a: O_APPEND)        c:<fd>          close
 *     r:<fd>:<off>:<len>  pread                                   s:<fd>          fsync
 *     w:<fd>:<off>:<len>:<fill>  pwrite (off -1: write(2)); byte i = (fill + 7 i) & 0xff
 *     t:<fd>:<len>        ftruncate                               z:<ms>          sleep
 *     a:<fd>:<off>:<len>:<advice>  posix_fadvise (result: minus the error it returns)
 *     m:<fd>:<prog>       <prog>_pid = getpid(); mmap(4096, PROT_READ, MAP_SHARED); munmap; <prog>_pid = 0
 *     x:<prog>            fork a child that sets <prog>_pid to itself, opens the trigger and exits
 *                         without closing it; wait for it
 *     f:<p1>,<p2>,...     set each <p>_pid to getpid(); fork a child that exits at once; wait for it;
 *                         reset the pids (result: 0, or minus the error fork returned)
 *     g:<p1>,<p2>,...     as f:, but the child forks a grandchild that exits at once, waits for it
 *                         and exits
 *     n:<p1>,<p2>,...     set each <p>_pid to getpid(); one nanosleep(2) syscall of 1 µs; reset the pids
 *
 *   SYS <map> <op> <key> <flags> <hex>
 *                                after the last CASE ran (the object loaded whole): user space's
 *                                bpf(BPF_MAP_LOOKUP_ELEM) (op `lookup`, into a buffer holding <hex>
 *                                before the call), bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM) (op
 *                                `lookup_and_delete`, the same), bpf(BPF_MAP_UPDATE_ELEM) (op
 *                                `update`, from <hex>), bpf(BPF_MAP_DELETE_ELEM) (op `delete`) or
 *                                bpf(BPF_MAP_GET_NEXT_KEY) (op `next_key` of <key>, `first_key` of
 *                                NULL, into the buffer: common/bpf_report.h `map_sys`)
 *                                on the map named <map>, key a u32, flags a u64; prints
 *                                {"sys":map,"err":<0 or -errno>,"hex":<the buffer after the call>}.
 *
 *   RACE <path.o> <prog> <map> <n>
 *                                a race run n times (conformance/cases/race.ts): attach <prog>, set
 *                                `user_pid`; each run deletes <map>[0] (a clean start), starts a thread
 *                                that deletes <map>[0] while this one opens and closes the trigger
 *                                (both released together, each after a small random spin), joins it,
 *                                and counts the outcome: `sched_ret`, whether `runs` grew, the delete's
 *                                return. Prints {"race":prog,"outcomes":{...},"runs":n}.
 *
 * Per case: attach the (LSM) program; fill the `user_buf` global with the exe's first bytes if the
 * object has one; evict the exe (POSIX_FADV_DONTNEED); re-warm as the state says (FADV_RANDOM: no
 * readahead); record the residency with mincore; set `<prog>_pid` (or `user_pid`) to getpid(); open
 * and close the trigger file (the task_work callback of a scheduling program runs on the way back to
 * user mode, before open returns), the lines its programs put in the trace buffer read around it
 * (`"printk"`: common/bpf_report.h); reset the pid; detach. After an object's cases, its globals (those
 * of at most 64 KiB) are printed. Output: JSON lines between @@CONF-BEGIN@@ and @@CONF-END@@.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../common/bpf_report.h"

#define PAGE 4096L
#define TRIGGER "/mnt/ext4/trigger"
#define DATA "/mnt/ext4/data"
#define DATA_TPL "/mnt/ext4/data.tpl"

static char *vlog;
static int exe_fd;
static off_t exe_size;
static unsigned char *scratch;
static unsigned char *tpl;
static off_t tpl_size;
static long blk_size;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}




/* The residency of `fd` (`size` bytes) by mincore: a page counts when its folio is uptodate. */
static void print_resident_of(const char *key, int fd, off_t size)
{
	long n = (size + PAGE - 1) / PAGE, i;
	unsigned char *vec = calloc(n + 1, 1);
	void *m = size > 0 ? mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;

	printf(",\"%s\":\"", key);
	if (m != MAP_FAILED && vec && mincore(m, size, vec) == 0)
		for (i = 0; i < n; i++)
			putchar(vec[i] & 1 ? '1' : '0');
	printf("\"");
	if (m != MAP_FAILED)
		munmap(m, size);
	free(vec);
}

static void print_resident(void)
{
	print_resident_of("resident", exe_fd, exe_size);
}

/* Let readahead still in flight finish before mincore (a page under I/O is not uptodate yet). */
static void settle_io(void)
{
	usleep(200 * 1000);
}

static void set_state(const char *state)
{
	posix_fadvise(exe_fd, 0, 0, POSIX_FADV_DONTNEED);
	if (strcmp(state, "warm") == 0) {
		if (pread(exe_fd, scratch, exe_size, 0) < 0)
			perror("pread");
	} else if (strncmp(state, "P:", 2) == 0) {
		const char *p = state + 2;

		while (*p) {
			long a, b;
			int used = 0;

			if (sscanf(p, "%ld-%ld%n", &a, &b, &used) != 2)
				break;
			if (pread(exe_fd, scratch, (b - a + 1) * PAGE, a * PAGE) < 0)
				perror("pread");
			p += used;
			if (*p == ',')
				p++;
		}
	}
}

static void run_case(struct bpf_object *obj, const char *prog_name, const char *state)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog_name);
	struct bpf_link *link;
	char pidvar[256];
	__u32 off, size;
	int pid = getpid(), zero = 0, fd, began;

	printf("{\"case\":");
	json_str(prog_name);
	if (!p || bpf_program__fd(p) < 0) {
		printf(",\"attached\":false,\"err\":%d}\n", -ENOENT);
		return;
	}
	printf(",\"ms\":%ld", now_ms());
	link = bpf_program__attach(p);
	if (!link) {
		printf(",\"attached\":false,\"err\":%d}\n", -errno);
		return;
	}
	if (find_var(obj, "user_buf", &off, &size)) {
		/* The user-space read of the executable (pread into the global), before eviction. */
		posix_fadvise(exe_fd, 0, 0, POSIX_FADV_NORMAL);
		if (pread(exe_fd, scratch, size, 0) < 0)
			perror("pread");
		set_var(obj, "user_buf", scratch, size);
		posix_fadvise(exe_fd, 0, 0, POSIX_FADV_RANDOM);
	}
	set_state(state);
	snprintf(pidvar, sizeof(pidvar), "%s_pid", prog_name);
	if (!find_var(obj, pidvar, &off, &size))
		snprintf(pidvar, sizeof(pidvar), "user_pid");
	print_resident();
	began = trace_printk_begin();
	set_var(obj, pidvar, &pid, sizeof(pid));
	fd = open(TRIGGER, O_RDONLY);
	printf(",\"attached\":true,\"open\":%d", fd < 0 ? -errno : 0);
	if (fd >= 0)
		close(fd);
	set_var(obj, pidvar, &zero, sizeof(zero));
	trace_printk_end(began);
	bpf_link__destroy(link);
	settle_io();
	print_resident_of("after", exe_fd, exe_size);
	printf("}\n");
}

/* The data file back to the template, written back and evicted. */
static int reset_data(void)
{
	int fd = open(DATA, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = pwrite(fd, tpl, tpl_size, 0);
	fsync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return w == tpl_size ? 0 : -EIO;
}

static int set_pid(struct bpf_object *obj, const char *prog, int pid)
{
	char var[256];

	snprintf(var, sizeof(var), "%s_pid", prog);
	return set_var(obj, var, &pid, sizeof(pid));
}

static long script_step(struct bpf_object *obj, char *step, int *fds)
{
	char kind = step[0], prog[200], mode[8];
	long a = 0, b = 0, c = 0, d = 0, r;
	int fd, flags;

	switch (kind) {
	case 'o':
		/* o:fd:mode[:prog] — with prog, its pid filter is set around the open. */
		prog[0] = 0;
		if (sscanf(step, "o:%ld:%7[^:]:%199s", &a, mode, prog) < 2 || a < 0 || a > 3)
			return -1000;
		flags = strchr(mode, 'w') ? (strchr(mode, 'r') ? O_RDWR : O_WRONLY) : O_RDONLY;
		if (strchr(mode, 'a'))
			flags |= O_APPEND;
		if (prog[0])
			set_pid(obj, prog, getpid());
		fd = open(DATA, flags);
		r = fd < 0 ? -errno : 0;
		if (prog[0])
			set_pid(obj, prog, 0);
		if (fd < 0)
			return r;
		fds[a] = fd;
		return 0;
	case 'c':
		if (sscanf(step, "c:%ld", &a) != 1 || a < 0 || a > 3)
			return -1000;
		r = close(fds[a]) ? -errno : 0;
		fds[a] = -1;
		return r;
	case 'r':
		if (sscanf(step, "r:%ld:%ld:%ld", &a, &b, &c) != 3 || a < 0 || a > 3 || c > exe_size)
			return -1000;
		r = pread(fds[a], scratch, c, b);
		return r < 0 ? -errno : r;
	case 'w': {
		long i;

		if (sscanf(step, "w:%ld:%ld:%ld:%ld", &a, &b, &c, &d) != 4 || a < 0 || a > 3 || c > exe_size)
			return -1000;
		for (i = 0; i < c; i++)
			scratch[i] = (unsigned char)((d + 7 * i) & 0xff);
		r = b < 0 ? write(fds[a], scratch, c) : pwrite(fds[a], scratch, c, b);
		return r < 0 ? -errno : r;
	}
	case 't':
		if (sscanf(step, "t:%ld:%ld", &a, &b) != 2 || a < 0 || a > 3)
			return -1000;
		return ftruncate(fds[a], b) ? -errno : 0;
	case 's':
		if (sscanf(step, "s:%ld", &a) != 1 || a < 0 || a > 3)
			return -1000;
		return fsync(fds[a]) ? -errno : 0;
	case 'z':
		if (sscanf(step, "z:%ld", &a) != 1)
			return -1000;
		usleep(a * 1000);
		return 0;
	case 'a':
		if (sscanf(step, "a:%ld:%ld:%ld:%ld", &a, &b, &c, &d) != 4 || a < 0 || a > 3)
			return -1000;
		return -posix_fadvise(fds[a], b, c, d);
	case 'm': {
		void *m;

		if (sscanf(step, "m:%ld:%199s", &a, prog) != 2 || a < 0 || a > 3)
			return -1000;
		set_pid(obj, prog, getpid());
		m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fds[a], 0);
		r = m == MAP_FAILED ? -errno : 0;
		set_pid(obj, prog, 0);
		if (m != MAP_FAILED)
			munmap(m, PAGE);
		return r;
	}
	case 'n': {
		char list[400], *p, *save = NULL;
		struct timespec ts = { 0, 1000 };
		long r;

		if (sscanf(step, "n:%399s", list) != 1)
			return -1000;
		for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
			if (set_pid(obj, p, getpid()))
				return -1002;
		r = syscall(SYS_nanosleep, &ts, NULL) ? -errno : 0;
		if (sscanf(step, "n:%399s", list) != 1)
			return -1000;
		for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
			set_pid(obj, p, 0);
		return r;
	}
	case 'f':
	case 'g': {
		char list[400], *p, *save = NULL;
		pid_t child;
		int status, e = 0;

		if (sscanf(step + 2, "%399s", list) != 1)
			return -1000;
		for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
			if (set_pid(obj, p, getpid()))
				return -1002;
		fflush(stdout);
		child = fork();
		if (child == 0) {
			if (step[0] == 'g') {
				pid_t grand = fork();

				if (grand == 0)
					_exit(0);
				if (grand > 0)
					waitpid(grand, &status, 0);
			}
			_exit(0);
		}
		if (child < 0)
			e = errno;
		else
			waitpid(child, &status, 0);
		if (sscanf(step + 2, "%399s", list) != 1)
			return -1000;
		for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
			set_pid(obj, p, 0);
		return child < 0 ? -e : 0;
	}
	case 'x': {
		int p2c[2], status;
		pid_t child;
		char go;

		int opens = 1, i;

		if (sscanf(step, "x:%199[^:]:%d", prog, &opens) < 1 || opens < 1 || opens > 8 || pipe(p2c))
			return -1000;
		fflush(stdout);
		child = fork();
		if (child < 0)
			return -errno;
		if (child == 0) {
			/* Every file whose last reference is the child's is closed before the program's pid
			 * filter is set (by the child itself): at exit, only the trigger's __fput runs it. */
			close(p2c[1]);
			if (read(p2c[0], &go, 1) != 1)
				_exit(2);
			close(p2c[0]);
			if (set_pid(obj, prog, getpid()))
				_exit(4);
			for (i = 0; i < opens; i++)
				if (open(TRIGGER, O_RDONLY) < 0)
					_exit(3);
			_exit(0);
		}
		close(p2c[0]);
		go = 1;
		if (write(p2c[1], &go, 1) != 1)
			perror("write");
		close(p2c[1]);
		waitpid(child, &status, 0);
		set_pid(obj, prog, 0);
		return WIFEXITED(status) ? -WEXITSTATUS(status) : -1001;
	}
	}
	return -1000;
}

/* One script case: programs attached, steps run, results, size and residency of the data file. */
static void run_script(struct bpf_object *obj, const char *id, char *progs, char *steps)
{
	struct bpf_link *links[16];
	int nl = 0, fds[4] = { -1, -1, -1, -1 }, i, dfd, first = 1;
	char *save = NULL, *tok;
	struct stat st;

	printf("{\"script\":");
	json_str(id);
	printf(",\"reset\":%d", reset_data());
	if (strcmp(progs, "-") != 0) {
		for (tok = strtok_r(progs, ",", &save); tok && nl < 16; tok = strtok_r(NULL, ",", &save)) {
			struct bpf_program *p = bpf_object__find_program_by_name(obj, tok);
			struct bpf_link *l = p && bpf_program__fd(p) >= 0 ? bpf_program__attach(p) : NULL;

			if (!l) {
				printf(",\"attached\":false,\"err\":%d}\n", -errno);
				for (i = 0; i < nl; i++)
					bpf_link__destroy(links[i]);
				return;
			}
			links[nl++] = l;
		}
	}
	printf(",\"attached\":true,\"rets\":[");
	save = NULL;
	for (tok = strtok_r(steps, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		printf("%s%ld", first ? "" : ",", script_step(obj, tok, fds));
		first = 0;
	}
	printf("]");
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < nl; i++)
		bpf_link__destroy(links[i]);
	settle_io();
	dfd = open(DATA, O_RDONLY);
	printf(",\"size\":%ld", dfd >= 0 && !fstat(dfd, &st) ? (long)st.st_size : -1L);
	if (dfd >= 0) {
		print_resident_of("resident", dfd, st.st_size);
		close(dfd);
	}
	printf("}\n");
}

struct ccase { char prog[128]; char state[512]; char *script; char *progs; char *sys; };

/* A case's SYS lines ('\n'-separated "map op key flags hex"), each done and reported in order. */
static void run_sys(struct bpf_object *obj, const char *lines)
{
	char *copy = strdup(lines), *save = NULL, *l;

	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char map[256], op[32], hex[8192];
		unsigned long long key, flags;
		unsigned char buf[4096];
		size_t n, i;

		if (sscanf(l, "%255s %31s %llu %llu %8191s", map, op, &key, &flags, hex) != 5) {
			fprintf(stderr, "bad SYS line: %s\n", l);
			continue;
		}
		n = strlen(hex) / 2;
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (unsigned char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
		map_sys(obj, map, op, (__u32)key, flags, buf, n);
	}
	free(copy);
}

static struct bpf_object *open_obj(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	/* No log buffer: libbpf loads without a verifier log and, on failure, loads again with one and
	 * prints it (collected in libbpf_msgs); a log on every load costs much time under TCG. */
	(void)p;
	return obj;
}

static void run_obj(const char *path, struct ccase *cs, int nc)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int err, n = 0, i, k;

	report_reset();
	vlog[0] = 0;
	obj = open_obj(path);
	printf("{\"obj\":");
	json_str(path);
	if (!obj) {
		printf(",\"open\":false,\"err\":%d,\"log\":", -errno);
		json_str(libbpf_msgs);
		printf("}\n");
		return;
	}
	err = bpf_object__load(obj);
	printf(",\"loaded\":%s,\"ms\":%ld}\n", err ? "false" : "true", now_ms());
	if (!err) {
		for (k = 0; k < nc; k++) {
			if (cs[k].script)
				run_script(obj, cs[k].prog, cs[k].progs, cs[k].script);
			else
				run_case(obj, cs[k].prog, cs[k].state);
			if (cs[k].sys)
				run_sys(obj, cs[k].sys);
		}
		dump_globals(obj, NULL, 65536);
		bpf_object__close(obj);
		return;
	}
	bpf_object__for_each_program(p, obj)
		n++;
	bpf_object__close(obj);
	for (i = 0; i < n; i++) {
		const char *name;

		vlog[0] = 0;
		report_reset();
		obj = open_obj(path);
		if (!obj)
			return;
		if (!load_only(obj, i, vlog, &name)) {
			char prefix[160];

			for (k = 0; k < nc; k++)
				if (!cs[k].script && strcmp(cs[k].prog, name) == 0)
					run_case(obj, cs[k].prog, cs[k].state);
			snprintf(prefix, sizeof(prefix), "%s_", name);
			dump_globals(obj, prefix, 65536);
		}
		bpf_object__close(obj);
	}
}

/* ---- RACE ---------------------------------------------------------------------------------- */

static atomic_int race_go;
static int race_map_fd;
static int race_del_ret;
static unsigned race_seed;

static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

static void *race_deleter(void *arg)
{
	int key = 0;
	unsigned delay = *(unsigned *)arg;

	while (!atomic_load(&race_go))
		;
	spin(delay);
	race_del_ret = bpf_map_delete_elem(race_map_fd, &key) ? -errno : 0;
	return NULL;
}

static int get_int(struct bpf_object *obj, const char *name)
{
	__u32 off, size, vs;
	struct bpf_map *m = find_var(obj, name, &off, &size);
	unsigned char *buf;
	int key = 0, v = 0;

	if (!m)
		return -9999;
	vs = bpf_map__value_size(m);
	buf = calloc(1, vs);
	if (buf && bpf_map__lookup_elem(m, &key, sizeof(key), buf, vs, 0) == 0)
		memcpy(&v, buf + off, sizeof(v));
	free(buf);
	return v;
}

#define RACE_KINDS 64
static void run_race(const char *path, const char *prog_name, const char *map_name, int n)
{
	struct bpf_object *obj = open_obj(path);
	struct bpf_program *p;
	struct bpf_link *link;
	struct bpf_map *m;
	char keys[RACE_KINDS][64];
	int counts[RACE_KINDS], kinds = 0, i, k, pid = getpid(), zero = 0, key = 0;

	printf("{\"race\":");
	json_str(prog_name);
	if (!obj || bpf_object__load(obj)) {
		printf(",\"loaded\":false,\"log\":");
		json_str(libbpf_msgs);
		printf("}\n");
		return;
	}
	p = bpf_object__find_program_by_name(obj, prog_name);
	m = bpf_object__find_map_by_name(obj, map_name);
	link = p ? bpf_program__attach(p) : NULL;
	if (!link || !m) {
		printf(",\"loaded\":true,\"attached\":false,\"err\":%d}\n", -errno);
		bpf_object__close(obj);
		return;
	}
	race_map_fd = bpf_map__fd(m);
	race_seed = 12345;
	set_var(obj, "user_pid", &pid, sizeof(pid));
	for (i = 0; i < n; i++) {
		pthread_t t;
		unsigned d_del, d_open;
		int before, after, sched, fd;
		char out[64];

		bpf_map_delete_elem(race_map_fd, &key);
		set_var(obj, "sched_ret", &(int){ -9999 }, sizeof(int));
		before = get_int(obj, "runs");
		d_del = (rand_r(&race_seed) % 64) * 50;
		d_open = (rand_r(&race_seed) % 64) * 50;
		atomic_store(&race_go, 0);
		if (pthread_create(&t, NULL, race_deleter, &d_del))
			break;
		atomic_store(&race_go, 1);
		spin(d_open);
		fd = open(TRIGGER, O_RDONLY);
		if (fd >= 0)
			close(fd);
		pthread_join(t, NULL);
		after = get_int(obj, "runs");
		sched = get_int(obj, "sched_ret");
		snprintf(out, sizeof(out), "%d %d %d", sched, after - before, race_del_ret);
		for (k = 0; k < kinds && strcmp(keys[k], out); k++)
			;
		if (k == kinds && kinds < RACE_KINDS) {
			snprintf(keys[kinds], sizeof(keys[kinds]), "%s", out);
			counts[kinds++] = 0;
		}
		if (k < kinds)
			counts[k]++;
	}
	set_var(obj, "user_pid", &zero, sizeof(zero));
	bpf_link__destroy(link);
	printf(",\"loaded\":true,\"attached\":true,\"runs\":%d,\"outcomes\":{", n);
	for (k = 0; k < kinds; k++)
		printf("%s\"%s\":%d", k ? "," : "", keys[k], counts[k]);
	printf("}}\n");
	bpf_object__close(obj);
}

int main(int argc, char **argv)
{
	static struct ccase cs[4096];
	static char line[65536];
	char obj[512] = "";
	struct stat st;
	FILE *f;
	int nc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	exe_fd = open("/proc/self/exe", O_RDONLY);
	if (exe_fd < 0 || fstat(exe_fd, &st)) {
		perror("open /proc/self/exe");
		return 1;
	}
	exe_size = st.st_size;
	scratch = malloc(exe_size + PAGE);
	{
		/* The data file's template, held in memory to reset the data file before each script case. */
		int tfd = open(DATA_TPL, O_RDONLY);
		struct stat ts;

		if (tfd >= 0 && !fstat(tfd, &ts)) {
			tpl_size = ts.st_size;
			blk_size = ts.st_blksize; /* generic_fillattr: 1 << i_blkbits, the filesystem block size */
			tpl = malloc(tpl_size + 1);
			if (pread(tfd, tpl, tpl_size, 0) != tpl_size)
				perror("pread data.tpl");
			close(tfd);
		}
	}
	/* Fault the executable in once and keep it mapped: no later page fault reads it ahead through
	 * mm->exe_file (whose readahead state the programs' reads share). */
	if (mlockall(MCL_CURRENT))
		perror("mlockall");
	report_init();
	vlog = calloc(1, LOG_SIZE);
	posix_fadvise(exe_fd, 0, 0, POSIX_FADV_RANDOM);
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	{
		char ra[64] = "", ms[64] = "", cpus[256] = "";
		FILE *q = fopen("/sys/block/vda/queue/read_ahead_kb", "r");

		if (q) {
			if (!fgets(ra, sizeof(ra), q))
				ra[0] = 0;
			fclose(q);
		}
		q = fopen("/sys/block/vda/queue/max_sectors_kb", "r");
		if (q) {
			if (!fgets(ms, sizeof(ms), q))
				ms[0] = 0;
			fclose(q);
		}
		/* The possible CPUs (the model's per-CPU sizes: an LRU map's target_free). */
		q = fopen("/sys/devices/system/cpu/possible", "r");
		if (q) {
			if (!fgets(cpus, sizeof(cpus), q))
				cpus[0] = 0;
			fclose(q);
		}
		cpus[strcspn(cpus, "\n")] = 0;
		printf("@@CONF-BEGIN@@\n{\"exe_size\":%ld,\"read_ahead_kb\":%ld,\"max_sectors_kb\":%ld,\"data_size\":%ld,\"block_size\":%ld,\"possible_cpus\":\"%s\"}\n",
		       (long)exe_size, strtol(ra, NULL, 10), strtol(ms, NULL, 10), (long)tpl_size, blk_size, cpus);
	}
	while (fgets(line, sizeof(line), f)) {
		char a[512], b[512], c[512];
		int rn;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "RACE %511s %511s %511s %d", a, b, c, &rn) == 4) {
			run_race(a, b, c, rn);
		} else if (sscanf(line, "OBJ %511s", a) == 1) {
			if (obj[0])
				run_obj(obj, cs, nc);
			snprintf(obj, sizeof(obj), "%s", a);
			nc = 0;
		} else if (sscanf(line, "CASE %511s %511s", a, b) == 2 && nc < 4096) {
			snprintf(cs[nc].prog, sizeof(cs[nc].prog), "%.127s", a);
			snprintf(cs[nc].state, sizeof(cs[nc].state), "%s", b);
			cs[nc].script = NULL;
			cs[nc].sys = NULL;
			nc++;
		} else if (strncmp(line, "SYS ", 4) == 0 && nc > 0) {
			/* Appended to the last case's lines. */
			struct ccase *c = &cs[nc - 1];
			size_t have = c->sys ? strlen(c->sys) : 0, add = strlen(line + 4);
			char *grown = realloc(c->sys, have + add + 2);

			if (!grown)
				continue;
			if (have == 0)
				grown[0] = 0;
			strcat(grown, line + 4);
			strcat(grown, "\n");
			c->sys = grown;
		} else if (strncmp(line, "SCASE ", 6) == 0 && nc < 4096) {
			char *id = line + 6, *progs = strchr(id, ' '), *steps;

			if (!progs)
				continue;
			*progs++ = 0;
			steps = strchr(progs, ' ');
			if (!steps)
				continue;
			*steps++ = 0;
			snprintf(cs[nc].prog, sizeof(cs[nc].prog), "%.127s", id);
			cs[nc].progs = strdup(progs);
			cs[nc].script = strdup(steps);
			cs[nc].sys = NULL;
			nc++;
		}
		fflush(stdout);
	}
	if (obj[0])
		run_obj(obj, cs, nc);
	printf("@@CONF-END@@\n");
	fflush(stdout);
	return 0;
}
