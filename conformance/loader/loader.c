// SPDX-License-Identifier: MIT
/*
 * kernsim conformance loader (host tier): open a BPF object compiled from rendered program values,
 * load it, run every SEC("syscall") program once with BPF_PROG_TEST_RUN, and read the globals back
 * (skeleton-less: the .bss/.data maps are read with bpf_map__lookup_elem and split by their BTF
 * DATASEC). Output: one JSON object per line.
 *
 *   {"prog":"c1","loaded":true,"err":0,"retval":0}
 *   {"prog":"c2","loaded":false,"err":-13,"log":"<verifier log and libbpf messages>"}
 *   {"global":"c1_rets","hex":"0000..."}
 *
 * When the object as a whole does not load, each program is loaded alone (the others' autoload off)
 * so each gets its own verdict and log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1u << 22)

static char *libbpf_msgs;
static size_t libbpf_len;

static int collect(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (libbpf_len + n + 1 < LOG_SIZE) {
		memcpy(libbpf_msgs + libbpf_len, line, n);
		libbpf_len += n;
		libbpf_msgs[libbpf_len] = 0;
	}
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int is_data_map(const struct bpf_map *m)
{
	const char *n = bpf_map__name(m);
	size_t l = strlen(n);

	return (l >= 4 && strcmp(n + l - 4, ".bss") == 0) || (l >= 5 && strcmp(n + l - 5, ".data") == 0);
}

static void dump_globals(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		const struct btf_type *t;
		const struct btf_var_secinfo *v;
		__u32 size = bpf_map__value_size(m);
		unsigned char *buf;
		int key = 0, i;

		if (!is_data_map(m) || !btf)
			continue;
		buf = calloc(1, size);
		if (!buf || bpf_map__lookup_elem(m, &key, sizeof(key), buf, size, 0)) {
			printf("{\"map\":");
			json_str(bpf_map__name(m));
			printf(",\"error\":%d}\n", -errno);
			free(buf);
			continue;
		}
		t = btf__type_by_id(btf, bpf_map__btf_value_type_id(m));
		if (!t || !btf_is_datasec(t)) {
			free(buf);
			continue;
		}
		v = btf_var_secinfos(t);
		for (i = 0; i < btf_vlen(t); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			__u32 j;

			printf("{\"global\":");
			json_str(btf__name_by_offset(btf, var->name_off));
			printf(",\"offset\":%u,\"hex\":\"", v->offset);
			for (j = 0; j < v->size && v->offset + j < size; j++)
				printf("%02x", buf[v->offset + j]);
			printf("\"}\n");
		}
		free(buf);
	}
}

static void run_all(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		int fd = bpf_program__fd(p), err;

		if (!bpf_program__autoload(p) || fd < 0)
			continue;
		err = bpf_prog_test_run_opts(fd, &opts);
		printf("{\"prog\":");
		json_str(bpf_program__name(p));
		printf(",\"loaded\":true,\"err\":%d,\"retval\":%u}\n", err ? -errno : 0, opts.retval);
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

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJ.o\n", argv[0]);
		return 2;
	}
	libbpf_msgs = calloc(1, LOG_SIZE);
	libbpf_set_print(collect);
	obj = open_obj(argv[1], log);
	if (!obj) {
		printf("{\"open\":false,\"err\":%d,\"log\":", -errno);
		json_str(libbpf_msgs);
		printf("}\n");
		return 1;
	}
	err = bpf_object__load(obj);
	if (!err) {
		run_all(obj);
		dump_globals(obj);
		bpf_object__close(obj);
		return 0;
	}
	bpf_object__for_each_program(p, obj)
		n++;
	bpf_object__close(obj);
	/* Load each program alone for its own verdict. */
	for (i = 0; i < n; i++) {
		int j = 0;
		const char *name = NULL;

		log[0] = 0;
		libbpf_len = 0;
		libbpf_msgs[0] = 0;
		obj = open_obj(argv[1], log);
		if (!obj)
			return 1;
		bpf_object__for_each_program(p, obj) {
			bpf_program__set_autoload(p, j == i);
			if (j == i)
				name = bpf_program__name(p);
			j++;
		}
		err = bpf_object__load(obj);
		if (err) {
			printf("{\"prog\":");
			json_str(name);
			printf(",\"loaded\":false,\"err\":%d,\"log\":", err);
			json_str(log);
			printf(",\"libbpf\":");
			json_str(libbpf_msgs);
			printf("}\n");
		} else {
			run_all(obj);
			/* Only this program ran: its own globals are the ones to read. */
			printf("{\"dump\":");
			json_str(name);
			printf("}\n");
			dump_globals(obj);
		}
		bpf_object__close(obj);
	}
	return 0;
}
