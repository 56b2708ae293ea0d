"""Program sections (libbpf's names) and what each kind of program may do."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """Facts about one program kind the compiler needs."""

    name: str
    ctx: str            # C name of the context struct (for BTF) or "" for untyped
    tracing: bool       # the kernel forbids timers and spin locks in tracing programs
    packet: bool        # ctx.load(T, off) reads packet data
    sleepable: bool = False   # loaded with BPF_F_SLEEPABLE: may call helpers that fault pages in


# prefix -> kind; a prefix ending in "/" needs a target after it.  libbpf sets BPF_F_SLEEPABLE
# for the ".s" spellings; "syscall" programs are always sleepable.
KINDS: dict[str, Kind] = {
    "syscall": Kind("syscall", "", False, False, True),     # always sleepable
    "xdp": Kind("xdp", "xdp_md", False, True),
    "xdp.frags": Kind("xdp", "xdp_md", False, True),
    "tc": Kind("tc", "__sk_buff", False, True),
    "tc/ingress": Kind("tc", "__sk_buff", False, True),
    "tc/egress": Kind("tc", "__sk_buff", False, True),
    "tcx/ingress": Kind("tc", "__sk_buff", False, True),
    "tcx/egress": Kind("tc", "__sk_buff", False, True),
    "classifier": Kind("tc", "__sk_buff", False, True),
    "socket": Kind("socket", "__sk_buff", False, True),
    "cgroup_skb/ingress": Kind("cgroup_skb", "__sk_buff", False, True),
    "cgroup_skb/egress": Kind("cgroup_skb", "__sk_buff", False, True),
    "perf_event": Kind("perf_event", "bpf_perf_event_data", True, False),
    "iter/": Kind("iter", "bpf_iter__task", True, False),
    "iter.s/": Kind("iter", "bpf_iter__task", True, False, True),
    "tracepoint/": Kind("tracepoint", "", True, False),
    "tp/": Kind("tracepoint", "", True, False),
    "raw_tp/": Kind("raw_tp", "", True, False),
    "raw_tracepoint/": Kind("raw_tp", "", True, False),
    "tp_btf/": Kind("tp_btf", "", True, False),
    "fentry/": Kind("fentry", "", True, False),
    "fexit/": Kind("fexit", "", True, False),
    "fmod_ret/": Kind("fentry", "", True, False),
    "fentry.s/": Kind("fentry", "", True, False, True),
    "fexit.s/": Kind("fexit", "", True, False, True),
    "fmod_ret.s/": Kind("fentry", "", True, False, True),
    "kprobe/": Kind("kprobe", "pt_regs", True, False),
    "kretprobe/": Kind("kprobe", "pt_regs", True, False),
    "uprobe": Kind("uprobe", "pt_regs", True, False),
    "uretprobe": Kind("uprobe", "pt_regs", True, False),
    "uprobe/": Kind("uprobe", "pt_regs", True, False),
    "uretprobe/": Kind("uprobe", "pt_regs", True, False),
    "uprobe.s": Kind("uprobe", "pt_regs", True, False, True),
    "uretprobe.s": Kind("uprobe", "pt_regs", True, False, True),
    "uprobe.s/": Kind("uprobe", "pt_regs", True, False, True),
    "uretprobe.s/": Kind("uprobe", "pt_regs", True, False, True),
    "lsm/": Kind("lsm", "", True, False),
    "lsm.s/": Kind("lsm", "", True, False, True),
}


def kind_of(section: str) -> Kind | None:
    """The kind of a section string, or None when libbpf would not know it."""
    if section in KINDS:
        return KINDS[section]
    for prefix, kind in KINDS.items():
        if prefix.endswith("/") and section.startswith(prefix) and len(section) > len(prefix):
            if prefix in ("tracepoint/", "tp/") and section.count("/") != 2:
                return None
            return kind
    return None


def check_section(section: str) -> bool:
    return kind_of(section) is not None
