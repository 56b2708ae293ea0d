from ebpfpy import bpf_program, struct, u32, u64


@struct
class Args:
    n: u32
    total: u64


@bpf_program("syscall")
def loop(ctx: Args) -> int:
    for i in range(min(ctx.n, 16)):
        if i == 9:
            break
        ctx.total += i
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "loop.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Args" = type {i32, i64}
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Args") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"loop"(ptr %"ctx") nounwind section "syscall" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.stack" = alloca %"struct.Args", align 8, !dbg !N
#   %".1" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   %".2" = load i64, ptr %".1", !dbg !N
#   %".3" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   store i64 %".2", ptr %".3", !dbg !N
#   %".4" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   %".5" = load i64, ptr %".4", !dbg !N
#   %".6" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   store i64 %".5", ptr %".6", !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.stack", ptr %"ctx.1", !dbg !N
#   %"iv" = alloca i64, align 8, !dbg !N
#   %"i.1" = alloca i32, align 8, !dbg !N
#   store i32 0, ptr %"i.1", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"n" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".7" = load i32, ptr %"n", !dbg !N
#   %"min" = call i32 @"llvm.umin.i32"(i32 %".7", i32 16), !dbg !N
#   %"zext" = zext i32 %"min" to i64 , !dbg !N
#   store i64 0, ptr %"iv", !dbg !N
#   br label %"for.head", !dbg !N
# for.head:
#   %"i" = load i64, ptr %"iv", !dbg !N
#   %"cmp" = icmp slt i64 %"i", %"zext" , !dbg !N
#   br i1 %"cmp", label %"for.body", label %"for.end", !dbg !N
# for.body:
#   %"trunc" = trunc i64 %"i" to i32 , !dbg !N
#   store i32 %"trunc", ptr %"i.1", !dbg !N
#   %"cmp.1" = icmp eq i32 %"trunc", 9 , !dbg !N
#   br i1 %"cmp.1", label %"if.then", label %"if.end", !dbg !N
# for.latch:
#   %".8" = load i64, ptr %"iv", !dbg !N
#   %"i.next" = add i64 %".8", 1, !dbg !N
#   store i64 %"i.next", ptr %"iv", !dbg !N
#   br label %"for.head", !dbg !N
# for.end:
#   %"trunc.1" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc.1", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# if.then:
#   br label %"for.end", !dbg !N
# if.end:
#   %"total" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   %".9" = load i64, ptr %"total", !dbg !N
#   %".10" = load i32, ptr %"i.1", !dbg !N
#   %"zext.1" = zext i32 %".10" to i64 , !dbg !N
#   %"add" = add i64 %".9", %"zext.1", !dbg !N
#   store i64 %"add", ptr %"total", !dbg !N
#   br label %"for.latch", !dbg !N
# return:
#   %".11" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   %".12" = load i64, ptr %".11", !dbg !N
#   %".13" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   store i64 %".12", ptr %".13", !dbg !N
#   %".14" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   %".15" = load i64, ptr %".14", !dbg !N
#   %".16" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   store i64 %".15", ptr %".16", !dbg !N
#   %".17" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".17", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".18")
#
# declare i32 @"llvm.umin.i32"(i32 %".18", i32 %".19")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "loop.py", source: "from ebpfpy import bpf_program, struct, u32, u64\0a\0a\0a@struct\0aclass Args:\0a    n: u32\0a    total: u64\0a\0a\0a@bpf_program(\22syscall\22)\0adef loop(ctx: Args) -> int:\0a    for i in range(min(ctx.n, 16)):\0a        if i == 9:\0a            break\0a        ctx.total += i\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned long long", size: 64)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u64", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "n", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "total", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Args", size: 128, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 11, linkageName: "loop", name: "loop", retainedNodes: !N, scope: !N, scopeLine: 11, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 11, scope: !N)
# !N = !DILocation(column: 5, line: 12, scope: !N)
# !N = !DILocation(column: 9, line: 13, scope: !N)
# !N = !DILocation(column: 13, line: 14, scope: !N)
# !N = !DILocation(column: 9, line: 15, scope: !N)
# !N = !DILocation(column: 5, line: 16, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
