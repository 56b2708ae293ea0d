// Internet checksum (RFC 1071) over the first 512 bytes of an XDP packet; returns it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 256

struct payload { __u16 w[N]; };

SEC("xdp")
int checksum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct payload *p = data;
	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	__u32 s = 0;
	for (int i = 0; i < N; i++)
		s += p->w[i];
	s = (s & 0xFFFF) + (s >> 16);
	s = (s & 0xFFFF) + (s >> 16);
	return ~s & 0xFFFF;
}

char LICENSE[] SEC("license") = "GPL";
