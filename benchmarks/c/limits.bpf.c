/* The limits programs written the way an expert would in C: bpf_loop for big loops,
 * a bounded inner loop per row for Game of Life.  Built by benchmarks/limits.py with
 * clang -O2 -g -target bpf, in the same run as the ebpfpy versions. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct io { __u64 n, total, extra; };

/* Each program is built into its own object (-DPROG_<name>) so load times compare alike. */
#ifdef PROG_sum_2m
struct sum_ctx { __u64 s; };

static long sum_body(__u32 i, void *c)
{
	((struct sum_ctx *)c)->s += (__u64)i * 3;
	return 0;
}

SEC("syscall")
int sum_2m(struct io *ctx)
{
	struct sum_ctx c = {0};
	bpf_loop(2000000, sum_body, &c, 0);
	ctx->total = c.s;
	return 0;
}

#endif

#ifdef PROG_loop_8m
struct loop_ctx { __u64 s, extra; };

static long loop_body(__u32 i, void *p)
{
	struct loop_ctx *c = p;
	c->s += i & 255;
	if (i == 7999999)
		c->extra = i;
	return 0;
}

SEC("syscall")
int loop_8m(struct io *ctx)
{
	struct loop_ctx c = {0};
	bpf_loop(8000000, loop_body, &c, 0);
	ctx->total = c.s;
	ctx->extra = c.extra;
	return 0;
}

#endif

#ifdef PROG_nested_1e7
static long nested_body(__u32 i, void *p)
{
	__u64 s = 0;
	for (__u32 j = 0; j < 1000; j++)
		s += (i ^ j) & 7;
	*(__u64 *)p += s;
	return 0;
}

SEC("syscall")
int nested_1e7(struct io *ctx)
{
	__u64 s = 0;
	bpf_loop(10000, nested_body, &s, 0);
	ctx->total = s;
	return 0;
}

#endif

#ifdef PROG_gol_1024
#define N 1024
struct board { __u8 c[N][N]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct board);
	__uint(max_entries, 2);
} boards SEC(".maps");

struct gol_ctx { struct board *s, *d; };

static long gol_row(__u32 y, void *p)
{
	struct gol_ctx *c = p;
	__u32 up = (y + N - 1) & (N - 1), down = (y + 1) & (N - 1);
	y &= N - 1;
	for (__u32 x = 0; x < N; x++) {
		__u32 l = (x + N - 1) & (N - 1), r = (x + 1) & (N - 1);
		__u32 n = c->s->c[up][l] + c->s->c[up][x] + c->s->c[up][r] + c->s->c[y][l] +
			  c->s->c[y][r] + c->s->c[down][l] + c->s->c[down][x] + c->s->c[down][r];
		c->d->c[y][x] = (n == 3) | ((n == 2) & c->s->c[y][x]);
	}
	return 0;
}

struct gen { __u32 src; };

SEC("syscall")
int gol_1024(struct gen *g)
{
	__u32 k0 = g->src & 1, k1 = (g->src + 1) & 1;
	struct gol_ctx c;
	c.s = bpf_map_lookup_elem(&boards, &k0);
	c.d = bpf_map_lookup_elem(&boards, &k1);
	if (!c.s || !c.d)
		return 1;
	bpf_loop(N, gol_row, &c, 0);
	return 0;
}
#endif
