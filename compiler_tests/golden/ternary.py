from ebpfpy import bpf_program, struct, u16, u32


@struct
class Args:
    a: u16
    b: u16
    c: u32
    o: u16


@bpf_program("syscall")
def pick(ctx: Args) -> int:
    ctx.o = ctx.a if ctx.c > 3 else ctx.b
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "ternary.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Args" = type {i16, i16, i32, i16}
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Args") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"pick"(ptr %"ctx") nounwind section "syscall" !dbg !N
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
#   %".7" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   %".8" = load i32, ptr %".7", !dbg !N
#   %".9" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   store i32 %".8", ptr %".9", !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.stack", ptr %"ctx.1", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"c" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 2 , !dbg !N
#   %".10" = load i32, ptr %"c", !dbg !N
#   %"zext" = zext i32 %".10" to i64 , !dbg !N
#   %"zext.1" = zext i32 3 to i64 , !dbg !N
#   %".11" = sub i64 %"zext.1", %"zext", !dbg !N
#   %"opaque" = call i64 asm  "", "=r,0"(i64 %".11"), !dbg !N
#   %".12" = lshr i64 %"opaque", 63, !dbg !N
#   %"a" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".13" = load i16, ptr %"a", !dbg !N
#   %"b" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   %".14" = load i16, ptr %"b", !dbg !N
#   %"trunc" = trunc i64 %".12" to i16 , !dbg !N
#   %".15" = sub i16 0, %"trunc", !dbg !N
#   %"opaque.1" = call i16 asm  "", "=r,0"(i16 %".15"), !dbg !N
#   %".16" = xor i16 %".13", %".14", !dbg !N
#   %".17" = and i16 %".16", %"opaque.1", !dbg !N
#   %"select" = xor i16 %".14", %".17", !dbg !N
#   %"o" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 3 , !dbg !N
#   store i16 %"select", ptr %"o", !dbg !N
#   %"trunc.1" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc.1", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".18" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   %".19" = load i32, ptr %".18", !dbg !N
#   %".20" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   store i32 %".19", ptr %".20", !dbg !N
#   %".21" = getelementptr i8, ptr %"ctx.stack", i64 4 , !dbg !N
#   %".22" = load i32, ptr %".21", !dbg !N
#   %".23" = getelementptr i8, ptr %"ctx.static", i64 4 , !dbg !N
#   store i32 %".22", ptr %".23", !dbg !N
#   %".24" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   %".25" = load i32, ptr %".24", !dbg !N
#   %".26" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   store i32 %".25", ptr %".26", !dbg !N
#   %".27" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".27", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".28")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "ternary.py", source: "from ebpfpy import bpf_program, struct, u16, u32\0a\0a\0a@struct\0aclass Args:\0a    a: u16\0a    b: u16\0a    c: u32\0a    o: u16\0a\0a\0a@bpf_program(\22syscall\22)\0adef pick(ctx: Args) -> int:\0a    ctx.o = ctx.a if ctx.c > 3 else ctx.b\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned short", size: 16)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u16", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "a", offset: 0, size: 16, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "b", offset: 16, size: 16, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "c", offset: 32, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "o", offset: 64, size: 16, tag: DW_TAG_member)
# !N = !{ !N, !N, !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Args", size: 96, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 13, linkageName: "pick", name: "pick", retainedNodes: !N, scope: !N, scopeLine: 13, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 13, scope: !N)
# !N = !DILocation(column: 5, line: 14, scope: !N)
# !N = !DILocation(column: 5, line: 15, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
