target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"
%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }
@.name = private constant [6 x i8] c"hello\00"
@.ver = private constant [6 x i8] c"1.0.0\00"
@.compat = private constant [9 x i8] c"ns16550a\00"
@match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.compat }, %struct.xdrv_match zeroinitializer]
@xdrv_driver = constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.name, ptr @.ver, ptr @match, ptr null, ptr @probe, ptr @remove, [8 x ptr] zeroinitializer }
declare double @llvm.canonicalize.f64(double)
declare {i128, i1} @llvm.smul.with.overflow.i128(i128, i128)
declare i128 @llvm.fptosi.sat.i128.f64(double)
define internal i32 @probe(ptr %d) {
  %a = ptrtoint ptr %d to i128
  %q = udiv i128 %a, 3
  %r = srem <2 x i128> <i128 1, i128 2>, <i128 3, i128 4>
  %f = uitofp i128 %q to double
  %g = fptosi float 1.0 to i256
  %m = frem double %f, 2.0
  %c = call double @llvm.canonicalize.f64(double %m)
  %o = call {i128, i1} @llvm.smul.with.overflow.i128(i128 %a, i128 %q)
  %s = call i128 @llvm.fptosi.sat.i128.f64(double %c)
  %x = atomicrmw add ptr %d, i128 %s seq_cst, align 16
  %y = load atomic i64, ptr %d acquire, align 4
  %h = fptrunc double %m to half
  %z = cmpxchg ptr %d, i256 0, i256 1 seq_cst seq_cst, align 32
  ret i32 0
}
define internal void @remove(ptr %d) {
  ret void
}
