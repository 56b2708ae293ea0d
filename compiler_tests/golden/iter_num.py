from ebpfpy import bpf_program, helpers, u64


@bpf_program("syscall")
def main(ctx) -> int:
    total: u64 = 0
    for i in helpers.iter_num(0, 10):
        total += u64(i)
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "iter_num.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define i32 @"main"(ptr %"ctx") nounwind section "syscall" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.static", ptr %"ctx.1", !dbg !N
#   %"total" = alloca i64, align 8, !dbg !N
#   store i64 0, ptr %"total", !dbg !N
#   %"iter" = alloca i64, align 8, !dbg !N
#   %"i.1" = alloca i32, align 8, !dbg !N
#   store i32 0, ptr %"i.1", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   store i64 0, ptr %"total", !dbg !N
#   %".1" = call i32 @"bpf_iter_num_new"(ptr %"iter", i32 0, i32 10), !dbg !N
#   br label %"iter.next", !dbg !N
# iter.next:
#   %"iter.p" = call ptr @"bpf_iter_num_next"(ptr %"iter"), !dbg !N
#   %".2" = icmp eq ptr %"iter.p", null , !dbg !N
#   br i1 %".2", label %"iter.end", label %"iter.body", !dbg !N
# iter.body:
#   %"i" = load i32, ptr %"iter.p", !dbg !N
#   store i32 %"i", ptr %"i.1", !dbg !N
#   %".3" = load i64, ptr %"total", !dbg !N
#   %"sext" = sext i32 %"i" to i64 , !dbg !N
#   %"add" = add i64 %".3", %"sext", !dbg !N
#   store i64 %"add", ptr %"total", !dbg !N
#   br label %"iter.next", !dbg !N
# iter.end:
#   call void @"bpf_iter_num_destroy"(ptr %"iter"), !dbg !N
#   %"trunc" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".4" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".4", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".5")
#
# declare !dbg !N i32 @"bpf_iter_num_new"(ptr %".5", i32 %".6", i32 %".7") nounwind section ".ksyms"
#
# declare !dbg !N ptr @"bpf_iter_num_next"(ptr %".5") nounwind section ".ksyms"
#
# declare !dbg !N void @"bpf_iter_num_destroy"(ptr %".5") nounwind section ".ksyms"
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "iter_num.py", source: "from ebpfpy import bpf_program, helpers, u64\0a\0a\0a@bpf_program(\22syscall\22)\0adef main(ctx) -> int:\0a    total: u64 = 0\0a    for i in helpers.iter_num(0, 10):\0a        total += u64(i)\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DICompositeType(file: !N, flags: DIFlagFwdDecl, name: "bpf_ctx", tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 5, linkageName: "main", name: "main", retainedNodes: !N, scope: !N, scopeLine: 5, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 5, scope: !N)
# !N = !DILocation(column: 5, line: 6, scope: !N)
# !N = !DILocation(column: 5, line: 7, scope: !N)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned long long", size: 64)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u64", tag: DW_TAG_typedef)
# !N = !DISubrange(count: 1)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 64, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__opaque", offset: 0, size: 64, tag: DW_TAG_member)
# !N = !{ !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "bpf_iter_num", size: 64, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N, !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = !DISubprogram(file: !N, flags: DIFlagPrototyped, name: "bpf_iter_num_new", scope: !N, spFlags: DISPFlagOptimized, type: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = !DISubprogram(file: !N, flags: DIFlagPrototyped, name: "bpf_iter_num_next", scope: !N, spFlags: DISPFlagOptimized, type: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = !DISubprogram(file: !N, flags: DIFlagPrototyped, name: "bpf_iter_num_destroy", scope: !N, spFlags: DISPFlagOptimized, type: !N)
# !N = !DILocation(column: 9, line: 8, scope: !N)
# !N = !DILocation(column: 5, line: 9, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
