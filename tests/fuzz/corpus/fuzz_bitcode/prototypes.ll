target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"
%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }
@.name = private constant [6 x i8] c"hello\00"
@.ver = private constant [6 x i8] c"1.0.0\00"
@.compat = private constant [9 x i8] c"ns16550a\00"
@match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compat }, %struct.xdrv_match zeroinitializer]
@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr null, ptr @probe, ptr @remove, [8 x ptr] zeroinitializer }
declare void @xdrv_log(double, double)
declare ptr @memcpy(ptr, ptr)
declare zeroext i8 @xdrv_io_read8(ptr noundef, i64 noundef)
declare void @xdrv_io_write8(ptr, i64, i8 zeroext)
declare i64 @xdrv_time_ns(...)
define internal i32 @probe(ptr %d) {
  call void @xdrv_log(double 1.0, double 2.0)
  call void @xdrv_log(i32 3, ptr @.name)
  %p = call ptr @memcpy(ptr %d, ptr @.name)
  %v = call i8 @xdrv_io_read8(ptr %d, i64 0)
  %w = call zeroext i8 @xdrv_io_read8(ptr %d, i64 1)
  call void @xdrv_io_write8(ptr %d, i64 2, i8 signext %v)
  call void @xdrv_io_write8(ptr %d, i64 3, i32 7)
  %t = call i64 (...) @xdrv_time_ns(i32 1)
  ret i32 0
}
define internal void @remove(ptr %d) {
  ret void
}
