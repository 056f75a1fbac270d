; ModuleID = '/tmp/sdkprobe/run/hello.bc'
source_filename = "hello.c"
target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"

%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_param = type { ptr, i32, i32, i64, i64, i64, ptr, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }
%struct.hello_state = type { i32, i32, i64 }
%struct.xdrv_msg = type { [160 x i8], i32 }

@xdrv_param_greeting_count = dso_local global i32 1, align 4
@.str = private unnamed_addr constant [6 x i8] c"hello\00", align 1
@.str.1 = private unnamed_addr constant [6 x i8] c"1.0.0\00", align 1
@hello_match = internal constant [3 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.str.2 }, %struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.str.3 }, %struct.xdrv_match zeroinitializer], align 8
@hello_params = internal constant [2 x %struct.xdrv_param] [%struct.xdrv_param { ptr @.str.4, i32 1, i32 0, i64 1, i64 1, i64 8, ptr @xdrv_param_greeting_count, ptr @.str.5 }, %struct.xdrv_param zeroinitializer], align 8
@xdrv_driver = dso_local constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.str, ptr @.str.1, ptr @hello_match, ptr @hello_params, ptr @hello_probe, ptr @hello_remove, [8 x ptr] zeroinitializer }, align 8
@.str.2 = private unnamed_addr constant [10 x i8] c"xdrv,null\00", align 1
@.str.3 = private unnamed_addr constant [11 x i8] c"xdrv,hello\00", align 1
@.str.4 = private unnamed_addr constant [15 x i8] c"greeting_count\00", align 1
@.str.5 = private unnamed_addr constant [28 x i8] c"how many times probe greets\00", align 1
@.str.6 = private unnamed_addr constant [21 x i8] c"hello: out of memory\00", align 1
@.str.7 = private unnamed_addr constant [38 x i8] c"hello from a JIT-compiled xdrv driver\00", align 1
@.str.8 = private unnamed_addr constant [3 x i8] c" (\00", align 1
@.str.9 = private unnamed_addr constant [5 x i8] c" of \00", align 1
@.str.10 = private unnamed_addr constant [26 x i8] c"built against driver ABI \00", align 1
@.str.11 = private unnamed_addr constant [27 x i8] c"computed: fnv1a(greeting)=\00", align 1
@.str.12 = private unnamed_addr constant [10 x i8] c" fib(50)=\00", align 1
@xdrv_msg_hex.hx = internal constant [17 x i8] c"0123456789abcdef\00", align 1
@.str.13 = private unnamed_addr constant [3 x i8] c"0x\00", align 1
@.str.14 = private unnamed_addr constant [27 x i8] c"goodbye from hello, after \00", align 1
@.str.15 = private unnamed_addr constant [10 x i8] c" greeting\00", align 1
@.str.16 = private unnamed_addr constant [11 x i8] c" greetings\00", align 1

; Function Attrs: nounwind
define internal i32 @hello_probe(ptr noundef %0) #0 {
  %2 = alloca i32, align 4
  %3 = alloca ptr, align 8
  %4 = alloca ptr, align 8
  %5 = alloca i32, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 8, ptr %4) #4
  %6 = call ptr @xdrv_mem_alloc(i64 noundef 16) #5
  store ptr %6, ptr %4, align 8, !tbaa !4
  %7 = load ptr, ptr %4, align 8, !tbaa !4
  %8 = icmp ne ptr %7, null
  br i1 %8, label %10, label %9

9:                                                ; preds = %1
  call void @xdrv_log(i32 noundef 1, ptr noundef @.str.6) #5
  store i32 -12, ptr %2, align 4
  store i32 1, ptr %5, align 4
  br label %24

10:                                               ; preds = %1
  %11 = load i32, ptr @xdrv_param_greeting_count, align 4, !tbaa !8
  %12 = call i32 @hello_greet(i32 noundef %11) #5
  %13 = load ptr, ptr %4, align 8, !tbaa !4
  %14 = getelementptr inbounds %struct.hello_state, ptr %13, i32 0, i32 0
  store i32 %12, ptr %14, align 8, !tbaa !10
  %15 = call i32 @hello_fnv1a(ptr noundef @.str.7) #5
  %16 = load ptr, ptr %4, align 8, !tbaa !4
  %17 = getelementptr inbounds %struct.hello_state, ptr %16, i32 0, i32 1
  store i32 %15, ptr %17, align 4, !tbaa !13
  %18 = call i64 @hello_fib(i32 noundef 50) #5
  %19 = load ptr, ptr %4, align 8, !tbaa !4
  %20 = getelementptr inbounds %struct.hello_state, ptr %19, i32 0, i32 2
  store i64 %18, ptr %20, align 8, !tbaa !14
  call void @hello_log_abi() #5
  %21 = load ptr, ptr %4, align 8, !tbaa !4
  call void @hello_log_values(ptr noundef %21) #5
  %22 = load ptr, ptr %3, align 8, !tbaa !4
  %23 = load ptr, ptr %4, align 8, !tbaa !4
  call void @xdrv_dev_set_priv(ptr noundef %22, ptr noundef %23) #5
  store i32 0, ptr %2, align 4
  store i32 1, ptr %5, align 4
  br label %24

24:                                               ; preds = %10, %9
  call void @llvm.lifetime.end.p0(i64 8, ptr %4) #4
  %25 = load i32, ptr %2, align 4
  ret i32 %25
}

; Function Attrs: nounwind
define internal void @hello_remove(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca ptr, align 8
  %4 = alloca %struct.xdrv_msg, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 8, ptr %3) #4
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = call ptr @xdrv_dev_priv(ptr noundef %5) #5
  store ptr %6, ptr %3, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 164, ptr %4) #4
  call void @xdrv_msg_init(ptr noundef %4) #5
  call void @xdrv_msg_str(ptr noundef %4, ptr noundef @.str.14) #5
  %7 = load ptr, ptr %3, align 8, !tbaa !4
  %8 = icmp ne ptr %7, null
  br i1 %8, label %9, label %13

9:                                                ; preds = %1
  %10 = load ptr, ptr %3, align 8, !tbaa !4
  %11 = getelementptr inbounds %struct.hello_state, ptr %10, i32 0, i32 0
  %12 = load i32, ptr %11, align 8, !tbaa !10
  br label %14

13:                                               ; preds = %1
  br label %14

14:                                               ; preds = %13, %9
  %15 = phi i32 [ %12, %9 ], [ 0, %13 ]
  %16 = zext i32 %15 to i64
  call void @xdrv_msg_u64(ptr noundef %4, i64 noundef %16) #5
  %17 = load ptr, ptr %3, align 8, !tbaa !4
  %18 = icmp ne ptr %17, null
  br i1 %18, label %19, label %24

19:                                               ; preds = %14
  %20 = load ptr, ptr %3, align 8, !tbaa !4
  %21 = getelementptr inbounds %struct.hello_state, ptr %20, i32 0, i32 0
  %22 = load i32, ptr %21, align 8, !tbaa !10
  %23 = icmp eq i32 %22, 1
  br label %24

24:                                               ; preds = %19, %14
  %25 = phi i1 [ false, %14 ], [ %23, %19 ]
  %26 = zext i1 %25 to i64
  %27 = select i1 %25, ptr @.str.15, ptr @.str.16
  call void @xdrv_msg_str(ptr noundef %4, ptr noundef %27) #5
  call void @xdrv_msg_log(ptr noundef %4, i32 noundef 3) #5
  %28 = load ptr, ptr %2, align 8, !tbaa !4
  call void @xdrv_dev_set_priv(ptr noundef %28, ptr noundef null) #5
  %29 = load ptr, ptr %3, align 8, !tbaa !4
  call void @xdrv_mem_free(ptr noundef %29) #5
  call void @llvm.lifetime.end.p0(i64 164, ptr %4) #4
  call void @llvm.lifetime.end.p0(i64 8, ptr %3) #4
  ret void
}

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: readwrite)
declare void @llvm.lifetime.start.p0(i64 immarg, ptr nocapture) #1

declare dso_local ptr @xdrv_mem_alloc(i64 noundef) #2

declare dso_local void @xdrv_log(i32 noundef, ptr noundef) #2

; Function Attrs: nounwind
define internal i32 @hello_greet(i32 noundef %0) #0 {
  %2 = alloca i32, align 4
  %3 = alloca i32, align 4
  %4 = alloca i32, align 4
  %5 = alloca %struct.xdrv_msg, align 4
  store i32 %0, ptr %2, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %3) #4
  %6 = load i32, ptr %2, align 4, !tbaa !8
  %7 = icmp ult i32 %6, 1
  br i1 %7, label %8, label %9

8:                                                ; preds = %1
  br label %17

9:                                                ; preds = %1
  %10 = load i32, ptr %2, align 4, !tbaa !8
  %11 = icmp ugt i32 %10, 8
  br i1 %11, label %12, label %13

12:                                               ; preds = %9
  br label %15

13:                                               ; preds = %9
  %14 = load i32, ptr %2, align 4, !tbaa !8
  br label %15

15:                                               ; preds = %13, %12
  %16 = phi i32 [ 8, %12 ], [ %14, %13 ]
  br label %17

17:                                               ; preds = %15, %8
  %18 = phi i32 [ 1, %8 ], [ %16, %15 ]
  store i32 %18, ptr %3, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %4) #4
  store i32 1, ptr %4, align 4, !tbaa !8
  br label %19

19:                                               ; preds = %33, %17
  %20 = load i32, ptr %4, align 4, !tbaa !8
  %21 = load i32, ptr %3, align 4, !tbaa !8
  %22 = icmp ule i32 %20, %21
  br i1 %22, label %24, label %23

23:                                               ; preds = %19
  call void @llvm.lifetime.end.p0(i64 4, ptr %4) #4
  br label %36

24:                                               ; preds = %19
  call void @llvm.lifetime.start.p0(i64 164, ptr %5) #4
  call void @xdrv_msg_init(ptr noundef %5) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.7) #5
  %25 = load i32, ptr %3, align 4, !tbaa !8
  %26 = icmp ugt i32 %25, 1
  br i1 %26, label %27, label %32

27:                                               ; preds = %24
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.8) #5
  %28 = load i32, ptr %4, align 4, !tbaa !8
  %29 = zext i32 %28 to i64
  call void @xdrv_msg_u64(ptr noundef %5, i64 noundef %29) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.9) #5
  %30 = load i32, ptr %3, align 4, !tbaa !8
  %31 = zext i32 %30 to i64
  call void @xdrv_msg_u64(ptr noundef %5, i64 noundef %31) #5
  call void @xdrv_msg_chr(ptr noundef %5, i8 noundef signext 41) #5
  br label %32

32:                                               ; preds = %27, %24
  call void @xdrv_msg_log(ptr noundef %5, i32 noundef 3) #5
  call void @llvm.lifetime.end.p0(i64 164, ptr %5) #4
  br label %33

33:                                               ; preds = %32
  %34 = load i32, ptr %4, align 4, !tbaa !8
  %35 = add i32 %34, 1
  store i32 %35, ptr %4, align 4, !tbaa !8
  br label %19, !llvm.loop !15

36:                                               ; preds = %23
  %37 = load i32, ptr %3, align 4, !tbaa !8
  call void @llvm.lifetime.end.p0(i64 4, ptr %3) #4
  ret i32 %37
}

; Function Attrs: nounwind
define internal i32 @hello_fnv1a(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca i32, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %3) #4
  store i32 -2128831035, ptr %3, align 4, !tbaa !8
  br label %4

4:                                                ; preds = %8, %1
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = load i8, ptr %5, align 1, !tbaa !17
  %7 = icmp ne i8 %6, 0
  br i1 %7, label %8, label %17

8:                                                ; preds = %4
  %9 = load ptr, ptr %2, align 8, !tbaa !4
  %10 = getelementptr inbounds i8, ptr %9, i32 1
  store ptr %10, ptr %2, align 8, !tbaa !4
  %11 = load i8, ptr %9, align 1, !tbaa !17
  %12 = zext i8 %11 to i32
  %13 = load i32, ptr %3, align 4, !tbaa !8
  %14 = xor i32 %13, %12
  store i32 %14, ptr %3, align 4, !tbaa !8
  %15 = load i32, ptr %3, align 4, !tbaa !8
  %16 = mul i32 %15, 16777619
  store i32 %16, ptr %3, align 4, !tbaa !8
  br label %4, !llvm.loop !18

17:                                               ; preds = %4
  %18 = load i32, ptr %3, align 4, !tbaa !8
  call void @llvm.lifetime.end.p0(i64 4, ptr %3) #4
  ret i32 %18
}

; Function Attrs: nounwind
define internal i64 @hello_fib(i32 noundef %0) #0 {
  %2 = alloca i32, align 4
  %3 = alloca i64, align 8
  %4 = alloca i64, align 8
  %5 = alloca i32, align 4
  %6 = alloca i64, align 8
  store i32 %0, ptr %2, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 8, ptr %3) #4
  store i64 0, ptr %3, align 8, !tbaa !19
  call void @llvm.lifetime.start.p0(i64 8, ptr %4) #4
  store i64 1, ptr %4, align 8, !tbaa !19
  call void @llvm.lifetime.start.p0(i64 4, ptr %5) #4
  store i32 0, ptr %5, align 4, !tbaa !8
  br label %7

7:                                                ; preds = %18, %1
  %8 = load i32, ptr %5, align 4, !tbaa !8
  %9 = load i32, ptr %2, align 4, !tbaa !8
  %10 = icmp ult i32 %8, %9
  br i1 %10, label %12, label %11

11:                                               ; preds = %7
  call void @llvm.lifetime.end.p0(i64 4, ptr %5) #4
  br label %21

12:                                               ; preds = %7
  call void @llvm.lifetime.start.p0(i64 8, ptr %6) #4
  %13 = load i64, ptr %3, align 8, !tbaa !19
  %14 = load i64, ptr %4, align 8, !tbaa !19
  %15 = add i64 %13, %14
  store i64 %15, ptr %6, align 8, !tbaa !19
  %16 = load i64, ptr %4, align 8, !tbaa !19
  store i64 %16, ptr %3, align 8, !tbaa !19
  %17 = load i64, ptr %6, align 8, !tbaa !19
  store i64 %17, ptr %4, align 8, !tbaa !19
  call void @llvm.lifetime.end.p0(i64 8, ptr %6) #4
  br label %18

18:                                               ; preds = %12
  %19 = load i32, ptr %5, align 4, !tbaa !8
  %20 = add i32 %19, 1
  store i32 %20, ptr %5, align 4, !tbaa !8
  br label %7, !llvm.loop !20

21:                                               ; preds = %11
  %22 = load i64, ptr %3, align 8, !tbaa !19
  call void @llvm.lifetime.end.p0(i64 8, ptr %4) #4
  call void @llvm.lifetime.end.p0(i64 8, ptr %3) #4
  ret i64 %22
}

; Function Attrs: nounwind
define internal void @hello_log_abi() #0 {
  %1 = alloca %struct.xdrv_msg, align 4
  call void @llvm.lifetime.start.p0(i64 164, ptr %1) #4
  call void @xdrv_msg_init(ptr noundef %1) #5
  call void @xdrv_msg_str(ptr noundef %1, ptr noundef @.str.10) #5
  call void @xdrv_msg_u64(ptr noundef %1, i64 noundef 1) #5
  call void @xdrv_msg_chr(ptr noundef %1, i8 noundef signext 46) #5
  call void @xdrv_msg_u64(ptr noundef %1, i64 noundef 0) #5
  call void @xdrv_msg_chr(ptr noundef %1, i8 noundef signext 46) #5
  call void @xdrv_msg_u64(ptr noundef %1, i64 noundef 0) #5
  call void @xdrv_msg_str(ptr noundef %1, ptr noundef @.str.8) #5
  call void @xdrv_msg_u64(ptr noundef %1, i64 noundef 1000000) #5
  call void @xdrv_msg_chr(ptr noundef %1, i8 noundef signext 41) #5
  call void @xdrv_msg_log(ptr noundef %1, i32 noundef 3) #5
  call void @llvm.lifetime.end.p0(i64 164, ptr %1) #4
  ret void
}

; Function Attrs: nounwind
define internal void @hello_log_values(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca %struct.xdrv_msg, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 164, ptr %3) #4
  call void @xdrv_msg_init(ptr noundef %3) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.11) #5
  %4 = load ptr, ptr %2, align 8, !tbaa !4
  %5 = getelementptr inbounds %struct.hello_state, ptr %4, i32 0, i32 1
  %6 = load i32, ptr %5, align 4, !tbaa !13
  %7 = zext i32 %6 to i64
  call void @xdrv_msg_hex(ptr noundef %3, i64 noundef %7, i32 noundef 8) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.12) #5
  %8 = load ptr, ptr %2, align 8, !tbaa !4
  %9 = getelementptr inbounds %struct.hello_state, ptr %8, i32 0, i32 2
  %10 = load i64, ptr %9, align 8, !tbaa !14
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %10) #5
  call void @xdrv_msg_log(ptr noundef %3, i32 noundef 3) #5
  call void @llvm.lifetime.end.p0(i64 164, ptr %3) #4
  ret void
}

declare dso_local void @xdrv_dev_set_priv(ptr noundef, ptr noundef) #2

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: readwrite)
declare void @llvm.lifetime.end.p0(i64 immarg, ptr nocapture) #1

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_init(ptr noundef %0) #3 {
  %2 = alloca ptr, align 8
  store ptr %0, ptr %2, align 8, !tbaa !4
  %3 = load ptr, ptr %2, align 8, !tbaa !4
  %4 = getelementptr inbounds %struct.xdrv_msg, ptr %3, i32 0, i32 1
  store i32 0, ptr %4, align 4, !tbaa !21
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.xdrv_msg, ptr %5, i32 0, i32 0
  %7 = getelementptr inbounds [160 x i8], ptr %6, i64 0, i64 0
  store i8 0, ptr %7, align 4, !tbaa !17
  ret void
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_str(ptr noundef %0, ptr noundef %1) #3 {
  %3 = alloca ptr, align 8
  %4 = alloca ptr, align 8
  store ptr %0, ptr %3, align 8, !tbaa !4
  store ptr %1, ptr %4, align 8, !tbaa !4
  br label %5

5:                                                ; preds = %15, %2
  %6 = load ptr, ptr %4, align 8, !tbaa !4
  %7 = icmp ne ptr %6, null
  br i1 %7, label %8, label %13

8:                                                ; preds = %5
  %9 = load ptr, ptr %4, align 8, !tbaa !4
  %10 = load i8, ptr %9, align 1, !tbaa !17
  %11 = sext i8 %10 to i32
  %12 = icmp ne i32 %11, 0
  br label %13

13:                                               ; preds = %8, %5
  %14 = phi i1 [ false, %5 ], [ %12, %8 ]
  br i1 %14, label %15, label %20

15:                                               ; preds = %13
  %16 = load ptr, ptr %3, align 8, !tbaa !4
  %17 = load ptr, ptr %4, align 8, !tbaa !4
  %18 = getelementptr inbounds i8, ptr %17, i32 1
  store ptr %18, ptr %4, align 8, !tbaa !4
  %19 = load i8, ptr %17, align 1, !tbaa !17
  call void @xdrv_msg_chr(ptr noundef %16, i8 noundef signext %19) #5
  br label %5, !llvm.loop !23

20:                                               ; preds = %13
  ret void
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_u64(ptr noundef %0, i64 noundef %1) #3 {
  %3 = alloca ptr, align 8
  %4 = alloca i64, align 8
  %5 = alloca [20 x i8], align 1
  %6 = alloca i32, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i64 %1, ptr %4, align 8, !tbaa !19
  call void @llvm.lifetime.start.p0(i64 20, ptr %5) #4
  call void @llvm.lifetime.start.p0(i64 4, ptr %6) #4
  store i32 0, ptr %6, align 4, !tbaa !8
  br label %7

7:                                                ; preds = %25, %2
  %8 = load i64, ptr %4, align 8, !tbaa !19
  %9 = urem i64 %8, 10
  %10 = add i64 48, %9
  %11 = trunc i64 %10 to i8
  %12 = load i32, ptr %6, align 4, !tbaa !8
  %13 = add i32 %12, 1
  store i32 %13, ptr %6, align 4, !tbaa !8
  %14 = zext i32 %12 to i64
  %15 = getelementptr inbounds [20 x i8], ptr %5, i64 0, i64 %14
  store i8 %11, ptr %15, align 1, !tbaa !17
  %16 = load i64, ptr %4, align 8, !tbaa !19
  %17 = udiv i64 %16, 10
  store i64 %17, ptr %4, align 8, !tbaa !19
  br label %18

18:                                               ; preds = %7
  %19 = load i64, ptr %4, align 8, !tbaa !19
  %20 = icmp ne i64 %19, 0
  br i1 %20, label %21, label %25

21:                                               ; preds = %18
  %22 = load i32, ptr %6, align 4, !tbaa !8
  %23 = zext i32 %22 to i64
  %24 = icmp ult i64 %23, 20
  br label %25

25:                                               ; preds = %21, %18
  %26 = phi i1 [ false, %18 ], [ %24, %21 ]
  br i1 %26, label %7, label %27, !llvm.loop !24

27:                                               ; preds = %25
  br label %28

28:                                               ; preds = %31, %27
  %29 = load i32, ptr %6, align 4, !tbaa !8
  %30 = icmp ne i32 %29, 0
  br i1 %30, label %31, label %38

31:                                               ; preds = %28
  %32 = load ptr, ptr %3, align 8, !tbaa !4
  %33 = load i32, ptr %6, align 4, !tbaa !8
  %34 = add i32 %33, -1
  store i32 %34, ptr %6, align 4, !tbaa !8
  %35 = zext i32 %34 to i64
  %36 = getelementptr inbounds [20 x i8], ptr %5, i64 0, i64 %35
  %37 = load i8, ptr %36, align 1, !tbaa !17
  call void @xdrv_msg_chr(ptr noundef %32, i8 noundef signext %37) #5
  br label %28, !llvm.loop !25

38:                                               ; preds = %28
  call void @llvm.lifetime.end.p0(i64 4, ptr %6) #4
  call void @llvm.lifetime.end.p0(i64 20, ptr %5) #4
  ret void
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_chr(ptr noundef %0, i8 noundef signext %1) #3 {
  %3 = alloca ptr, align 8
  %4 = alloca i8, align 1
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i8 %1, ptr %4, align 1, !tbaa !17
  %5 = load ptr, ptr %3, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.xdrv_msg, ptr %5, i32 0, i32 1
  %7 = load i32, ptr %6, align 4, !tbaa !21
  %8 = add i32 %7, 1
  %9 = icmp ult i32 %8, 160
  br i1 %9, label %10, label %27

10:                                               ; preds = %2
  %11 = load i8, ptr %4, align 1, !tbaa !17
  %12 = load ptr, ptr %3, align 8, !tbaa !4
  %13 = getelementptr inbounds %struct.xdrv_msg, ptr %12, i32 0, i32 0
  %14 = load ptr, ptr %3, align 8, !tbaa !4
  %15 = getelementptr inbounds %struct.xdrv_msg, ptr %14, i32 0, i32 1
  %16 = load i32, ptr %15, align 4, !tbaa !21
  %17 = add i32 %16, 1
  store i32 %17, ptr %15, align 4, !tbaa !21
  %18 = zext i32 %16 to i64
  %19 = getelementptr inbounds [160 x i8], ptr %13, i64 0, i64 %18
  store i8 %11, ptr %19, align 1, !tbaa !17
  %20 = load ptr, ptr %3, align 8, !tbaa !4
  %21 = getelementptr inbounds %struct.xdrv_msg, ptr %20, i32 0, i32 0
  %22 = load ptr, ptr %3, align 8, !tbaa !4
  %23 = getelementptr inbounds %struct.xdrv_msg, ptr %22, i32 0, i32 1
  %24 = load i32, ptr %23, align 4, !tbaa !21
  %25 = zext i32 %24 to i64
  %26 = getelementptr inbounds [160 x i8], ptr %21, i64 0, i64 %25
  store i8 0, ptr %26, align 1, !tbaa !17
  br label %27

27:                                               ; preds = %10, %2
  ret void
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_log(ptr noundef %0, i32 noundef %1) #3 {
  %3 = alloca ptr, align 8
  %4 = alloca i32, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i32 %1, ptr %4, align 4, !tbaa !8
  %5 = load i32, ptr %4, align 4, !tbaa !8
  %6 = load ptr, ptr %3, align 8, !tbaa !4
  %7 = getelementptr inbounds %struct.xdrv_msg, ptr %6, i32 0, i32 0
  %8 = getelementptr inbounds [160 x i8], ptr %7, i64 0, i64 0
  call void @xdrv_log(i32 noundef %5, ptr noundef %8) #5
  ret void
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_hex(ptr noundef %0, i64 noundef %1, i32 noundef %2) #3 {
  %4 = alloca ptr, align 8
  %5 = alloca i64, align 8
  %6 = alloca i32, align 4
  %7 = alloca i32, align 4
  store ptr %0, ptr %4, align 8, !tbaa !4
  store i64 %1, ptr %5, align 8, !tbaa !19
  store i32 %2, ptr %6, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %7) #4
  store i32 16, ptr %7, align 4, !tbaa !8
  br label %8

8:                                                ; preds = %27, %3
  %9 = load i32, ptr %7, align 4, !tbaa !8
  %10 = icmp ugt i32 %9, 1
  br i1 %10, label %11, label %25

11:                                               ; preds = %8
  %12 = load i32, ptr %7, align 4, !tbaa !8
  %13 = load i32, ptr %6, align 4, !tbaa !8
  %14 = icmp ugt i32 %12, %13
  br i1 %14, label %15, label %25

15:                                               ; preds = %11
  %16 = load i64, ptr %5, align 8, !tbaa !19
  %17 = load i32, ptr %7, align 4, !tbaa !8
  %18 = sub i32 %17, 1
  %19 = mul i32 %18, 4
  %20 = zext i32 %19 to i64
  %21 = lshr i64 %16, %20
  %22 = and i64 %21, 15
  %23 = icmp ne i64 %22, 0
  %24 = xor i1 %23, true
  br label %25

25:                                               ; preds = %15, %11, %8
  %26 = phi i1 [ false, %11 ], [ false, %8 ], [ %24, %15 ]
  br i1 %26, label %27, label %30

27:                                               ; preds = %25
  %28 = load i32, ptr %7, align 4, !tbaa !8
  %29 = add i32 %28, -1
  store i32 %29, ptr %7, align 4, !tbaa !8
  br label %8, !llvm.loop !26

30:                                               ; preds = %25
  %31 = load ptr, ptr %4, align 8, !tbaa !4
  call void @xdrv_msg_str(ptr noundef %31, ptr noundef @.str.13) #5
  br label %32

32:                                               ; preds = %35, %30
  %33 = load i32, ptr %7, align 4, !tbaa !8
  %34 = icmp ne i32 %33, 0
  br i1 %34, label %35, label %46

35:                                               ; preds = %32
  %36 = load ptr, ptr %4, align 8, !tbaa !4
  %37 = load i64, ptr %5, align 8, !tbaa !19
  %38 = load i32, ptr %7, align 4, !tbaa !8
  %39 = add i32 %38, -1
  store i32 %39, ptr %7, align 4, !tbaa !8
  %40 = mul i32 %39, 4
  %41 = zext i32 %40 to i64
  %42 = lshr i64 %37, %41
  %43 = and i64 %42, 15
  %44 = getelementptr inbounds [17 x i8], ptr @xdrv_msg_hex.hx, i64 0, i64 %43
  %45 = load i8, ptr %44, align 1, !tbaa !17
  call void @xdrv_msg_chr(ptr noundef %36, i8 noundef signext %45) #5
  br label %32, !llvm.loop !27

46:                                               ; preds = %32
  call void @llvm.lifetime.end.p0(i64 4, ptr %7) #4
  ret void
}

declare dso_local ptr @xdrv_dev_priv(ptr noundef) #2

declare dso_local void @xdrv_mem_free(ptr noundef) #2

attributes #0 = { nounwind "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #1 = { nocallback nofree nosync nounwind willreturn memory(argmem: readwrite) }
attributes #2 = { "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #3 = { inlinehint nounwind "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #4 = { nounwind }
attributes #5 = { nobuiltin "no-builtins" }

!llvm.module.flags = !{!0, !1, !2}
!llvm.ident = !{!3}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 7, !"frame-pointer", i32 2}
!2 = !{i32 1, !"xdrv.profile", !"xdrv-lp64le-1"}
!3 = !{!"Debian clang version 19.1.7 (3~deb12u1)"}
!4 = !{!5, !5, i64 0}
!5 = !{!"any pointer", !6, i64 0}
!6 = !{!"omnipotent char", !7, i64 0}
!7 = !{!"Simple C/C++ TBAA"}
!8 = !{!9, !9, i64 0}
!9 = !{!"int", !6, i64 0}
!10 = !{!11, !9, i64 0}
!11 = !{!"hello_state", !9, i64 0, !9, i64 4, !12, i64 8}
!12 = !{!"long long", !6, i64 0}
!13 = !{!11, !9, i64 4}
!14 = !{!11, !12, i64 8}
!15 = distinct !{!15, !16}
!16 = !{!"llvm.loop.mustprogress"}
!17 = !{!6, !6, i64 0}
!18 = distinct !{!18, !16}
!19 = !{!12, !12, i64 0}
!20 = distinct !{!20, !16}
!21 = !{!22, !9, i64 160}
!22 = !{!"xdrv_msg", !6, i64 0, !9, i64 160}
!23 = distinct !{!23, !16}
!24 = distinct !{!24, !16}
!25 = distinct !{!25, !16}
!26 = distinct !{!26, !16}
!27 = distinct !{!27, !16}
