// Hash-map counting: 16 keys from the packet, each counted in a HashMap (atomic, created when absent).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define K 16

struct keys { __u32 k[K]; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} counts SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	__u64 one = 1;
	if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&counts, &key);    /* another CPU inserted it first */
		if (v)
			__sync_fetch_and_add(v, 1);
	}
}

SEC("xdp")
int hashcount(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct keys *p = data;
	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	for (int i = 0; i < K; i++)
		count(p->k[i] & 1023);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
