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
#include "../common/bpf_report.h"







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
		run_all(obj);
		dump_globals(obj, NULL, 0);
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
		}
		bpf_object__close(obj);
	}
	return 0;
}
