from ebpfpy import bpf_program, HashMap, u32, u64

values = HashMap(u32, u64, max_entries=8)


@bpf_program("xdp")
def look(ctx) -> int:
    r = values.lookup(3)
    if r is None:
        return 1
    r.value = r.value | 4
    return 2
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "lookup.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# @"values" = global {ptr, ptr, ptr, ptr} zeroinitializer, section ".maps", align 8, !dbg !N
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define i32 @"look"(ptr %"ctx") nounwind section "xdp" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.static", ptr %"ctx.1", !dbg !N
#   %"obj" = alloca i32, align 8, !dbg !N
#   %"r" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"r", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   call void @"llvm.lifetime.start.p0"(ptr %"obj"), !dbg !N
#   store i32 3, ptr %"obj", !dbg !N
#   %"helper" = inttoptr i64 1 to ptr ({ptr, ptr, ptr, ptr}*, ptr)* , !dbg !N
#   %".1" = call ptr %"helper"({ptr, ptr, ptr, ptr}* @"values", ptr %"obj"), !dbg !N
#   store ptr %".1", ptr %"r", !dbg !N
#   call void @"llvm.lifetime.end.p0"(ptr %"obj"), !dbg !N
#   %"isnone" = icmp eq ptr %".1", null , !dbg !N
#   br i1 %"isnone", label %"if.then", label %"if.end", !dbg !N, !prof !N
# if.then:
#   %"trunc" = trunc i64 1 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# if.end:
#   %"r.1" = load ptr, ptr %"r", !dbg !N
#   %".2" = load i64, ptr %"r.1", !dbg !N
#   %"or" = or i64 %".2", 4, !dbg !N
#   store i64 %"or", ptr %"r.1", !dbg !N
#   %"trunc.1" = trunc i64 2 to i32 , !dbg !N
#   store i32 %"trunc.1", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".3" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".3", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".4")
#
# declare void @"llvm.lifetime.start.p0"(ptr %".4")
#
# declare void @"llvm.lifetime.end.p0"(ptr %".4")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "lookup.py", source: "from ebpfpy import bpf_program, HashMap, u32, u64\0a\0avalues = HashMap(u32, u64, max_entries=8)\0a\0a\0a@bpf_program(\22xdp\22)\0adef look(ctx) -> int:\0a    r = values.lookup(3)\0a    if r is None:\0a        return 1\0a    r.value = r.value | 4\0a    return 2\0a")
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
# !N = !DISubrange(count: 8)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 256, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "type", offset: 0, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "key", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "value", offset: 128, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "max_entries", offset: 192, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N, !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, size: 256, tag: DW_TAG_structure_type)
# !N = distinct !DIGlobalVariable(file: !N, isDefinition: true, isLocal: false, line: 3, name: "values", scope: !N, type: !N)
# !N = !DIExpression()
# !N = !DIGlobalVariableExpression(expr: !N, var: !N)
# !N = !DICompositeType(file: !N, flags: DIFlagFwdDecl, name: "xdp_md", tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 7, linkageName: "look", name: "look", retainedNodes: !N, scope: !N, scopeLine: 7, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 7, scope: !N)
# !N = !DILocation(column: 5, line: 8, scope: !N)
# !N = !DILocation(column: 5, line: 9, scope: !N)
# !N = !{ !"branch_weights", i32 1, i32 99 }
# !N = !DILocation(column: 9, line: 10, scope: !N)
# !N = !DILocation(column: 5, line: 11, scope: !N)
# !N = !DILocation(column: 5, line: 12, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
# !N = !{ !N }
