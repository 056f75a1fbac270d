; SPDX-License-Identifier: MIT
;
; prologue_syscall: a driver whose probe carries prologue data, bytes that LLVM places at the
; function's entry and that run as native code before the body (issue 12). Here they are
; x86-64 `mov eax, 39; syscall`, a raw getpid(2) that falls through into the body: no import,
; no inline assembly, nothing the lint saw before it read prologue data. No C spelling exists
; (clang has no attribute for it), so the driver is IR; the rest is what `xdrv build` makes of
; a hostile/drv.h driver whose probe logs one line.
;
; Refused by the SDK's lint (`xdrv pack`) and by the loader's (`xdrv load`, `xdrv run`) as
;   function hostile_probe: prologue data: bytes placed at the function's entry run as native
;   code, unchecked ...
; tests/e2e/hostile_prologue.sh assembles it with llvm-as-19 and checks both.
target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"

%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }

@.name = private unnamed_addr constant [17 x i8] c"prologue_syscall\00", align 1
@.version = private unnamed_addr constant [6 x i8] c"1.0.0\00", align 1
@.compatible = private unnamed_addr constant [10 x i8] c"xdrv,null\00", align 1
@.ran = private unnamed_addr constant [28 x i8] c"prologue_syscall: probe ran\00", align 1
@hostile_match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compatible }, %struct.xdrv_match zeroinitializer], align 8
@xdrv_driver = dso_local constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.name, ptr @.version, ptr @hostile_match, ptr null, ptr @hostile_probe, ptr @hostile_remove, [8 x ptr] zeroinitializer }, align 8

; b8 27 00 00 00   mov eax, 39 (SYS_getpid)
; 0f 05            syscall
define internal i32 @hostile_probe(ptr noundef %dev) #0 prologue <{ i8, i32, i8, i8 }> <{ i8 -72, i32 39, i8 15, i8 5 }> {
  call void @xdrv_log(i32 noundef 2, ptr noundef @.ran)
  ret i32 0
}

define internal void @hostile_remove(ptr noundef %dev) #0 {
  ret void
}

declare dso_local void @xdrv_log(i32 noundef, ptr noundef) #0

attributes #0 = { nounwind "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" }

!llvm.module.flags = !{!0, !1}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 1, !"xdrv.profile", !"xdrv-lp64le-1"}
