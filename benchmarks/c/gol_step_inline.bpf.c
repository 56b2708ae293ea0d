// examples/gol_step.py in C with both loops inline, the shape ebpfpy emits when its splitting
// leaves the loops alone: the verifier walks all 64x64 cells.  `n == 3` is computed without
// a jump (with plain compares clang emits branches and the verifier stops at "The sequence of
// 8193 jumps is too complex").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define W 64
#define H 64

struct board { __u8 cells[H][W]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct board);
	__uint(max_entries, 2);
} boards SEC(".maps");

__u32 generation = 0;

/* 1 when v == 0, without a jump (the empty asm keeps clang from turning it back into one). */
static __always_inline __u64 is_zero(__u64 v)
{
	__u64 neg = -v;
	asm volatile("" : "+r"(neg));
	__u64 nonzero = (v | neg) >> 63;
	asm volatile("" : "+r"(nonzero));
	return nonzero ^ 1;
}

SEC("syscall")
int step(void *ctx)
{
	__u32 cur = generation & 1, nxt = cur ^ 1;
	struct board *src = bpf_map_lookup_elem(&boards, &cur);
	struct board *dst = bpf_map_lookup_elem(&boards, &nxt);
	if (!src || !dst)
		return 1;
	for (int y = 0; y < H; y++) {
		int up = (y + H - 1) & (H - 1), down = (y + 1) & (H - 1);
		for (int x = 0; x < W; x++) {
			int left = (x + W - 1) & (W - 1), right = (x + 1) & (W - 1);
			__u8 n = src->cells[up][left] + src->cells[up][x] + src->cells[up][right]
			       + src->cells[y][left] + src->cells[y][right]
			       + src->cells[down][left] + src->cells[down][x] + src->cells[down][right];
			dst->cells[y][x] = (__u8)is_zero(n ^ 3) | ((__u8)is_zero(n ^ 2) & src->cells[y][x]);
		}
	}
	generation++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
