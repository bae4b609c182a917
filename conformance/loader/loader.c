// SPDX-License-Identifier: MIT
/*
 * kernsim conformance loader (host tier): open a BPF object compiled from rendered program values,
 * load it, run every program once with BPF_PROG_TEST_RUN, and read the globals back
 * (skeleton-less: the .bss/.data maps are read with bpf_map__lookup_elem and split by their BTF
 * DATASEC), then read every ring buffer map from user space (libbpf ring_buffer__consume). Output:
 * one JSON object per line.
 *
 *   {"prog":"c1","loaded":true,"err":0,"retval":0}
 *   {"prog":"p1","loaded":true,"err":0,"retval":2,"size_out":54,"data_out":"0a0b..."}
 *   {"prog":"c2","loaded":false,"err":-13,"log":"<verifier log and libbpf messages>"}
 *   {"global":"c1_rets","hex":"0000..."}
 *
 * Each test run's object also has `"printk":[...]`: the lines the run put in the kernel's trace
 * buffer (bpf_trace_printk, bpf_trace_vprintk), each the hex of its text (common/bpf_report.h).
 *   {"ring":"c1_rb","rec":"0102..."}            one line per record, in order
 *
 * A program named in the optional run file (second argument) runs with packet data: one line per
 * program, `name hexdata data_size_out kind ctx_data ctx_data_end` (kind `skb`, `xdp` or `-` for no
 * ctx_in; `-` for an empty data_in). Other programs run with empty options (SEC("syscall")).
 *
 * User memory: a run-file line `@user ADDR HEXBYTES` (ADDR page-aligned, the bytes whole pages) maps
 * those pages read/write at exactly ADDR (MAP_FIXED_NOREPLACE: an address the kernel's layout left
 * free, else the loader exits 2), copies the bytes in (so the pages are present), and maps the page
 * after them PROT_NONE, so a read running off the end faults. This is done before any program runs:
 * a SEC("syscall") program's current task is the loader, so its copies from user memory
 * (bpf_copy_from_user_str, the _str_dynptr kfuncs) read these pages.
 *
 * Hooks: a run-file line `@hook CASE ACTION P1,P2,...` attaches those programs (in that order), sets
 * the global `CASE_pid` to the loader's pid, does ACTION — `fork` (a child that _exits at once, waited
 * for) or `sleep` (one nanosleep(2) syscall) — detaches them and resets the pid, before the test runs;
 * it prints `{"prog":CASE,"loaded":true,"err":<the action's result: 0 or -errno>,"retval":0}`, and the
 * hook programs get no test run.
 *
 * User space's map syscalls: a run-file line `@sys MAP OP KEY FLAGS HEX` (OP `lookup`, `update`,
 * `lookup_and_delete`, `delete`, `next_key` or `first_key`: common/bpf_report.h `map_sys`,
 * KEY a u32, FLAGS a u64, HEX the buffer: an update's value, a lookup's or a next key's buffer before
 * the call, whose length is its size) is done after every program ran, in file order, with bpf(BPF_MAP_*_ELEM)
 * on the map named MAP; it prints `{"sys":MAP,"err":<0 or -errno>,"hex":<the buffer after the call>}`.
 *
 * When the object as a whole does not load, each program is loaded alone (the others' autoload off)
 * so each gets its own verdict and log.
 *
 * The loader pins itself to CPU 0 before anything else: an LRU_HASH map keeps a free list and a
 * pending list per CPU (kernel/bpf/bpf_lru_list.c), so which element an update evicts depends on the
 * CPU each update runs on. The model runs everything on one CPU; so does the loader (and its child).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../common/bpf_report.h"







/* A packet test run of one program (a line of the run file). */
struct run_spec {
	char *name;
	unsigned char *data;
	__u32 size;
	__u32 size_out;
	char kind[8];
	__u32 ctx_data, ctx_end;
	struct run_spec *next;
};

static struct run_spec *specs;

/* A `@hook CASE ACTION PROGS` line. */
struct hook_spec {
	char *kase, *action, *progs;
	struct hook_spec *next;
};

static struct hook_spec *hooks;

/* A `@sys MAP OP KEY FLAGS HEX` line. */
struct sys_spec {
	char *map, *op;
	__u32 key;
	__u64 flags;
	unsigned char *buf;
	size_t size;
	struct sys_spec *next;
};

static struct sys_spec *sys_ops, **sys_tail = &sys_ops;

/* A `@user ADDR HEX` line: the pages at ADDR hold the bytes, the page after them is PROT_NONE. */
static void map_user(unsigned long long addr, const char *hex)
{
	size_t n = hex ? strlen(hex) / 2 : 0, i;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;

	if (n == 0 || n % (size_t)page || addr % (unsigned long long)page) {
		fprintf(stderr, "bad @user line: 0x%llx, %zu bytes\n", addr, n);
		exit(2);
	}
	p = mmap((void *)(uintptr_t)addr, n + (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != (void *)(uintptr_t)addr || mprotect(p, n, PROT_READ | PROT_WRITE)) {
		fprintf(stderr, "cannot map user memory at 0x%llx (%zu bytes): %s\n", addr, n, strerror(errno));
		exit(2);
	}
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
}

static void read_specs(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	while (getline(&line, &cap, f) > 0) {
		struct run_spec *r;
		char *name = strtok(line, " \n"), *hex = strtok(NULL, " \n"), *out, *kind, *cd, *ce;
		size_t i, n;

		if (name && hex && strcmp(name, "@user") == 0) {
			map_user(strtoull(hex, NULL, 0), strtok(NULL, " \n"));
			continue;
		}
		if (name && hex && strcmp(name, "@sys") == 0) {
			struct sys_spec *o = calloc(1, sizeof(*o));
			char *op = strtok(NULL, " \n"), *key = strtok(NULL, " \n"), *fl = strtok(NULL, " \n"), *val = strtok(NULL, " \n");

			if (!o || !op || !key || !fl || !val) {
				fprintf(stderr, "bad @sys line in %s\n", path);
				exit(2);
			}
			o->map = strdup(hex);
			o->op = strdup(op);
			o->key = (__u32)strtoul(key, NULL, 0);
			o->flags = strtoull(fl, NULL, 0);
			o->size = strlen(val) / 2;
			o->buf = calloc(1, o->size + 1);
			for (i = 0; i < o->size; i++)
				o->buf[i] = (unsigned char)(hexval(val[2 * i]) * 16 + hexval(val[2 * i + 1]));
			/* In file order. */
			*sys_tail = o;
			sys_tail = &o->next;
			continue;
		}
		if (name && hex && strcmp(name, "@hook") == 0) {
			struct hook_spec *h = calloc(1, sizeof(*h));
			char *action = strtok(NULL, " \n"), *progs = strtok(NULL, " \n");

			if (!h || !action || !progs) {
				fprintf(stderr, "bad @hook line in %s\n", path);
				exit(2);
			}
			h->kase = strdup(hex);
			h->action = strdup(action);
			h->progs = strdup(progs);
			/* In file order. */
			h->next = NULL;
			if (!hooks) {
				hooks = h;
			} else {
				struct hook_spec *t = hooks;

				while (t->next)
					t = t->next;
				t->next = h;
			}
			continue;
		}
		r = calloc(1, sizeof(*r));
		out = strtok(NULL, " \n");
		kind = strtok(NULL, " \n");
		cd = strtok(NULL, " \n");
		ce = strtok(NULL, " \n");
		if (!r || !name || !hex || !out || !kind || !cd || !ce) {
			fprintf(stderr, "bad run line in %s\n", path);
			exit(2);
		}
		r->name = strdup(name);
		n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
		r->data = calloc(1, n + 1);
		for (i = 0; i < n; i++)
			r->data[i] = (unsigned char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
		r->size = (__u32)n;
		r->size_out = (__u32)strtoul(out, NULL, 10);
		snprintf(r->kind, sizeof(r->kind), "%s", kind);
		r->ctx_data = (__u32)strtoul(cd, NULL, 10);
		r->ctx_end = (__u32)strtoul(ce, NULL, 10);
		r->next = specs;
		specs = r;
	}
	free(line);
	fclose(f);
}

static struct run_spec *spec_of(const char *name)
{
	struct run_spec *r;

	for (r = specs; r; r = r->next)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

/* Whether program `name` is one a `@hook` line attaches (it gets no test run). */
static int is_hook_prog(const char *name)
{
	struct hook_spec *h;

	for (h = hooks; h; h = h->next) {
		const char *p = h->progs;
		size_t n = strlen(name);

		while (p && *p) {
			if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == 0))
				return 1;
			p = strchr(p, ',');
			if (p)
				p++;
		}
	}
	return 0;
}

/* Each `@hook` line: attach, set the pid filter, act, detach, reset, report. */
static void run_hooks(struct bpf_object *obj)
{
	struct hook_spec *h;

	for (h = hooks; h; h = h->next) {
		struct bpf_link *links[8];
		char var[256], list[512], *tok, *save = NULL;
		int nl = 0, i, pid = getpid(), zero = 0, err = 0, status;

		snprintf(list, sizeof(list), "%s", h->progs);
		for (tok = strtok_r(list, ",", &save); tok && nl < 8; tok = strtok_r(NULL, ",", &save)) {
			struct bpf_program *p = bpf_object__find_program_by_name(obj, tok);
			struct bpf_link *l = p && bpf_program__fd(p) >= 0 ? bpf_program__attach(p) : NULL;

			if (!l) {
				err = -1000 - nl;
				break;
			}
			links[nl++] = l;
		}
		snprintf(var, sizeof(var), "%s_pid", h->kase);
		if (!err && set_var(obj, var, &pid, sizeof(pid)))
			err = -1100;
		if (!err && strcmp(h->action, "fork") == 0) {
			pid_t child;

			fflush(stdout);
			child = fork();
			if (child == 0)
				_exit(0);
			if (child < 0)
				err = -errno;
			else
				waitpid(child, &status, 0);
		} else if (!err && strcmp(h->action, "sleep") == 0) {
			struct timespec ts = { 0, 1000 };

			if (syscall(SYS_nanosleep, &ts, NULL))
				err = -errno;
		} else if (!err) {
			err = -1200;
		}
		set_var(obj, var, &zero, sizeof(zero));
		for (i = 0; i < nl; i++)
			bpf_link__destroy(links[i]);
		printf("{\"prog\":");
		json_str(h->kase);
		printf(",\"loaded\":true,\"err\":%d,\"retval\":0}\n", err);
	}
}

/* Each `@sys` line: the map syscall, its result and the buffer after it. */
static void run_sys(struct bpf_object *obj)
{
	struct sys_spec *o;

	for (o = sys_ops; o; o = o->next)
		map_sys(obj, o->map, o->op, o->key, o->flags, o->buf, o->size);
}

/* The packet after the run may be larger than data_in (bpf_xdp_adjust_head): room for any. */
#define DATA_OUT_MAX (1u << 18)

static void run_all(struct bpf_object *obj)
{
	struct bpf_program *p;
	unsigned char *out = calloc(1, DATA_OUT_MAX);

	bpf_object__for_each_program(p, obj) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		struct run_spec *r = spec_of(bpf_program__name(p));
		struct __sk_buff skb;
		struct xdp_md xdp;
		int fd = bpf_program__fd(p), err, began, saved;
		__u32 i, copied;

		if (!bpf_program__autoload(p) || fd < 0 || is_hook_prog(bpf_program__name(p)))
			continue;
		if (r) {
			memset(out, 0, DATA_OUT_MAX);
			opts.data_in = r->size ? r->data : NULL;
			opts.data_size_in = r->size;
			opts.data_out = out;
			opts.data_size_out = r->size_out;
			opts.repeat = 1;
			if (strcmp(r->kind, "skb") == 0) {
				memset(&skb, 0, sizeof(skb));
				skb.data_end = r->ctx_end;
				opts.ctx_in = &skb;
				opts.ctx_size_in = sizeof(skb);
			} else if (strcmp(r->kind, "xdp") == 0) {
				memset(&xdp, 0, sizeof(xdp));
				xdp.data = r->ctx_data;
				xdp.data_end = r->ctx_end;
				opts.ctx_in = &xdp;
				opts.ctx_size_in = sizeof(xdp);
			}
		}
		began = trace_printk_begin();
		err = bpf_prog_test_run_opts(fd, &opts);
		saved = errno;
		printf("{\"prog\":");
		json_str(bpf_program__name(p));
		printf(",\"loaded\":true,\"err\":%d,\"retval\":%u", err ? -saved : 0, opts.retval);
		trace_printk_end(began);
		if (r) {
			/* What the kernel wrote: at most the buffer's size hint, or the whole packet. */
			copied = opts.data_size_out;
			if (r->size_out && copied > r->size_out)
				copied = r->size_out;
			if (copied > DATA_OUT_MAX)
				copied = DATA_OUT_MAX;
			printf(",\"size_out\":%u,\"data_out\":\"", opts.data_size_out);
			for (i = 0; i < copied; i++)
				printf("%02x", out[i]);
			printf("\"");
		}
		printf("}\n");
	}
	free(out);
}

static const char *ring_name;

static int ring_record(void *ctx, void *data, size_t size)
{
	size_t i;

	(void)ctx;
	printf("{\"ring\":");
	json_str(ring_name);
	printf(",\"rec\":\"");
	for (i = 0; i < size; i++)
		printf("%02x", ((unsigned char *)data)[i]);
	printf("\"}\n");
	return 0;
}

/* Read every ring buffer map of the object from user space, as ring_buffer__consume does. */
static void dump_rings(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		struct ring_buffer *rb;
		int n;

		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF || bpf_map__fd(m) < 0)
			continue;
		ring_name = bpf_map__name(m);
		rb = ring_buffer__new(bpf_map__fd(m), ring_record, NULL, NULL);
		if (!rb) {
			printf("{\"ring\":");
			json_str(ring_name);
			printf(",\"error\":%d}\n", -errno);
			continue;
		}
		n = ring_buffer__consume(rb);
		printf("{\"ring\":");
		json_str(ring_name);
		printf(",\"count\":%d}\n", n);
		ring_buffer__free(rb);
	}
}

static struct bpf_object *open_obj(const char *path, char *log)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	if (!obj)
		return NULL;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_log_buf(p, log, LOG_SIZE);
	return obj;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	char *log = calloc(1, LOG_SIZE);
	int err, n = 0, i;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s OBJ.o [RUNS]\n", argv[0]);
		return 2;
	}
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (sched_setaffinity(0, sizeof(one), &one)) {
			perror("sched_setaffinity");
			return 2;
		}
	}
	if (argc == 3)
		read_specs(argv[2]);
	report_init();
	obj = open_obj(argv[1], log);
	if (!obj) {
		printf("{\"open\":false,\"err\":%d,\"log\":", -errno);
		json_str(libbpf_msgs);
		printf("}\n");
		return 1;
	}
	err = bpf_object__load(obj);
	if (!err) {
		run_hooks(obj);
		run_all(obj);
		run_sys(obj);
		dump_globals(obj, NULL, 0);
		dump_rings(obj);
		bpf_object__close(obj);
		return 0;
	}
	bpf_object__for_each_program(p, obj)
		n++;
	bpf_object__close(obj);
	/* Load each program alone for its own verdict. */
	for (i = 0; i < n; i++) {
		const char *name;

		log[0] = 0;
		report_reset();
		obj = open_obj(argv[1], log);
		if (!obj)
			return 1;
		if (!load_only(obj, i, log, &name)) {
			run_all(obj);
			/* Only this program ran: its own globals are the ones to read. */
			printf("{\"dump\":");
			json_str(name);
			printf("}\n");
			dump_globals(obj, NULL, 0);
			dump_rings(obj);
		}
		bpf_object__close(obj);
	}
	return 0;
}
