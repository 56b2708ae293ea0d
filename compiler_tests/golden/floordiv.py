from ebpfpy import bpf_program, struct, i32


@struct
class Args:
    a: i32
    b: i32
    q: i32
    r: i32


@bpf_program("syscall")
def divide(ctx: Args) -> int:
    ctx.q = ctx.a // ctx.b
    ctx.r = ctx.a % ctx.b
    return 0
# ---- expected IR (normalised; pytest --update-golden rewrites it) ----
# ; ModuleID = "floordiv.py"
# target triple = "bpfel"
# target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
#
# %"struct.Args" = type {i32, i32, i32, i32}
# @"LICENSE" = global [4 x i8] c"GPL\00", section "license", align 1
# define internal void @"__ebpfpy_types_0"(ptr %"struct__Args") noinline nounwind optnone !dbg !N
# {
# entry:
#   ret void, !dbg !N
# }
#
# @"llvm.compiler.used" = appending global [1 x ptr] [void (ptr)* @"__ebpfpy_types_0"], section "llvm.metadata"
# define i32 @"divide"(ptr %"ctx") nounwind section "syscall" !dbg !N
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
#   %".10" = getelementptr i8, ptr %"ctx.static", i64 12 , !dbg !N
#   %".11" = load i32, ptr %".10", !dbg !N
#   %".12" = getelementptr i8, ptr %"ctx.stack", i64 12 , !dbg !N
#   store i32 %".11", ptr %".12", !dbg !N
#   %"ctx.1" = alloca ptr, align 8, !dbg !N
#   store ptr null, ptr %"ctx.1", !dbg !N
#   store ptr %"ctx.stack", ptr %"ctx.1", !dbg !N
#   %"retval" = alloca i32, align 8, !dbg !N
#   br label %"body", !dbg !N
# body:
#   %"a" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 0 , !dbg !N
#   %".13" = load i32, ptr %"a", !dbg !N
#   %"b" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 1 , !dbg !N
#   %".14" = load i32, ptr %"b", !dbg !N
#   %".15" = call i32 asm  "", "=r,0"(i32 0), !dbg !N
#   %"divisor" = or i32 %".14", %".15", !dbg !N
#   %"divzero" = icmp eq i32 %"divisor", 0 , !dbg !N
#   %"xneg" = icmp slt i32 %".13", 0 , !dbg !N
#   %"yneg" = icmp slt i32 %"divisor", 0 , !dbg !N
#   %".16" = sub i32 0, %".13", !dbg !N
#   %"absx" = select  i1 %"xneg", i32 %".16", i32 %".13" , !dbg !N
#   %".17" = sub i32 0, %"divisor", !dbg !N
#   %"absy" = select  i1 %"yneg", i32 %".17", i32 %"divisor" , !dbg !N
#   %"safediv" = select  i1 %"divzero", i32 1, i32 %"absy" , !dbg !N
#   %"uquot" = udiv i32 %"absx", %"safediv", !dbg !N
#   %"urem" = urem i32 %"absx", %"safediv", !dbg !N
#   %"signsdiffer" = xor i1 %"xneg", %"yneg", !dbg !N
#   %".18" = sub i32 0, %"uquot", !dbg !N
#   %"tquot" = select  i1 %"signsdiffer", i32 %".18", i32 %"uquot" , !dbg !N
#   %".19" = sub i32 0, %"urem", !dbg !N
#   %"trem" = select  i1 %"xneg", i32 %".19", i32 %"urem" , !dbg !N
#   %".20" = icmp ne i32 %"trem", 0 , !dbg !N
#   %"floor" = and i1 %"signsdiffer", %".20", !dbg !N
#   %".21" = sub i32 %"tquot", 1, !dbg !N
#   %"fquot" = select  i1 %"floor", i32 %".21", i32 %"tquot" , !dbg !N
#   %".22" = add i32 %"trem", %"divisor", !dbg !N
#   %"frem" = select  i1 %"floor", i32 %".22", i32 %"trem" , !dbg !N
#   %"quot" = select  i1 %"divzero", i32 0, i32 %"fquot" , !dbg !N
#   %"rem" = select  i1 %"divzero", i32 %".13", i32 %"frem" , !dbg !N
#   %"q" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 2 , !dbg !N
#   store i32 %"quot", ptr %"q", !dbg !N
#   %".23" = load i32, ptr %"a", !dbg !N
#   %".24" = load i32, ptr %"b", !dbg !N
#   %".25" = call i32 asm  "", "=r,0"(i32 0), !dbg !N
#   %"divisor.1" = or i32 %".24", %".25", !dbg !N
#   %"divzero.1" = icmp eq i32 %"divisor.1", 0 , !dbg !N
#   %"xneg.1" = icmp slt i32 %".23", 0 , !dbg !N
#   %"yneg.1" = icmp slt i32 %"divisor.1", 0 , !dbg !N
#   %".26" = sub i32 0, %".23", !dbg !N
#   %"absx.1" = select  i1 %"xneg.1", i32 %".26", i32 %".23" , !dbg !N
#   %".27" = sub i32 0, %"divisor.1", !dbg !N
#   %"absy.1" = select  i1 %"yneg.1", i32 %".27", i32 %"divisor.1" , !dbg !N
#   %"safediv.1" = select  i1 %"divzero.1", i32 1, i32 %"absy.1" , !dbg !N
#   %"uquot.1" = udiv i32 %"absx.1", %"safediv.1", !dbg !N
#   %"urem.1" = urem i32 %"absx.1", %"safediv.1", !dbg !N
#   %"signsdiffer.1" = xor i1 %"xneg.1", %"yneg.1", !dbg !N
#   %".28" = sub i32 0, %"uquot.1", !dbg !N
#   %"tquot.1" = select  i1 %"signsdiffer.1", i32 %".28", i32 %"uquot.1" , !dbg !N
#   %".29" = sub i32 0, %"urem.1", !dbg !N
#   %"trem.1" = select  i1 %"xneg.1", i32 %".29", i32 %"urem.1" , !dbg !N
#   %".30" = icmp ne i32 %"trem.1", 0 , !dbg !N
#   %"floor.1" = and i1 %"signsdiffer.1", %".30", !dbg !N
#   %".31" = sub i32 %"tquot.1", 1, !dbg !N
#   %"fquot.1" = select  i1 %"floor.1", i32 %".31", i32 %"tquot.1" , !dbg !N
#   %".32" = add i32 %"trem.1", %"divisor.1", !dbg !N
#   %"frem.1" = select  i1 %"floor.1", i32 %".32", i32 %"trem.1" , !dbg !N
#   %"quot.1" = select  i1 %"divzero.1", i32 0, i32 %"fquot.1" , !dbg !N
#   %"rem.1" = select  i1 %"divzero.1", i32 %".23", i32 %"frem.1" , !dbg !N
#   %"r" = getelementptr inbounds %"struct.Args", ptr %"ctx.stack", i32 0, i32 3 , !dbg !N
#   store i32 %"rem.1", ptr %"r", !dbg !N
#   %"trunc" = trunc i64 0 to i32 , !dbg !N
#   store i32 %"trunc", ptr %"retval", !dbg !N
#   br label %"return", !dbg !N
# return:
#   %".33" = getelementptr i8, ptr %"ctx.stack", i64 0 , !dbg !N
#   %".34" = load i32, ptr %".33", !dbg !N
#   %".35" = getelementptr i8, ptr %"ctx.static", i64 0 , !dbg !N
#   store i32 %".34", ptr %".35", !dbg !N
#   %".36" = getelementptr i8, ptr %"ctx.stack", i64 4 , !dbg !N
#   %".37" = load i32, ptr %".36", !dbg !N
#   %".38" = getelementptr i8, ptr %"ctx.static", i64 4 , !dbg !N
#   store i32 %".37", ptr %".38", !dbg !N
#   %".39" = getelementptr i8, ptr %"ctx.stack", i64 8 , !dbg !N
#   %".40" = load i32, ptr %".39", !dbg !N
#   %".41" = getelementptr i8, ptr %"ctx.static", i64 8 , !dbg !N
#   store i32 %".40", ptr %".41", !dbg !N
#   %".42" = getelementptr i8, ptr %"ctx.stack", i64 12 , !dbg !N
#   %".43" = load i32, ptr %".42", !dbg !N
#   %".44" = getelementptr i8, ptr %"ctx.static", i64 12 , !dbg !N
#   store i32 %".43", ptr %".44", !dbg !N
#   %".45" = load i32, ptr %"retval", !dbg !N
#   ret i32 %".45", !dbg !N
# }
#
# declare ptr @"llvm.preserve.static.offset"(ptr %".46")
#
# !llvm.dbg.cu = !{ !N }
# !llvm.module.flags = !{ !N, !N }
# !N = !DIFile(directory: "", filename: "floordiv.py", source: "from ebpfpy import bpf_program, struct, i32\0a\0a\0a@struct\0aclass Args:\0a    a: i32\0a    b: i32\0a    q: i32\0a    r: i32\0a\0a\0a@bpf_program(\22syscall\22)\0adef divide(ctx: Args) -> int:\0a    ctx.q = ctx.a // ctx.b\0a    ctx.r = ctx.a % ctx.b\0a    return 0\0a")
# !N = distinct !DICompileUnit(emissionKind: FullDebug, file: !N, isOptimized: true, language: DW_LANG_C99, producer: "ebpfpy", runtimeVersion: 0)
# !N = !{ i32 7, !"Dwarf Version", i32 5 }
# !N = !{ i32 2, !"Debug Info Version", i32 3 }
# !N = !DIBasicType(encoding: DW_ATE_signed, name: "int", size: 32)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "__i32", tag: DW_TAG_typedef)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "a", offset: 0, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "b", offset: 32, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "q", offset: 64, size: 32, tag: DW_TAG_member)
# !N = !DIDerivedType(baseType: !N, file: !N, name: "r", offset: 96, size: 32, tag: DW_TAG_member)
# !N = !{ !N, !N, !N, !N }
# !N = !DICompositeType(elements: !N, file: !N, name: "Args", size: 128, tag: DW_TAG_structure_type)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ null, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: true, isOptimized: true, line: 1, linkageName: "__ebpfpy_types_0", name: "__ebpfpy_types_0", retainedNodes: !N, scope: !N, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized | DISPFlagLocalToUnit, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 1, scope: !N)
# !N = !DIDerivedType(baseType: !N, size: 64, tag: DW_TAG_pointer_type)
# !N = !{ !N, !N }
# !N = !DISubroutineType(types: !N)
# !N = distinct !DISubprogram(file: !N, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, isDefinition: true, isLocal: false, isOptimized: true, line: 13, linkageName: "divide", name: "divide", retainedNodes: !N, scope: !N, scopeLine: 13, spFlags: DISPFlagDefinition | DISPFlagOptimized, type: !N, unit: !N)
# !N = !DILocation(column: 1, line: 13, scope: !N)
# !N = !DILocation(column: 5, line: 14, scope: !N)
# !N = !DILocation(column: 5, line: 15, scope: !N)
# !N = !DILocation(column: 5, line: 16, scope: !N)
# !N = !DILocalVariable(arg: 1, file: !N, name: "struct__Args", scope: !N, type: !N)
# !N = !{ !N }
# !N = !DILocalVariable(arg: 1, file: !N, name: "ctx", scope: !N, type: !N)
# !N = !{ !N }
