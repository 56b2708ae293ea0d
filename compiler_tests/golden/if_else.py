from ebpfpy import bpf_program, struct, i32


@struct
class Args:
    a: i32
    out: i32


@bpf_program("syscall")
def branch(ctx: Args) -> int:
    if ctx.a < 0:
        ctx.out = -1
    elif ctx.a == 0:
        ctx.out = 0
    else:
        ctx.out = 1
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "if_else.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Args" = type {i32, i32}
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Args") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"branch"(ptr %"ctx") nounwind section "syscall" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.stack" = alloca %"struct.Args", align 8, !dbg !N
#   %".1" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   %".2" = load i32, ptr %".1", !dbg !N
#   %".3" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   store i32 %".2", ptr %".3", !dbg !N
#   %".4" = getelementptr i8, ptr %"ctx.static", i64 4 , !dbg !N
#   %".5" = load i32, ptr %".4", !dbg !N
#   %".6" = getelementptr i8, ptr %"ctx.stack", i64 4 , !dbg !N
#   store i32 %".5", ptr %".6", !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.stack", ptr %"ctx.1", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"a" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".7" = load i32, ptr %"a", !dbg !N
#   %"cmp" = icmp slt i32 %".7", 0 , !dbg !N
#   br i1 %"cmp", label %"if.then", label %"if.else", !dbg !N
# if.then:
#   %"out" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   store i32 4294967295, ptr %"out", !dbg !N
#   br label %"if.end", !dbg !N
# if.else:
#   %"a.1" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".8" = load i32, ptr %"a.1", !dbg !N
#   %"cmp.1" = icmp eq i32 %".8", 0 , !dbg !N
#   br i1 %"cmp.1", label %"if.then.1", label %"if.else.1", !dbg !N
# if.end:
#   %"trunc" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# if.then.1:
#   %"out.1" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   store i32 0, ptr %"out.1", !dbg !N
#   br label %"if.end.1", !dbg !N
# if.else.1:
#   %"out.2" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   store i32 1, ptr %"out.2", !dbg !N
#   br label %"if.end.1", !dbg !N
# if.end.1:
#   br label %"if.end", !dbg !N
# return:
#   %".9" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   %".10" = load i32, ptr %".9", !dbg !N
#   %".11" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   store i32 %".10", ptr %".11", !dbg !N
#   %".12" = getelementptr i8, ptr %"ctx.stack", i64 4 , !dbg !N
#   %".13" = load i32, ptr %".12", !dbg !N
#   %".14" = getelementptr i8, ptr %"ctx.static", i64 4 , !dbg !N
#   store i32 %".13", ptr %".14", !dbg !N
#   %".15" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".15", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".16")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "if_else.py", source: "from ebpfpy import bpf_program, struct, i32\0a\0a\0a@struct\0aclass Args:\0a    a: i32\0a    out: i32\0a\0a\0a@bpf_program(\22syscall\22)\0adef branch(ctx: Args) -> int:\0a    if ctx.a < 0:\0a        ctx.out = -1\0a    elif ctx.a == 0:\0a        ctx.out = 0\0a    else:\0a        ctx.out = 1\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__i32", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "a", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "out", offset: 32, size: 32, tag: DW_TAG_member)
# !N = !{ !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Args", size: 64, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 11, linkageName: "branch", name: "branch", retainedNodes: !N, scope: !N, scopeLine: 11, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 11, scope: !N)
# !N = !DILocation(column: 5, line: 12, scope: !N)
# !N = !DILocation(column: 9, line: 13, scope: !N)
# !N = !DILocation(column: 5, line: 14, scope: !N)
# !N = !DILocation(column: 9, line: 15, scope: !N)
# !N = !DILocation(column: 9, line: 17, scope: !N)
# !N = !DILocation(column: 5, line: 18, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
