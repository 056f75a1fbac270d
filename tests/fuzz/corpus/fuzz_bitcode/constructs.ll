target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"
module asm ".globl sneaky"
%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }
%struct.s = type { i64, i64, i64 }
@.name = private constant [6 x i8] c"hello\00"
@.ver = private constant [6 x i8] c"1.0.0\00"
@.compat = private constant [9 x i8] c"ns16550a\00"
@match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compat }, %struct.xdrv_match zeroinitializer]
@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr null, ptr @probe, ptr @remove, [8 x ptr] zeroinitializer }
@jiffies = external global i64
@t = internal thread_local global i32 0
@slot = internal global ptr @handler
declare i32 @printf(ptr, ...)
declare void @llvm.x86.sse2.pause()
declare void @xdrv_log(i32, ptr)
define internal i32 @probe(ptr %d) {
  call void asm sideeffect "outb %al, %dx", ""()
  call void @llvm.x86.sse2.pause()
  %r = call i32 (ptr, ...) @printf(ptr @.name, i32 1)
  %v = load i64, ptr @jiffies
  call void @xdrv_log(i32 3, ptr @.name)
  ret i32 0
}
define internal void @remove(ptr %d) {
  %x = alloca x86_fp80
  ret void
}
define internal void @handler({ i32, i32 } %v) {
  ret void
}
define void @ext(ptr byval(%struct.s) %p) {
  ret void
}
define internal void @logf(ptr %fmt, ...) {
  %ap = alloca ptr
  call void @llvm.va_start(ptr %ap)
  %v = va_arg ptr %ap, i32
  call void @llvm.va_end(ptr %ap)
  ret void
}
define internal void @cb(ptr %fp) {
  %r = call { i64, i64 } %fp()
  ret void
}
