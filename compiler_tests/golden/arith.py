from ebpfpy import bpf_program, struct, u8, u32, i64


@struct
class Args:
    a: u32
    b: u8
    c: i64


@bpf_program("syscall")
def arith(ctx: Args) -> int:
    ctx.a = ctx.a * 3 + ctx.b - 255
    ctx.c = -ctx.c ^ ~ctx.c
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "arith.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Args" = type {i32, i8, i64}
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Args") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"arith"(ptr %"ctx") nounwind section "syscall" !dbg !N
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
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"a" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".7" = load i32, ptr %"a", !dbg !N
#   %"mul" = mul i32 %".7", 3, !dbg !N
#   %"b" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   %".8" = load i8, ptr %"b", !dbg !N
#   %"zext" = zext i8 %".8" to i32 , !dbg !N
#   %"add" = add i32 %"mul", %"zext", !dbg !N
#   %"sub" = sub i32 %"add", 255, !dbg !N
#   store i32 %"sub", ptr %"a", !dbg !N
#   %"c" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 2 , !dbg !N
#   %".9" = load i64, ptr %"c", !dbg !N
#   %"neg" = sub i64 0, %".9", !dbg !N
#   %".10" = load i64, ptr %"c", !dbg !N
#   %"inv" = xor i64 %".10", -1, !dbg !N
#   %"xor" = xor i64 %"neg", %"inv", !dbg !N
#   store i64 %"xor", ptr %"c", !dbg !N
#   %"trunc" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
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
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "arith.py", source: "from ebpfpy import bpf_program, struct, u8, u32, i64\0a\0a\0a@struct\0aclass Args:\0a    a: u32\0a    b: u8\0a    c: i64\0a\0a\0a@bpf_program(\22syscall\22)\0adef arith(ctx: Args) -> int:\0a    ctx.a = ctx.a * 3 + ctx.b - 255\0a    ctx.c = -ctx.c ^ ~ctx.c\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned char", size: 8)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u8", tag: DW_TAG_typedef)
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "long long", size: 64)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__i64", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "a", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "b", offset: 32, size: 8, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "c", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N, !N }
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
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 12, linkageName: "arith", name: "arith", retainedNodes: !N, scope: !N, scopeLine: 12, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 12, scope: !N)
# !N = !DILocation(column: 5, line: 13, scope: !N)
# !N = !DILocation(column: 5, line: 14, scope: !N)
# !N = !DILocation(column: 5, line: 15, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
