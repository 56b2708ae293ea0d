// C equivalent of examples/xdp_ethertype.py: count packets by (inner) ethertype.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr { __be16 tci; __be16 proto; };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u16);
	__type(value, __u64);
	__uint(max_entries, 64);
} counts SEC(".maps");

static __always_inline void count(__u16 key)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	__u64 one = 1;
	if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&counts, &key);
		if (v)
			__sync_fetch_and_add(v, 1);
	}
}

SEC("xdp")
int count_ethertype(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end) {
		count(0);
		return XDP_PASS;
	}
	__u16 proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		struct vlan_hdr *vlan = data + sizeof(*eth);
		if ((void *)(vlan + 1) > data_end) {
			count(0);
			return XDP_PASS;
		}
		proto = bpf_ntohs(vlan->proto);
	}
	count(proto);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
