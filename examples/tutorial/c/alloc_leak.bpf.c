/* Step 12 in C: the mistake of broken/alloc_leak.py, which C lets through to the kernel.
 *
 *   clang-19 -O2 -g -target bpf -c examples/tutorial/c/alloc_leak.bpf.c -o /tmp/alloc_leak.bpf.o
 *   python examples/tutorial/02_unchecked_c.py /tmp/alloc_leak.bpf.o
 *
 * An object from bpf_obj_new is owned by the program; on one path it is neither freed
 * (bpf_obj_drop) nor stored, and the verifier refuses the program ("Unreleased reference").
 * No headers needed: the kfuncs are declared here as libbpf's bpf_experimental.h does.
 */
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __ksym __attribute__((section(".ksyms")))

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *p, void *meta) __ksym;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;

struct write {
	__u64 size;
};

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int add(void *ctx)
{
	/* bpf_core_type_id_local(struct write): libbpf relocates the type id */
	struct write *n = bpf_obj_new_impl(__builtin_btf_type_id(*(struct write *)0, 0), 0);

	if (!n)
		return 0;
	n->size = 1;
	if (bpf_ktime_get_ns() & 1)
		return 0;		/* n leaks here */
	bpf_obj_drop_impl(n, 0);
	return 0;
}
