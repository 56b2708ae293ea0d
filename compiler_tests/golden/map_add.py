from ebpfpy import bpf_program, HashMap, u32, u64

counts = HashMap(u32, u64, max_entries=16)


@bpf_program("xdp")
def count(ctx) -> int:
    counts[1] += 2
    return 2
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "map_add.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# @"counts" = global {ptr, ptr, ptr, ptr} zeroinitializer, section ".maps", align 8, !dbg !N
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define i32 @"count"(ptr %"ctx") nounwind section "xdp" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.static", ptr %"ctx.1", !dbg !N
#   %"obj" = alloca i32, align 8, !dbg !N
#   %"obj.1" = alloca i64, align 8, !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   call void @"llvm.lifetime.start.p0"(ptr %"obj"), !dbg !N
#   store i32 1, ptr %"obj", !dbg !N
#   %"helper" = inttoptr i64 1 to ptr ({ptr, ptr, ptr, ptr}*, ptr)* , !dbg !N
#   %".1" = call ptr %"helper"({ptr, ptr, ptr, ptr}* @"counts", ptr %"obj"), !dbg !N
#   %".2" = icmp eq ptr %".1", null , !dbg !N
#   br i1 %".2", label %"map.absent", label %"map.rmw", !dbg !N, !prof !N
# map.absent:
#   call void @"llvm.lifetime.start.p0"(ptr %"obj.1"), !dbg !N
#   store i64 2, ptr %"obj.1", !dbg !N
#   %"helper.1" = inttoptr i64 2 to i64 ({ptr, ptr, ptr, ptr}*, ptr, ptr, i64)* , !dbg !N
#   %".3" = call i64 %"helper.1"({ptr, ptr, ptr, ptr}* @"counts", ptr %"obj", ptr %"obj.1", i64 1), !dbg !N
#   %".4" = icmp ne i64 %".3", 0 , !dbg !N
#   br i1 %".4", label %"map.raced", label %"map.done", !dbg !N
# map.raced:
#   %"helper.2" = inttoptr i64 1 to ptr ({ptr, ptr, ptr, ptr}*, ptr)* , !dbg !N
#   %".5" = call ptr %"helper.2"({ptr, ptr, ptr, ptr}* @"counts", ptr %"obj"), !dbg !N
#   %".6" = icmp ne ptr %".5", null , !dbg !N
#   br i1 %".6", label %"map.rmw", label %"map.done", !dbg !N
# map.rmw:
#   %"value" = phi  ptr [%".1", %"body"], [%".5", %"map.raced"] , !dbg !N
#   %".7" = atomicrmw add ptr %"value", i64 2 monotonic , !dbg !N
#   br label %"map.done", !dbg !N
# map.done:
#   call void @"llvm.lifetime.end.p0"(ptr %"obj"), !dbg !N
#   call void @"llvm.lifetime.end.p0"(ptr %"obj.1"), !dbg !N
#   %"trunc" = trunc i64 2 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".8" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".8", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".9")
#
# declare void @"llvm.lifetime.start.p0"(ptr %".9")
#
# declare void @"llvm.lifetime.end.p0"(ptr %".9")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "map_add.py", source: "from ebpfpy import bpf_program, HashMap, u32, u64\0a\0acounts = HashMap(u32, u64, max_entries=16)\0a\0a\0a@bpf_program(\22xdp\22)\0adef count(ctx) -> int:\0a    counts[1] += 2\0a    return 2\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, globals: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !DISubrange(count: 1)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 32, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned long long", size: 64)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u64", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DISubrange(count: 16)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 512, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "type", offset: 0, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "key", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "value", offset: 128, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "max_entries", offset: 192, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N, !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, size: 256, tag: DW_TAG_structure_type)
# !N = distinct !DIGlobalVariable(file: !N, isDefinition: true, isLocal: false, line: 3, name: "counts", scope: !N, type: !N)
# !N = !DIExpression()
# !N = !DIGlobalVariableExpression(expr: !N, var: !N)
# !N = !DICompositeType(file: !N, flags: DIFlagFwdDecl, name: "xdp_md", tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 7, linkageName: "count", name: "count", retainedNodes: !N, scope: !N, scopeLine: 7, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 7, scope: !N)
# !N = !DILocation(column: 5, line: 8, scope: !N)
# !N = !{ !"branch_weights", i32 1, i32 99 }
# !N = !DILocation(column: 5, line: 9, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
# !N = !{ !N }
