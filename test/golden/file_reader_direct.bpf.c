// SPDX-License-Identifier: GPL-2.0
/* file_reader_direct.bpf.c: rendered by kernsim from a program value. */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

struct arrmap_value {
	char data[8];
	struct bpf_task_work tw;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct arrmap_value);
} arrmap SEC(".maps");

int err = 0;
int run_success = 0;
int user_pid = 0;
char user_buf[256000] = {};
char buf[256000] = {};

extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u64 start, __u64 end) __ksym;
extern int bpf_dynptr_file_discard(const struct bpf_dynptr *dynptr) __ksym;
extern int bpf_dynptr_from_file(struct file *file, __u32 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern struct file *bpf_get_task_exe_file(struct task_struct *task) __ksym;
extern void bpf_put_file(struct file *file) __ksym;

#define bpf_dynptr_read(...) ((long (*)(void *, __u64, const struct bpf_dynptr *, __u64, __u64))BPF_FUNC_dynptr_read)(__VA_ARGS__)

static __always_inline long memcmp_bytes(const char *a, const char *b, __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(on_open_expect_fault, struct file *file)
{
	struct bpf_dynptr d;
	long r0 = 0;
	__u64 r1 = 0;
	__u64 r2 = 0;
	struct task_struct *r6 = NULL;
	struct file *r7 = NULL;

	r1 = bpf_get_current_pid_tgid();
	r1 >>= 32;
	r2 = user_pid;
	if (r1 != r2)
		goto out;
	r6 = bpf_get_current_task_btf();
	r7 = bpf_get_task_exe_file(r6);
	if (r7 == NULL)
		goto no_file;
	r0 = bpf_dynptr_from_file(r7, 0, &d);
	if (r0 != 0)
		goto fail_ret;
	r0 = bpf_dynptr_read(buf, 256000, &d, 0, 0);
	if (r0 != 0)
		goto fail_ret;
	r1 = memcmp_bytes(buf + 0, user_buf + 0, 256000);
	if (r1 != 0)
		goto fail_bytes;
ok_all:
	r0 = bpf_dynptr_read(buf, 1, &d, 1, 0);
	if (r0 != 0)
		goto fail_ret;
	r1 = memcmp_bytes(buf + 0, user_buf + 1, 1);
	if (r1 != 0)
		goto fail_bytes;
ok_1:
	r0 = bpf_dynptr_read(buf, 1, &d, 255999, 0);
	if (r0 != 0)
		goto fail_ret;
	r1 = memcmp_bytes(buf + 0, user_buf + 255999, 1);
	if (r1 != 0)
		goto fail_bytes;
ok_last:
	r0 = bpf_dynptr_read(buf, 100, &d, 4097, 0);
	if (r0 != 0)
		goto fail_ret;
	r1 = memcmp_bytes(buf + 0, user_buf + 4097, 100);
	if (r1 != 0)
		goto fail_bytes;
ok_4097:
	r0 = bpf_dynptr_adjust(&d, 4097, 4098);
	if (r0 != 0)
		goto fail_ret;
	r0 = bpf_dynptr_read(buf, 1, &d, 0, 0);
	if (r0 != 0)
		goto fail_ret;
	r1 = memcmp_bytes(buf + 0, user_buf + 4097, 1);
	if (r1 != 0)
		goto fail_bytes;
ok_adjusted:
	r0 = bpf_dynptr_read(buf, 2, &d, 0, 0);
	if (r0 == 0)
		goto fail_succeeded;
	if (r0 != -7)
		goto fail_ret;
	r0 = bpf_dynptr_read(buf, 1, &d, 1, 0);
	if (r0 == 0)
		goto fail_succeeded;
	if (r0 != -7)
		goto fail_ret;
	run_success = 1;
	goto cleanup;
fail_ret:
	err = r0;
	goto cleanup;
fail_bytes:
	err = 1;
	goto cleanup;
fail_succeeded:
	err = 2;
cleanup:
	bpf_dynptr_file_discard(&d);
	bpf_put_file(r7);
	return 0;
no_file:
	err = 3;
	return 0;
out:
	return 0;
}
