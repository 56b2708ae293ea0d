from ebpfpy import bpf_program, struct, RingBuf, u32


@struct
class Event:
    n: u32


events = RingBuf(4096, event=Event)


@bpf_program("syscall")
def main(ctx) -> int:
    rec = events.reserve()
    if rec is None:
        return 1
    rec.n = 7
    events.submit(rec)
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "reserve_submit.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Event" = type {i32}
# @"events" = global {ptr, ptr} zeroinitializer, section ".maps", align 8, !dbg !N
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"event__events", ptr %"struct__Event") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr, ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"main"(ptr %"ctx") nounwind section "syscall" !dbg !N
# {
# entry:
#   %"ctx.static" = call ptr @"llvm.preserve.static.offset"(ptr %"ctx"), !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.static", ptr %"ctx.1", !dbg !N
#   %"rec" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"rec", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"helper" = inttoptr i64 131 to ptr ({ptr, ptr}*, i64, i64)* , !dbg !N
#   %".1" = call ptr %"helper"({ptr, ptr}* @"events", i64 4, i64 0), !dbg !N
#   %"reserved" = icmp ne ptr %".1", null , !dbg !N
#   br i1 %"reserved", label %"body.if", label %"body.endif", !dbg !N
# body.if:
#   store %"struct.Event" zeroinitializer, ptr %".1", !dbg !N
#   br label %"body.endif", !dbg !N
# body.endif:
#   store ptr %".1", ptr %"rec", !dbg !N
#   %"isnone" = icmp eq ptr %".1", null , !dbg !N
#   br i1 %"isnone", label %"if.then", label %"if.end", !dbg !N, !prof !N
# if.then:
#   %"trunc" = trunc i64 1 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# if.end:
#   %"rec.1" = load ptr, ptr %"rec", !dbg !N
#   %"n" = getelementptr inbounds %"struct.Event", ptr %"rec.1", i32 0, i32 0 , !dbg !N
#   store i32 7, ptr %"n", !dbg !N
#   %"helper.1" = inttoptr i64 132 to void (ptr, i64)* , !dbg !N
#   call void %"helper.1"(ptr %"rec.1", i64 0), !dbg !N
#   %"trunc.1" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc.1", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".2" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".2", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".3")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "reserve_submit.py", source: "from ebpfpy import bpf_program, struct, RingBuf, u32\0a\0a\0a@struct\0aclass Event:\0a    n: u32\0a\0a\0aevents = RingBuf(4096, event=Event)\0a\0a\0a@bpf_program(\22syscall\22)\0adef main(ctx) -> int:\0a    rec = events.reserve()\0a    if rec is None:\0a        return 1\0a    rec.n = 7\0a    events.submit(rec)\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, globals: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !DISubrange(count: 27)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 864, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DISubrange(count: 4096)
# !N = !{ !N }
# !N = !DICompositeType(baseType: !N, elements: !N, size: 131072, tag: DW_TAG_array_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "type", offset: 0, size: 64, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "max_entries", offset: 64, size: 64, tag: DW_TAG_member)
# !N = !{ !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, size: 128, tag: DW_TAG_structure_type)
# !N = distinct !DIGlobalVariable(file: !N, isDefinition: true, isLocal: false, line: 9, name: "events", scope: !N, type: !N)
# !N = !DIExpression()
# !N = !DIGlobalVariableExpression(expr: !N, var: !N)
# !N = !DIBasicType(encoding: DW_ATE_unsigned, name: "unsigned int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__u32", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "n", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !{ !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Event", size: 32, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DICompositeType(file: !N, flags: DIFlagFwdDecl, name: "bpf_ctx", tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 13, linkageName: "main", name: "main", retainedNodes: !N, scope: !N, scopeLine: 13, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 13, scope: !N)
# !N = !DILocation(column: 5, line: 14, scope: !N)
# !N = !DILocation(column: 5, line: 15, scope: !N)
# !N = !{ !"branch_weights", i32 1, i32 99 }
# !N = !DILocation(column: 9, line: 16, scope: !N)
# !N = !DILocation(column: 5, line: 17, scope: !N)
# !N = !DILocation(column: 5, line: 18, scope: !N)
# !N = !DILocation(column: 5, line: 19, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "event__events", scope: !N, type: !N)
# !N = !DILocalVariable(arg: 2, file: !N, name: "struct__Event", scope: !N, type: !N)
# !N = !{ !N, !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
# !N = !{ !N }
