from ebpfpy import bpf_program, struct, Array, u16, u32


@struct
class Point:
    x: u16
    y: u32


points = Array(Point, 4)


@bpf_program("syscall")
def store(ctx) -> int:
    p = Point(x=1)
    p.y = 7
    points[2] = p
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "struct_store.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Point" = type {i16, i32}
# @"points" = global {ptr, ptr, ptr, ptr} zeroinitializer, section ".maps", align 8, !dbg !N
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Point") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"store"(ptr %"ctx") nounwind section "syscall" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.static", ptr %"ctx.1", !dbg !N
#   %"obj" = alloca %"struct.Point", align 8, !dbg !N
#   %"p" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"p", !dbg !N
#   %"obj.1" = alloca i32, align 8, !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   call void @"llvm.memset.p0.i64"(ptr %"obj", i8 0, i64 8, i1 0), !dbg !N
#   %".1" = getelementptr inbounds %"struct.Point", ptr %"obj", i32 0, i32 0 , !dbg !N
#   store i16 1, ptr %".1", !dbg !N
#   store ptr %"obj", ptr %"p", !dbg !N
#   %"y" = getelementptr inbounds %"struct.Point", ptr %"obj", i32 0, i32 1 , !dbg !N
#   store i32 7, ptr %"y", !dbg !N
#   call void @"llvm.lifetime.start.p0"(ptr %"obj.1"), !dbg !N
#   store i32 2, ptr %"obj.1", !dbg !N
#   %"helper" = inttoptr i64 2 to i64 ({ptr, ptr, ptr, ptr}*, ptr, ptr, i64)* , !dbg !N
#   %".2" = call i64 %"helper"({ptr, ptr, ptr, ptr}* @"points", ptr %"obj.1", ptr %"obj", i64 0), !dbg !N
#   call void @"llvm.lifetime.end.p0"(ptr %"obj.1"), !dbg !N
#   %"trunc" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".3" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".3", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".4")
#
# declare void @"llvm.memset.p0.i64"(ptr %".4", i8 %".5", i64 %".6", i1 %".7")
#
# declare void @"llvm.lifetime.start.p0"(ptr %".4")
#
# declare void @"llvm.lifetime.end.p0"(ptr %".4")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "struct_store.py", source: "from ebpfpy import bpf_program, struct, Array, u16, u32\0a\0a\0a@struct\0aclass Point:\0a    x: u16\0a    y: u32\0a\0a\0apoints = Array(Point, 4)\0a\0a\0a@bpf_program(\22syscall\22)\0adef store(ctx) -> int:\0a    p = Point(x=1)\0a    p.y = 7\0a    points[2] = p\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, globals: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !DISubrange(count: 2)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 64, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned short", size: 16)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u16", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "x", offset: 0, size: 16, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "y", offset: 32, size: 32, tag: DW_TAG_member)
# !N = !{ !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Point", size: 64, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DISubrange(count: 4)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 128, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "type", offset: 0, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "key", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "value", offset: 128, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "max_entries", offset: 192, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N, !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, size: 256, tag: DW_TAG_structure_type)
# !N = distinct !DIGlobalVariable(file: !N, isDefinition: true, isLocal: false, line: 10, name: "points", scope: !N, type: !N)
# !N = !DIExpression()
# !N = !DIGlobalVariableExpression(expr: !N, var: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DICompositeType(file: !N, flags: DIFlagFwdDecl, name: "bpf_ctx", tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 14, linkageName: "store", name: "store", retainedNodes: !N, scope: !N, scopeLine: 14, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 14, scope: !N)
# !N = !DILocation(column: 5, line: 15, scope: !N)
# !N = !DILocation(column: 5, line: 16, scope: !N)
# !N = !DILocation(column: 5, line: 17, scope: !N)
# !N = !DILocation(column: 5, line: 18, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Point", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
# !N = !{ !N }
