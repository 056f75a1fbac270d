target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"
%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_param = type { ptr, i32, i32, i64, i64, i64, ptr, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }
@.name = private constant [12 x i8] c"nic_dp83820\00"
@.ver = private constant [7 x i8] c"2.10.0\00"
@.pn = private constant [8 x i8] c"rx_ring\00"
@.pd = private constant [10 x i8] c"ring size\00"
@.sn = private constant [6 x i8] c"delta\00"
@xdrv_param_rx_ring = global i32 0
@xdrv_param_delta = global i32 0
@match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 1, i32 4107, i32 34, i32 131072, i32 16776960, i32 0, ptr null }, %struct.xdrv_match zeroinitializer]
@params = internal constant [3 x %struct.xdrv_param] [%struct.xdrv_param { ptr @.pn, i32 1, i32 0, i64 64, i64 16, i64 4096, ptr @xdrv_param_rx_ring, ptr @.pd }, %struct.xdrv_param { ptr @.sn, i32 3, i32 0, i64 -5, i64 -10, i64 10, ptr @xdrv_param_delta, ptr null }, %struct.xdrv_param zeroinitializer]
@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr @params, ptr @probe, ptr @remove, [8 x ptr] zeroinitializer }
define internal i32 @probe(ptr %d) {
  %v = load i32, ptr @xdrv_param_rx_ring
  ret i32 %v
}
define internal void @remove(ptr %d) {
  ret void
}
