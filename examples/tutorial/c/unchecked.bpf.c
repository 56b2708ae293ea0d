/* Step 2 in C: the lookup result is used without a NULL check.  It compiles; the verifier
 * refuses it at load time.  Self-contained (no libbpf headers needed):
 *
 *     clang-19 -O2 -g -target bpf -c examples/tutorial/c/unchecked.bpf.c -o /tmp/unchecked.bpf.o
 *     python examples/tutorial/02_unchecked_c.py /tmp/unchecked.bpf.o
 */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
typedef unsigned int u32;
typedef unsigned long long u64;

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;

struct {
	__uint(type, 1);                /* BPF_MAP_TYPE_HASH */
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 *r = bpf_map_lookup_elem(&counts, &pid);
	*r += 1;                /* r may be NULL: no check above */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
