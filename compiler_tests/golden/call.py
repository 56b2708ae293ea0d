from ebpfpy import bpf_program, bpf_function, struct, i32, i64


@struct
class Args:
    a: i32
    out: i64


@bpf_function
def twice(x: i32) -> i64:
    return i64(x) * 2


@bpf_program("syscall")
def caller(ctx: Args) -> int:
    ctx.out = twice(ctx.a)
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "call.py"
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
# define internal i64 @"twice"(i32 %"x") nounwind !dbg !N
# {
# entry:
#   %"x.1" = alloca i32, align 8, !dbg !N
#   store i32 0, ptr %"x.1", !dbg !N
#   store i32 %"x", ptr %"x.1", !dbg !N
#   %"retval" = alloca i64, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %".1" = load i32, ptr %"x.1", !dbg !N
#   %"sext" = sext i32 %".1" to i64 , !dbg !N
#   %"mul" = mul i64 %"sext", 2, !dbg !N
#   store i64 %"mul", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".2" = load i64, ptr %"retval", !dbg !N
#   ret i64 %".2", !dbg !N
# }
#
# define i32 @"caller"(ptr %"ctx") nounwind section "syscall" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.stack" = alloca %"struct.Args", align 8, !dbg !N
#   %".3" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   %".4" = load i64, ptr %".3", !dbg !N
#   %".1" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   store i64 %".4", ptr %".1", !dbg !N
#   %".5" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   %".6" = load i64, ptr %".5", !dbg !N
#   %".7" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   store i64 %".6", ptr %".7", !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.stack", ptr %"ctx.1", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"a" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".8" = load i32, ptr %"a", !dbg !N
#   %".9" = call i64 @"twice"(i32 %".8"), !dbg !N
#   %"out" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   store i64 %".9", ptr %"out", !dbg !N
#   %"trunc" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".10" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   %".11" = load i64, ptr %".10", !dbg !N
#   %".12" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   store i64 %".11", ptr %".12", !dbg !N
#   %".13" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   %".14" = load i64, ptr %".13", !dbg !N
#   %".15" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   store i64 %".14", ptr %".15", !dbg !N
#   %".16" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".16", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".17")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "call.py", source: "from ebpfpy import bpf_program, bpf_function, struct, i32, i64\0a\0a\0a@struct\0aclass Args:\0a    a: i32\0a    out: i64\0a\0a\0a@bpf_function\0adef twice(x: i32) -> i64:\0a    return i64(x) * 2\0a\0a\0a@bpf_program(\22syscall\22)\0adef caller(ctx: Args) -> int:\0a    ctx.out = twice(ctx.a)\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__i32", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "long long", size: 64)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__i64", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "a", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "out", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Args", size: 128, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 11, linkageName: "twice", name: "twice", retainedNodes: !N, scope: !N, scopeLine: 11, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 16, linkageName: "caller", name: "caller", retainedNodes: !N, scope: !N, scopeLine: 16, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 11, scope: !N)
# !N = !DILocation(column: 5, line: 12, scope: !N)
# !N = !DILocation(column: 1, line: 16, scope: !N)
# !N = !DILocation(column: 5, line: 17, scope: !N)
# !N = !DILocation(column: 5, line: 18, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "x", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
