// CRC-32 (IEEE, bitwise, branch-free) over the first 64 bytes of an XDP packet; returns it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define N 64

struct buf { __u8 b[N]; };

SEC("xdp")
int crc32(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct buf *p = data;
	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	__u32 crc = 0xFFFFFFFF;
	/* unrolled: as a loop, clang counts with a pointer the verifier cannot bound, and it
	 * walks the loop until "BPF program is too large. Processed 1000001 insn" */
#pragma unroll
	for (int i = 0; i < N; i++) {
		crc ^= p->b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320 & (0u - (crc & 1)));
	}
	return ~crc;
}

char LICENSE[] SEC("license") = "GPL";
