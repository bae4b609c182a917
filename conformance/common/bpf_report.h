/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host loader (conformance/loader/loader.c) and the guest driver (conformance/guest/driver.c)
 * share: libbpf's messages collected into a buffer, JSON strings, the dump of an object's globals
 * (read back through its .bss/.data maps and laid out by BTF) as JSON lines `{"global", "offset", "hex"}`,
 * the write of one global (`set_var`: a program's pid filter), hex digits, and user space's map
 * syscalls with their report (`map_sys`: `{"sys":MAP,"err":…,"hex":…}`).
 */
#ifndef KERNSIM_BPF_REPORT_H
#define KERNSIM_BPF_REPORT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1u << 22)

static char *libbpf_msgs;
static size_t libbpf_len;

/*
 * libbpf's print callback: keep warnings and info, drop debug. A message may be a whole verifier log
 * (libbpf prints the log of a program that failed to load as one message): up to 64 KiB of it is kept.
 */
static int collect(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static char line[1 << 16];
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

/* Start collecting libbpf's messages. */
static void report_init(void)
{
	libbpf_msgs = calloc(1, LOG_SIZE);
	libbpf_set_print(collect);
}

/* Forget the messages collected so far. */
static void report_reset(void)
{
	libbpf_len = 0;
	libbpf_msgs[0] = 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
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

/* The maps that hold an object's globals. */
static int is_data_map(const struct bpf_map *m)
{
	const char *n = bpf_map__name(m);
	size_t l = strlen(n);

	return (l >= 4 && strcmp(n + l - 4, ".bss") == 0) || (l >= 5 && strcmp(n + l - 5, ".data") == 0);
}

/* set_var's buffer: no allocation (an anonymous mmap) while a program's pid filter is set. */
static unsigned char varbuf[1 << 23];

/* Find global `name`: its map and offset/size inside the map's value. */
static struct bpf_map *find_var(struct bpf_object *obj, const char *name, __u32 *off, __u32 *size)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m;

	if (!btf)
		return NULL;
	bpf_object__for_each_map(m, obj) {
		const struct btf_type *t;
		const struct btf_var_secinfo *v;
		int i;

		if (!is_data_map(m))
			continue;
		t = btf__type_by_id(btf, bpf_map__btf_value_type_id(m));
		if (!t || !btf_is_datasec(t))
			continue;
		v = btf_var_secinfos(t);
		for (i = 0; i < btf_vlen(t); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);

			if (strcmp(btf__name_by_offset(btf, var->name_off), name) == 0) {
				*off = v->offset;
				*size = v->size;
				return m;
			}
		}
	}
	return NULL;
}

/* Read-modify-write of a global through its map (nothing else writes while no program is attached). */
static int set_var(struct bpf_object *obj, const char *name, const void *data, __u32 len)
{
	__u32 off, size, vs;
	struct bpf_map *m = find_var(obj, name, &off, &size);
	unsigned char *buf;
	int key = 0, err;

	if (!m)
		return -ENOENT;
	vs = bpf_map__value_size(m);
	if (vs > sizeof(varbuf))
		return -E2BIG;
	buf = varbuf;
	err = bpf_map__lookup_elem(m, &key, sizeof(key), buf, vs, 0);
	if (!err) {
		memcpy(buf + off, data, len < size ? len : size);
		err = bpf_map__update_elem(m, &key, sizeof(key), buf, vs, 0);
	}
	return err ? -errno : 0;
}


/*
 * Print each global of `obj` as a JSON line. Only names starting with `only_prefix` (NULL: all), and
 * none larger than `max_size` bytes (0: no limit). A data map that cannot be read prints an error line.
 */
static void dump_globals(struct bpf_object *obj, const char *only_prefix, __u32 max_size)
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
			const char *n = btf__name_by_offset(btf, var->name_off);
			__u32 j;

			if (max_size && v->size > max_size)
				continue;
			if (only_prefix && strncmp(n, only_prefix, strlen(only_prefix)) != 0)
				continue;
			printf("{\"global\":");
			json_str(n);
			printf(",\"offset\":%u,\"hex\":\"", v->offset);
			for (j = 0; j < v->size && v->offset + j < size; j++)
				printf("%02x", buf[v->offset + j]);
			printf("\"}\n");
		}
		free(buf);
	}
}

/*
 * Load only the `i`-th program of `obj` (for its own verdict). Returns its name in `*name` and 0, or
 * prints `{"prog", "loaded": false, "err", "log", "libbpf"}` with the verifier log `vlog` and returns
 * the error.
 */
static int load_only(struct bpf_object *obj, int i, const char *vlog, const char **name)
{
	struct bpf_program *p;
	int j = 0, err;

	*name = NULL;
	bpf_object__for_each_program(p, obj) {
		bpf_program__set_autoload(p, j == i);
		if (j == i)
			*name = bpf_program__name(p);
		j++;
	}
	err = bpf_object__load(obj);
	if (err) {
		printf("{\"prog\":");
		json_str(*name);
		printf(",\"loaded\":false,\"err\":%d,\"log\":", err);
		json_str(vlog);
		printf(",\"libbpf\":");
		json_str(libbpf_msgs);
		printf("}\n");
	}
	return err;
}

/*
 * BPF_MAP_CREATE of a map of type `type` (the model's name: hash, array, percpu_hash, percpu_array,
 * lru_hash, lru_percpu_hash, ringbuf, queue, stack, bloom_filter, task_storage; what follows a colon names the case
 * and is ignored), `max_entries` entries, `map_flags`
 * the low 32 bits of `flags`, `key_size` bits 32-47 and `value_size` bits 48-63, `map_extra`: 0 or
 * -errno (the map is closed at once).
 */
static int map_create(const char *type, __u32 max_entries, __u64 flags, __u64 map_extra)
{
	static const struct { const char *name; enum bpf_map_type type; } types[] = {
		{ "hash", BPF_MAP_TYPE_HASH }, { "array", BPF_MAP_TYPE_ARRAY }, { "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH },
		{ "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY }, { "lru_hash", BPF_MAP_TYPE_LRU_HASH },
		{ "lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH }, { "ringbuf", BPF_MAP_TYPE_RINGBUF },
		{ "queue", BPF_MAP_TYPE_QUEUE }, { "stack", BPF_MAP_TYPE_STACK },
		{ "bloom_filter", BPF_MAP_TYPE_BLOOM_FILTER }, { "task_storage", BPF_MAP_TYPE_TASK_STORAGE },
	};
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = (__u32)flags, .map_extra = map_extra);
	size_t i, n = strcspn(type, ":");
	int fd;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n && strncmp(types[i].name, type, n) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0]))
		return -1302;
	fd = bpf_map_create(types[i].type, NULL, (__u32)(flags >> 32) & 0xffff, (__u32)(flags >> 48), max_entries, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * A batch command (`op` lookup_batch, lookup_batch_start: in_batch NULL, lookup_and_delete_batch,
 * lookup_and_delete_batch_start, update_batch, delete_batch) on `fd` with `elem_flags`, over `buf` of
 * n bytes laid out as: the count (u32, in and out), out_batch (u32, written when the kernel writes it),
 * batch.flags (u64), then the keys (count × 4 bytes) and the values. 0 or -errno; -1303 for an unknown op.
 */
static int map_batch(int fd, const char *op, __u32 key, __u64 elem_flags, unsigned char *buf, size_t n)
{
	__u32 count, out = 0xeeeeeeee, *in = strstr(op, "_start") ? NULL : &key;
	__u64 bflags;
	unsigned char *keys, *values;
	int err;

	if (n < 16)
		return -1304;
	memcpy(&count, buf, 4);
	memcpy(&bflags, buf + 8, 8);
	keys = buf + 16;
	values = keys + (size_t)count * 4;
	if (values > buf + n)
		return -1304;
	{
		LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = elem_flags, .flags = bflags);

		if (strncmp(op, "lookup_batch", 12) == 0)
			err = bpf_map_lookup_batch(fd, in, &out, keys, values, &count, &opts) ? -errno : 0;
		else if (strncmp(op, "lookup_and_delete_batch", 23) == 0)
			err = bpf_map_lookup_and_delete_batch(fd, in, &out, keys, values, &count, &opts) ? -errno : 0;
		else if (strcmp(op, "update_batch") == 0)
			err = bpf_map_update_batch(fd, keys, values, &count, &opts) ? -errno : 0;
		else if (strcmp(op, "delete_batch") == 0)
			err = bpf_map_delete_batch(fd, keys, &count, &opts) ? -errno : 0;
		else
			return -1303;
	}
	memcpy(buf, &count, 4);
	memcpy(buf + 4, &out, 4);
	return err;
}

/*
 * User space's map syscall `op` (`lookup`, `lookup_and_delete`: into `buf`; `update`: from it;
 * `delete`; `next_key`: BPF_MAP_GET_NEXT_KEY of `key` into `buf`; `first_key`: the same of a NULL key;
 * `freeze`: BPF_MAP_FREEZE; `create`: `map_create` of a new map, `map` its type, `key` its max_entries,
 * `map_extra` the first 8 bytes of `buf` (little-endian) when it has 8, else 0; the batch commands:
 * `map_batch`)
 * on the map named `map`, and its report: {"sys":map,"err":<0 or -errno>,"hex":<the n bytes of buf after it>}.
 */
static void map_sys(struct bpf_object *obj, const char *map, const char *op, __u32 key, __u64 flags, unsigned char *buf, size_t n)
{
	struct bpf_map *m = strcmp(op, "create") == 0 ? NULL : bpf_object__find_map_by_name(obj, map);
	int fd = m ? bpf_map__fd(m) : -1, err;
	size_t i;

	if (strcmp(op, "create") == 0) {
		__u64 extra = 0;

		if (n >= 8)
			memcpy(&extra, buf, 8);
		err = map_create(map, key, flags, extra);
	}
	else if (fd < 0)
		err = -1300;
	else if (strstr(op, "_batch"))
		err = map_batch(fd, op, key, flags, buf, n);
	else if (strcmp(op, "lookup") == 0)
		err = bpf_map_lookup_elem_flags(fd, &key, buf, flags) ? -errno : 0;
	else if (strcmp(op, "lookup_and_delete") == 0)
		err = bpf_map_lookup_and_delete_elem_flags(fd, &key, buf, flags) ? -errno : 0;
	else if (strcmp(op, "update") == 0)
		err = bpf_map_update_elem(fd, &key, buf, flags) ? -errno : 0;
	else if (strcmp(op, "delete") == 0)
		err = bpf_map_delete_elem(fd, &key) ? -errno : 0;
	else if (strcmp(op, "next_key") == 0)
		err = bpf_map_get_next_key(fd, &key, buf) ? -errno : 0;
	else if (strcmp(op, "first_key") == 0)
		err = bpf_map_get_next_key(fd, NULL, buf) ? -errno : 0;
	else if (strcmp(op, "freeze") == 0)
		err = bpf_map_freeze(fd) ? -errno : 0;
	/*
	 * A queue's, stack's or bloom filter's commands, with a NULL key: push (update), peek (lookup), pop
	 * (lookup and delete).
	 */
	else if (strcmp(op, "push") == 0)
		err = bpf_map_update_elem(fd, NULL, buf, flags) ? -errno : 0;
	else if (strcmp(op, "peek") == 0)
		err = bpf_map_lookup_elem_flags(fd, NULL, buf, flags) ? -errno : 0;
	else if (strcmp(op, "pop") == 0)
		err = bpf_map_lookup_and_delete_elem_flags(fd, NULL, buf, flags) ? -errno : 0;
	else if (strcmp(op, "delete_null") == 0)
		err = bpf_map_delete_elem(fd, NULL) ? -errno : 0;
	else
		err = -1301;
	printf("{\"sys\":");
	json_str(map);
	printf(",\"err\":%d,\"hex\":\"", err);
	for (i = 0; i < n; i++)
		printf("%02x", buf[i]);
	printf("\"}\n");
}

#endif

/*
 * The lines bpf_trace_printk and bpf_trace_vprintk put in the kernel's trace buffer, read through
 * tracefs. Loaders run side by side, so each process traces into a tracefs instance of its own
 * (instances/kernsim-PID: its own ring buffer, the bpf_trace_printk event enabled there for this
 * process only, set_event_pid), removed at exit. trace_printk_begin() empties it before a run;
 * trace_printk_end() prints `,"printk":["HEX",...]`: the text after "bpf_trace_printk: " of each line,
 * in order (the bytes as the kernel stored them), or `,"printk":null` when tracefs cannot be used.
 */
#include <sys/stat.h>

#define TRACEFS "/sys/kernel/tracing"

static char trace_dir[96];

static int trace_write(const char *file, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", trace_dir, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void trace_instance_remove(void)
{
	if (trace_dir[0])
		rmdir(trace_dir);
}

static int trace_printk_begin(void)
{
	char pid[16];

	if (!trace_dir[0]) {
		snprintf(trace_dir, sizeof(trace_dir), TRACEFS "/instances/kernsim-%d", (int)getpid());
		if (mkdir(trace_dir, 0755) && errno != EEXIST) {
			trace_dir[0] = 0;
			return -1;
		}
		atexit(trace_instance_remove);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (trace_write("set_event_pid", pid) || trace_write("events/bpf_trace/bpf_trace_printk/enable", "1"))
			return -1;
	}
	return trace_write("trace", "");
}

/* One line's text as hex: its bytes without the newline the tracer ends each event with. */
static void trace_text_emit(const char *text, size_t n, int *first)
{
	size_t i;

	if (n > 0 && text[n - 1] == '\n')
		n--;
	printf("%s\"", *first ? "" : ",");
	*first = 0;
	for (i = 0; i < n; i++)
		printf("%02x", (unsigned char)text[i]);
	printf("\"");
}

static void trace_printk_end(int began)
{
	char path[160], *line = NULL, *at, *text = NULL;
	size_t cap = 0, len = 0, tcap = 0;
	ssize_t n;
	int first = 1, in_event = 0;
	FILE *f = NULL;

	if (began == 0) {
		snprintf(path, sizeof(path), "%s/trace", trace_dir);
		f = fopen(path, "r");
	}
	if (!f) {
		printf(",\"printk\":null");
		return;
	}
	printf(",\"printk\":[");
	/*
	 * Each event reads "<task>-<pid> [cpu] flags time: bpf_trace_printk: TEXT\n": a text with newlines
	 * of its own runs over the lines up to the next event, so a text ending in "\n" is followed by an
	 * empty line.
	 */
	while ((n = getline(&line, &cap, f)) > 0) {
		if (!in_event && line[0] == '#')
			continue;
		at = strstr(line, ": bpf_trace_printk: ");
		if (at) {
			if (in_event)
				trace_text_emit(text, len, &first);
			in_event = 1;
			len = 0;
			at += strlen(": bpf_trace_printk: ");
			n -= at - line;
		} else if (in_event) {
			at = line;
		} else {
			continue;
		}
		if (len + (size_t)n > tcap) {
			tcap = 2 * (len + (size_t)n);
			text = realloc(text, tcap);
			if (!text)
				exit(2);
		}
		memcpy(text + len, at, (size_t)n);
		len += (size_t)n;
	}
	if (in_event)
		trace_text_emit(text, len, &first);
	printf("]");
	free(text);
	free(line);
	fclose(f);
}
