from ebpfpy import bpf_program, struct, u8, u32, i16


@struct
class Args:
    x: u32
    s: i16
    n: u8


@bpf_program("syscall")
def shifts(ctx: Args) -> int:
    ctx.x = ctx.x << ctx.n
    ctx.s = ctx.s >> ctx.n
    ctx.x = ctx.x >> 31
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "shifts.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Args" = type {i32, i16, i8}
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Args") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"shifts"(ptr %"ctx") nounwind section "syscall" !dbg !N
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
#   %"x" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".7" = load i32, ptr %"x", !dbg !N
#   %"n" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 2 , !dbg !N
#   %".8" = load i8, ptr %"n", !dbg !N
#   %"zext" = zext i8 %".8" to i32 , !dbg !N
#   %"shcount" = and i32 %"zext", 31, !dbg !N
#   %"shl" = shl i32 %".7", %"shcount", !dbg !N
#   store i32 %"shl", ptr %"x", !dbg !N
#   %"s" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   %".9" = load i16, ptr %"s", !dbg !N
#   %".10" = load i8, ptr %"n", !dbg !N
#   %"zext.1" = zext i8 %".10" to i16 , !dbg !N
#   %"shcount.1" = and i16 %"zext.1", 15, !dbg !N
#   %"sar" = ashr i16 %".9", %"shcount.1", !dbg !N
#   store i16 %"sar", ptr %"s", !dbg !N
#   %".11" = load i32, ptr %"x", !dbg !N
#   %"trunc" = trunc i64 31 to i32 , !dbg !N
#   %"shr" = lshr i32 %".11", %"trunc", !dbg !N
#   store i32 %"shr", ptr %"x", !dbg !N
#   %"trunc.1" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc.1", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".12" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   %".13" = load i32, ptr %".12", !dbg !N
#   %".14" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   store i32 %".13", ptr %".14", !dbg !N
#   %".15" = getelementptr i8, ptr %"ctx.stack", i64 4 , !dbg !N
#   %".16" = load i32, ptr %".15", !dbg !N
#   %".17" = getelementptr i8, ptr %"ctx.static", i64 4 , !dbg !N
#   store i32 %".16", ptr %".17", !dbg !N
#   %".18" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".18", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".19")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "shifts.py", source: "from ebpfpy import bpf_program, struct, u8, u32, i16\0a\0a\0a@struct\0aclass Args:\0a    x: u32\0a    s: i16\0a    n: u8\0a\0a\0a@bpf_program(\22syscall\22)\0adef shifts(ctx: Args) -> int:\0a    ctx.x = ctx.x << ctx.n\0a    ctx.s = ctx.s >> ctx.n\0a    ctx.x = ctx.x >> 31\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "short", size: 16)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__i16", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned char", size: 8)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u8", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "x", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "s", offset: 32, size: 16, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "n", offset: 48, size: 8, tag: DW_TAG_member)
# !N = !{ !N, !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Args", size: 64, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 12, linkageName: "shifts", name: "shifts", retainedNodes: !N, scope: !N, scopeLine: 12, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 12, scope: !N)
# !N = !DILocation(column: 5, line: 13, scope: !N)
# !N = !DILocation(column: 5, line: 14, scope: !N)
# !N = !DILocation(column: 5, line: 15, scope: !N)
# !N = !DILocation(column: 5, line: 16, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
