"""cffi ABI-mode bindings to the system libbpf (1.1 or newer).

Only the libbpf 1.1 API is declared, so every entry point used here exists on the oldest
supported library; newer ones are probed with :func:`has`.  The ``*_opts`` structs copy
libbpf 1.1's layouts exactly (``sz`` first, set by :func:`new_opts`), which libbpf's
``OPTS_VALID`` checks: a newer libbpf accepts an older, smaller struct.

libbpf's diagnostics go through a print callback into :data:`MESSAGES`, so that load errors
can quote them and tests can assert on them (e.g. that "BTF is optional" never appears).
"""
from __future__ import annotations

import os
import threading
from typing import Any

import cffi

CDEF = r"""
typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef int __s32;

struct bpf_object; struct bpf_program; struct bpf_map; struct bpf_link; struct btf;
struct ring_buffer; struct perf_buffer; struct perf_buffer_opts;

struct bpf_object_open_opts {
    size_t sz; const char *object_name; bool relaxed_maps; const char *pin_root_path;
    __u32 :32; const char *kconfig; const char *btf_custom_path;
    char *kernel_log_buf; size_t kernel_log_size; __u32 kernel_log_level;
};
struct bpf_test_run_opts {
    size_t sz; const void *data_in; void *data_out; __u32 data_size_in; __u32 data_size_out;
    const void *ctx_in; void *ctx_out; __u32 ctx_size_in; __u32 ctx_size_out;
    __u32 retval; int repeat; __u32 duration; __u32 flags; __u32 cpu; __u32 batch_size;
};
struct bpf_uprobe_opts {
    size_t sz; size_t ref_ctr_offset; __u64 bpf_cookie; bool retprobe; const char *func_name;
};
struct bpf_tc_hook { size_t sz; int ifindex; int attach_point; __u32 parent; };
struct bpf_tc_opts {
    size_t sz; int prog_fd; __u32 flags; __u32 prog_id; __u32 handle; __u32 priority;
};
struct bpf_iter_attach_opts { size_t sz; void *link_info; __u32 link_info_len; };
struct ring_buffer_opts { size_t sz; };

struct btf_type { __u32 name_off; __u32 info; __u32 size_or_type; };
struct btf_member { __u32 name_off; __u32 type; __u32 offset; };
struct btf_param { __u32 name_off; __u32 type; };
struct btf_array { __u32 type; __u32 index_type; __u32 nelems; };
struct btf_enum { __u32 name_off; __s32 val; };
struct btf_var { __u32 linkage; };
struct btf_var_secinfo { __u32 type; __u32 offset; __u32 size; };

typedef int (*libbpf_print_fn_t)(int level, const char *fmt, void *ap);
libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);
long libbpf_get_error(const void *ptr);

struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
                                        const struct bpf_object_open_opts *opts);
int bpf_object__load(struct bpf_object *obj);
void bpf_object__close(struct bpf_object *obj);
const char *bpf_object__name(const struct bpf_object *obj);
struct btf *bpf_object__btf(const struct bpf_object *obj);
struct bpf_program *bpf_object__next_program(const struct bpf_object *obj,
                                             struct bpf_program *prog);
struct bpf_map *bpf_object__next_map(const struct bpf_object *obj, const struct bpf_map *map);

const char *bpf_program__name(const struct bpf_program *prog);
const char *bpf_program__section_name(const struct bpf_program *prog);
int bpf_program__fd(const struct bpf_program *prog);
int bpf_program__type(const struct bpf_program *prog);
size_t bpf_program__insn_cnt(const struct bpf_program *prog);
int bpf_program__set_log_buf(struct bpf_program *prog, char *log_buf, size_t log_size);
int bpf_program__set_log_level(struct bpf_program *prog, __u32 log_level);
int bpf_program__set_type(struct bpf_program *prog, int type);
bool bpf_program__autoload(const struct bpf_program *prog);

const char *bpf_map__name(const struct bpf_map *map);
int bpf_map__fd(const struct bpf_map *map);
int bpf_map__type(const struct bpf_map *map);
__u32 bpf_map__key_size(const struct bpf_map *map);
__u32 bpf_map__value_size(const struct bpf_map *map);
__u32 bpf_map__max_entries(const struct bpf_map *map);
__u32 bpf_map__map_flags(const struct bpf_map *map);
__u32 bpf_map__btf_key_type_id(const struct bpf_map *map);
__u32 bpf_map__btf_value_type_id(const struct bpf_map *map);
void *bpf_map__initial_value(struct bpf_map *map, size_t *psize);
int bpf_map__set_pin_path(struct bpf_map *map, const char *path);
int bpf_map__set_initial_value(struct bpf_map *map, const void *data, size_t size);

int bpf_map_lookup_elem(int fd, const void *key, void *value);
int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
int bpf_map_delete_elem(int fd, const void *key);
int bpf_map_get_next_key(int fd, const void *key, void *next_key);
int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts);
int bpf_iter_create(int link_fd);

struct bpf_link *bpf_program__attach(const struct bpf_program *prog);
struct bpf_link *bpf_program__attach_tracepoint(const struct bpf_program *prog,
                                                const char *tp_category, const char *tp_name);
struct bpf_link *bpf_program__attach_raw_tracepoint(const struct bpf_program *prog,
                                                    const char *tp_name);
struct bpf_link *bpf_program__attach_xdp(const struct bpf_program *prog, int ifindex);
struct bpf_link *bpf_program__attach_uprobe_opts(const struct bpf_program *prog, int pid,
        const char *binary_path, size_t func_offset, const struct bpf_uprobe_opts *opts);
struct bpf_link *bpf_program__attach_iter(const struct bpf_program *prog,
                                          const struct bpf_iter_attach_opts *opts);
struct bpf_link *bpf_program__attach_cgroup(const struct bpf_program *prog, int cgroup_fd);
struct bpf_link *bpf_program__attach_perf_event(const struct bpf_program *prog, int pfd);
int bpf_link__destroy(struct bpf_link *link);
int bpf_link__fd(const struct bpf_link *link);
int bpf_link__pin(struct bpf_link *link, const char *path);

int bpf_tc_hook_create(struct bpf_tc_hook *hook);
int bpf_tc_hook_destroy(struct bpf_tc_hook *hook);
int bpf_tc_attach(const struct bpf_tc_hook *hook, struct bpf_tc_opts *opts);
int bpf_tc_detach(const struct bpf_tc_hook *hook, const struct bpf_tc_opts *opts);

typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);
struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
                                     const struct ring_buffer_opts *opts);
void ring_buffer__free(struct ring_buffer *rb);
int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms);
int ring_buffer__consume(struct ring_buffer *rb);

typedef void (*perf_buffer_sample_fn)(void *ctx, int cpu, void *data, __u32 size);
typedef void (*perf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt);
struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn sample_cb,
                                     perf_buffer_lost_fn lost_cb, void *ctx,
                                     const struct perf_buffer_opts *opts);
void perf_buffer__free(struct perf_buffer *pb);
int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms);
int perf_buffer__consume(struct perf_buffer *pb);

const struct btf_type *btf__type_by_id(const struct btf *btf, __u32 id);
const char *btf__name_by_offset(const struct btf *btf, __u32 offset);
__u32 btf__type_cnt(const struct btf *btf);
__s32 btf__find_by_name_kind(const struct btf *btf, const char *type_name, __u32 kind);
struct btf *btf__load_vmlinux_btf(void);

int vsnprintf(char *str, size_t size, const char *format, void *ap);
"""

# uapi enum values used by the loader (include/uapi/linux/bpf.h).
MAP_HASH, MAP_ARRAY, MAP_PROG_ARRAY, MAP_PERCPU_HASH, MAP_PERCPU_ARRAY = 1, 2, 3, 5, 6
MAP_PERF_EVENT_ARRAY, MAP_STACK_TRACE, MAP_CGROUP_ARRAY = 4, 7, 8
MAP_LRU_HASH, MAP_LRU_PERCPU_HASH, MAP_RINGBUF = 9, 10, 27
BPF_F_MMAPABLE = 1 << 10
BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2
BPF_TC_INGRESS, BPF_TC_EGRESS = 1, 2
PROG_UNSPEC, PROG_SCHED_CLS, PROG_SYSCALL = 0, 3, 31

# BTF kinds (include/uapi/linux/btf.h).
(BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_ENUM,
 BTF_KIND_FWD, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT,
 BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_VAR, BTF_KIND_DATASEC, BTF_KIND_FLOAT,
 BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64) = range(1, 20)

ffi = cffi.FFI()
ffi.cdef(CDEF)
lib: Any = ffi.dlopen("libbpf.so.1")
_libc: Any = ffi.dlopen(None)


def has(name: str) -> bool:
    """True when the loaded libbpf exports ``name`` (declared in the cdef)."""
    try:
        getattr(lib, name)
        return True
    except AttributeError:
        return False


def new_opts(ctype: str, **fields: Any) -> Any:
    """A zeroed ``struct ctype`` with ``sz`` set, as libbpf's ``LIBBPF_OPTS`` macro does."""
    opts = ffi.new(f"struct {ctype} *")
    opts.sz = ffi.sizeof(f"struct {ctype}")
    for k, v in fields.items():
        setattr(opts, k, v)
    return opts


def err_of(ptr: Any) -> int:
    """The positive errno of a failed pointer-returning call (NULL or ERR_PTR), else 0."""
    if ptr == ffi.NULL:
        return ffi.errno or 1
    # libbpf 1.0+ returns NULL on error, but keep ERR_PTR-encoded pointers harmless.
    addr = int(ffi.cast("uintptr_t", ptr))
    if addr >= (1 << 64) - 4095:
        return (1 << 64) - addr
    return 0


def cstr(p: Any) -> str:
    """A C string as ``str`` ('' for NULL)."""
    return "" if p == ffi.NULL else ffi.string(p).decode("utf-8", "replace")


# ------------------------------------------------------------------ libbpf messages
MESSAGES: list[tuple[int, str]] = []
"""libbpf's recent messages in this process: ``(level, text)``; 0 warn, 1 info, 2 debug."""

_MAX_KEPT = 10000
_lock = threading.Lock()
_total = 0          # messages ever printed; marks count from here so trimming keeps them valid


@ffi.callback("int(int, const char *, void *)")
def _print(level: int, fmt: Any, ap: Any) -> int:
    global _total
    # On x86-64/arm64 a va_list argument is passed as a pointer, so vsnprintf can format it.
    buf = ffi.new("char[]", 4096)
    _libc.vsnprintf(buf, 4096, fmt, ap)
    with _lock:
        MESSAGES.append((level, cstr(buf)))
        _total += 1
        if len(MESSAGES) > _MAX_KEPT:
            del MESSAGES[: len(MESSAGES) - _MAX_KEPT]
    return 0


lib.libbpf_set_print(_print)


def message_mark() -> int:
    """A mark for :func:`messages_since`: the number of messages printed so far."""
    with _lock:
        return _total


def messages_since(mark: int, min_level: int = 2) -> list[str]:
    """The text of libbpf's messages printed after ``mark`` at ``level <= min_level``."""
    with _lock:
        start = max(0, len(MESSAGES) - (_total - mark))
        return [m for lvl, m in MESSAGES[start:] if lvl <= min_level]


def possible_cpus() -> int:
    """Number of possible CPUs (per-CPU map values have one slot each)."""
    with open("/sys/devices/system/cpu/possible") as f:
        text = f.read().strip()
    n = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        n = max(n, int(hi or lo) + 1)
    return n


def os_error(errno_: int, what: str) -> OSError:
    """An ``OSError`` for a failed libbpf call, with the errno's text."""
    return OSError(errno_, f"{what}: {os.strerror(errno_)}")
