; ModuleID = '/tmp/sdkprobe/run/uart.bc'
source_filename = "uart16550.c"
target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"

%struct.xdrv_match = type { i32, i32, i32, i32, i32, i32, ptr }
%struct.xdrv_param = type { ptr, i32, i32, i64, i64, i64, ptr, ptr }
%struct.xdrv_driver = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, ptr, [8 x ptr] }
%struct.uart = type { ptr, ptr, i8, [512 x i8], i32, i32, [96 x i8], i32, i64, i64, i64, i64, i64, i64 }
%struct.xdrv_msg = type { [160 x i8], i32 }

@xdrv_param_baud = dso_local global i32 115200, align 4
@xdrv_param_echo = dso_local global i32 1, align 4
@.str = private unnamed_addr constant [10 x i8] c"uart16550\00", align 1
@.str.1 = private unnamed_addr constant [6 x i8] c"1.0.0\00", align 1
@uart_match = internal constant [2 x %struct.xdrv_match] [%struct.xdrv_match { i32 2, i32 0, i32 0, i32 0, i32 0, i32 0, ptr @.str.2 }, %struct.xdrv_match zeroinitializer], align 8
@uart_params = internal constant [3 x %struct.xdrv_param] [%struct.xdrv_param { ptr @.str.3, i32 1, i32 0, i64 115200, i64 50, i64 115200, ptr @xdrv_param_baud, ptr @.str.4 }, %struct.xdrv_param { ptr @.str.5, i32 5, i32 0, i64 1, i64 0, i64 1, ptr @xdrv_param_echo, ptr @.str.6 }, %struct.xdrv_param zeroinitializer], align 8
@xdrv_driver = dso_local constant %struct.xdrv_driver { i32 1480872534, i32 1000000, i32 128, i32 0, ptr @.str, ptr @.str.1, ptr @uart_match, ptr @uart_params, ptr @uart_probe, ptr @uart_remove, [8 x ptr] zeroinitializer }, align 8
@.str.2 = private unnamed_addr constant [9 x i8] c"ns16550a\00", align 1
@.str.3 = private unnamed_addr constant [5 x i8] c"baud\00", align 1
@.str.4 = private unnamed_addr constant [19 x i8] c"line speed in baud\00", align 1
@.str.5 = private unnamed_addr constant [5 x i8] c"echo\00", align 1
@.str.6 = private unnamed_addr constant [25 x i8] c"echo received bytes back\00", align 1
@.str.7 = private unnamed_addr constant [38 x i8] c"uart16550: cannot request interrupt 0\00", align 1
@.str.8 = private unnamed_addr constant [38 x i8] c"xdrv uart16550: hello over the wire\0D\0A\00", align 1
@.str.9 = private unnamed_addr constant [34 x i8] c"uart16550: device has no region 0\00", align 1
@.str.10 = private unnamed_addr constant [53 x i8] c"uart16550: region 0 is not an 8-byte port I/O window\00", align 1
@.str.11 = private unnamed_addr constant [54 x i8] c"uart16550: no UART answers at region 0 (scratch test)\00", align 1
@.str.12 = private unnamed_addr constant [3 x i8] c"\0D\0A\00", align 1
@.str.13 = private unnamed_addr constant [27 x i8] c"uart16550: received line \22\00", align 1
@.str.14 = private unnamed_addr constant [2 x i8] c"\22\00", align 1
@.str.15 = private unnamed_addr constant [12 x i8] c"uart16550: \00", align 1
@.str.16 = private unnamed_addr constant [14 x i8] c" baud (asked \00", align 1
@.str.17 = private unnamed_addr constant [11 x i8] c", divisor \00", align 1
@.str.18 = private unnamed_addr constant [14 x i8] c"), 8N1, FIFO \00", align 1
@.str.19 = private unnamed_addr constant [3 x i8] c"on\00", align 1
@.str.20 = private unnamed_addr constant [8 x i8] c"missing\00", align 1
@.str.21 = private unnamed_addr constant [8 x i8] c", echo \00", align 1
@.str.22 = private unnamed_addr constant [4 x i8] c"off\00", align 1
@.str.23 = private unnamed_addr constant [24 x i8] c"uart16550: removed; rx \00", align 1
@.str.24 = private unnamed_addr constant [11 x i8] c" bytes in \00", align 1
@.str.25 = private unnamed_addr constant [12 x i8] c" lines, tx \00", align 1
@.str.26 = private unnamed_addr constant [9 x i8] c" bytes (\00", align 1
@.str.27 = private unnamed_addr constant [12 x i8] c" dropped), \00", align 1
@.str.28 = private unnamed_addr constant [12 x i8] c" overruns, \00", align 1
@.str.29 = private unnamed_addr constant [12 x i8] c" interrupts\00", align 1

; Function Attrs: nounwind
define internal i32 @uart_probe(ptr noundef %0) #0 {
  %2 = alloca i32, align 4
  %3 = alloca ptr, align 8
  %4 = alloca ptr, align 8
  %5 = alloca i32, align 4
  %6 = alloca i32, align 4
  %7 = alloca ptr, align 8
  %8 = alloca i16, align 2
  store ptr %0, ptr %3, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 8, ptr %4) #4
  %9 = load ptr, ptr %3, align 8, !tbaa !4
  %10 = call ptr @xdrv_dev_region(ptr noundef %9, i32 noundef 0) #5
  store ptr %10, ptr %4, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %5) #4
  %11 = load ptr, ptr %4, align 8, !tbaa !4
  %12 = call i32 @uart_check_port(ptr noundef %11) #5
  store i32 %12, ptr %5, align 4, !tbaa !8
  %13 = load i32, ptr %5, align 4, !tbaa !8
  %14 = icmp ne i32 %13, 0
  br i1 %14, label %15, label %17

15:                                               ; preds = %1
  %16 = load i32, ptr %5, align 4, !tbaa !8
  store i32 %16, ptr %2, align 4
  store i32 1, ptr %6, align 4
  br label %51

17:                                               ; preds = %1
  call void @llvm.lifetime.start.p0(i64 8, ptr %7) #4
  %18 = call ptr @xdrv_mem_alloc(i64 noundef 688) #5
  store ptr %18, ptr %7, align 8, !tbaa !4
  %19 = load ptr, ptr %7, align 8, !tbaa !4
  %20 = icmp ne ptr %19, null
  br i1 %20, label %22, label %21

21:                                               ; preds = %17
  store i32 -12, ptr %2, align 4
  store i32 1, ptr %6, align 4
  br label %50

22:                                               ; preds = %17
  %23 = load ptr, ptr %3, align 8, !tbaa !4
  %24 = load ptr, ptr %7, align 8, !tbaa !4
  %25 = getelementptr inbounds %struct.uart, ptr %24, i32 0, i32 0
  store ptr %23, ptr %25, align 8, !tbaa !10
  %26 = load ptr, ptr %4, align 8, !tbaa !4
  %27 = load ptr, ptr %7, align 8, !tbaa !4
  %28 = getelementptr inbounds %struct.uart, ptr %27, i32 0, i32 1
  store ptr %26, ptr %28, align 8, !tbaa !13
  call void @llvm.lifetime.start.p0(i64 2, ptr %8) #4
  %29 = load i32, ptr @xdrv_param_baud, align 4, !tbaa !8
  %30 = call zeroext i16 @uart_divisor(i32 noundef %29) #5
  store i16 %30, ptr %8, align 2, !tbaa !14
  %31 = load ptr, ptr %7, align 8, !tbaa !4
  %32 = load i16, ptr %8, align 2, !tbaa !14
  call void @uart_program(ptr noundef %31, i16 noundef zeroext %32) #5
  %33 = load ptr, ptr %3, align 8, !tbaa !4
  %34 = load ptr, ptr %7, align 8, !tbaa !4
  %35 = call i32 @xdrv_irq_request(ptr noundef %33, i32 noundef 0, ptr noundef @uart_irq, ptr noundef %34) #5
  store i32 %35, ptr %5, align 4, !tbaa !8
  %36 = load i32, ptr %5, align 4, !tbaa !8
  %37 = icmp ne i32 %36, 0
  br i1 %37, label %38, label %42

38:                                               ; preds = %22
  call void @xdrv_log(i32 noundef 1, ptr noundef @.str.7) #5
  %39 = load ptr, ptr %7, align 8, !tbaa !4
  call void @uart_out(ptr noundef %39, i32 noundef 4, i8 noundef zeroext 0) #5
  %40 = load ptr, ptr %7, align 8, !tbaa !4
  call void @xdrv_mem_free(ptr noundef %40) #5
  %41 = load i32, ptr %5, align 4, !tbaa !8
  store i32 %41, ptr %2, align 4
  store i32 1, ptr %6, align 4
  br label %49

42:                                               ; preds = %22
  %43 = load ptr, ptr %3, align 8, !tbaa !4
  %44 = load ptr, ptr %7, align 8, !tbaa !4
  call void @xdrv_dev_set_priv(ptr noundef %43, ptr noundef %44) #5
  %45 = load ptr, ptr %7, align 8, !tbaa !4
  %46 = load i16, ptr %8, align 2, !tbaa !14
  call void @uart_log_probe(ptr noundef %45, i16 noundef zeroext %46) #5
  %47 = load ptr, ptr %7, align 8, !tbaa !4
  call void @uart_set_ier(ptr noundef %47, i8 noundef zeroext 1) #5
  %48 = load ptr, ptr %7, align 8, !tbaa !4
  call void @tx_queue_str(ptr noundef %48, ptr noundef @.str.8) #5
  store i32 0, ptr %2, align 4
  store i32 1, ptr %6, align 4
  br label %49

49:                                               ; preds = %42, %38
  call void @llvm.lifetime.end.p0(i64 2, ptr %8) #4
  br label %50

50:                                               ; preds = %49, %21
  call void @llvm.lifetime.end.p0(i64 8, ptr %7) #4
  br label %51

51:                                               ; preds = %50, %15
  call void @llvm.lifetime.end.p0(i64 4, ptr %5) #4
  call void @llvm.lifetime.end.p0(i64 8, ptr %4) #4
  %52 = load i32, ptr %2, align 4
  ret i32 %52
}

; Function Attrs: nounwind
define internal void @uart_remove(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca ptr, align 8
  %4 = alloca i32, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 8, ptr %3) #4
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = call ptr @xdrv_dev_priv(ptr noundef %5) #5
  store ptr %6, ptr %3, align 8, !tbaa !4
  %7 = load ptr, ptr %3, align 8, !tbaa !4
  %8 = icmp ne ptr %7, null
  br i1 %8, label %10, label %9

9:                                                ; preds = %1
  store i32 1, ptr %4, align 4
  br label %18

10:                                               ; preds = %1
  %11 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_set_ier(ptr noundef %11, i8 noundef zeroext 0) #5
  %12 = load ptr, ptr %2, align 8, !tbaa !4
  call void @xdrv_irq_free(ptr noundef %12, i32 noundef 0) #5
  %13 = load ptr, ptr %3, align 8, !tbaa !4
  call void @tx_flush_polled(ptr noundef %13) #5
  %14 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_out(ptr noundef %14, i32 noundef 4, i8 noundef zeroext 0) #5
  %15 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_log_counts(ptr noundef %15) #5
  %16 = load ptr, ptr %2, align 8, !tbaa !4
  call void @xdrv_dev_set_priv(ptr noundef %16, ptr noundef null) #5
  %17 = load ptr, ptr %3, align 8, !tbaa !4
  call void @xdrv_mem_free(ptr noundef %17) #5
  store i32 0, ptr %4, align 4
  br label %18

18:                                               ; preds = %10, %9
  call void @llvm.lifetime.end.p0(i64 8, ptr %3) #4
  %19 = load i32, ptr %4, align 4
  switch i32 %19, label %21 [
    i32 0, label %20
    i32 1, label %20
  ]

20:                                               ; preds = %18, %18
  ret void

21:                                               ; preds = %18
  unreachable
}

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: readwrite)
declare void @llvm.lifetime.start.p0(i64 immarg, ptr nocapture) #1

declare dso_local ptr @xdrv_dev_region(ptr noundef, i32 noundef) #2

; Function Attrs: nounwind
define internal i32 @uart_check_port(ptr noundef %0) #0 {
  %2 = alloca i32, align 4
  %3 = alloca ptr, align 8
  store ptr %0, ptr %3, align 8, !tbaa !4
  %4 = load ptr, ptr %3, align 8, !tbaa !4
  %5 = icmp ne ptr %4, null
  br i1 %5, label %7, label %6

6:                                                ; preds = %1
  call void @xdrv_log(i32 noundef 1, ptr noundef @.str.9) #5
  store i32 -19, ptr %2, align 4
  br label %24

7:                                                ; preds = %1
  %8 = load ptr, ptr %3, align 8, !tbaa !4
  %9 = call i32 @xdrv_region_kind(ptr noundef %8) #5
  %10 = icmp ne i32 %9, 2
  br i1 %10, label %15, label %11

11:                                               ; preds = %7
  %12 = load ptr, ptr %3, align 8, !tbaa !4
  %13 = call i64 @xdrv_region_size(ptr noundef %12) #5
  %14 = icmp ult i64 %13, 8
  br i1 %14, label %15, label %16

15:                                               ; preds = %11, %7
  call void @xdrv_log(i32 noundef 1, ptr noundef @.str.10) #5
  store i32 -19, ptr %2, align 4
  br label %24

16:                                               ; preds = %11
  %17 = load ptr, ptr %3, align 8, !tbaa !4
  call void @xdrv_io_write8(ptr noundef %17, i64 noundef 7, i8 noundef zeroext -91) #5
  %18 = load ptr, ptr %3, align 8, !tbaa !4
  %19 = call zeroext i8 @xdrv_io_read8(ptr noundef %18, i64 noundef 7) #5
  %20 = zext i8 %19 to i32
  %21 = icmp ne i32 %20, 165
  br i1 %21, label %22, label %23

22:                                               ; preds = %16
  call void @xdrv_log(i32 noundef 1, ptr noundef @.str.11) #5
  store i32 -19, ptr %2, align 4
  br label %24

23:                                               ; preds = %16
  store i32 0, ptr %2, align 4
  br label %24

24:                                               ; preds = %23, %22, %15, %6
  %25 = load i32, ptr %2, align 4
  ret i32 %25
}

declare dso_local ptr @xdrv_mem_alloc(i64 noundef) #2

; Function Attrs: nounwind
define internal zeroext i16 @uart_divisor(i32 noundef %0) #0 {
  %2 = alloca i32, align 4
  %3 = alloca i32, align 4
  %4 = alloca i32, align 4
  store i32 %0, ptr %2, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %3) #4
  %5 = load i32, ptr %2, align 4, !tbaa !8
  %6 = icmp ne i32 %5, 0
  br i1 %6, label %7, label %9

7:                                                ; preds = %1
  %8 = load i32, ptr %2, align 4, !tbaa !8
  br label %10

9:                                                ; preds = %1
  br label %10

10:                                               ; preds = %9, %7
  %11 = phi i32 [ %8, %7 ], [ 115200, %9 ]
  store i32 %11, ptr %3, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %4) #4
  %12 = load i32, ptr %3, align 4, !tbaa !8
  %13 = udiv i32 %12, 2
  %14 = add i32 115200, %13
  %15 = load i32, ptr %3, align 4, !tbaa !8
  %16 = udiv i32 %14, %15
  store i32 %16, ptr %4, align 4, !tbaa !8
  %17 = load i32, ptr %4, align 4, !tbaa !8
  %18 = icmp eq i32 %17, 0
  br i1 %18, label %19, label %20

19:                                               ; preds = %10
  store i32 1, ptr %4, align 4, !tbaa !8
  br label %20

20:                                               ; preds = %19, %10
  %21 = load i32, ptr %4, align 4, !tbaa !8
  %22 = icmp ugt i32 %21, 65535
  br i1 %22, label %23, label %24

23:                                               ; preds = %20
  store i32 65535, ptr %4, align 4, !tbaa !8
  br label %24

24:                                               ; preds = %23, %20
  %25 = load i32, ptr %4, align 4, !tbaa !8
  %26 = trunc i32 %25 to i16
  call void @llvm.lifetime.end.p0(i64 4, ptr %4) #4
  call void @llvm.lifetime.end.p0(i64 4, ptr %3) #4
  ret i16 %26
}

; Function Attrs: nounwind
define internal void @uart_program(ptr noundef %0, i16 noundef zeroext %1) #0 {
  %3 = alloca ptr, align 8
  %4 = alloca i16, align 2
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i16 %1, ptr %4, align 2, !tbaa !14
  %5 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_set_ier(ptr noundef %5, i8 noundef zeroext 0) #5
  %6 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_out(ptr noundef %6, i32 noundef 3, i8 noundef zeroext -128) #5
  %7 = load ptr, ptr %3, align 8, !tbaa !4
  %8 = load i16, ptr %4, align 2, !tbaa !14
  %9 = trunc i16 %8 to i8
  call void @uart_out(ptr noundef %7, i32 noundef 0, i8 noundef zeroext %9) #5
  %10 = load ptr, ptr %3, align 8, !tbaa !4
  %11 = load i16, ptr %4, align 2, !tbaa !14
  %12 = zext i16 %11 to i32
  %13 = ashr i32 %12, 8
  %14 = trunc i32 %13 to i8
  call void @uart_out(ptr noundef %10, i32 noundef 1, i8 noundef zeroext %14) #5
  %15 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_out(ptr noundef %15, i32 noundef 3, i8 noundef zeroext 3) #5
  %16 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_out(ptr noundef %16, i32 noundef 2, i8 noundef zeroext -121) #5
  %17 = load ptr, ptr %3, align 8, !tbaa !4
  call void @uart_out(ptr noundef %17, i32 noundef 4, i8 noundef zeroext 11) #5
  %18 = load ptr, ptr %3, align 8, !tbaa !4
  %19 = call zeroext i8 @uart_in(ptr noundef %18, i32 noundef 5) #5
  %20 = load ptr, ptr %3, align 8, !tbaa !4
  %21 = call zeroext i8 @uart_in(ptr noundef %20, i32 noundef 0) #5
  %22 = load ptr, ptr %3, align 8, !tbaa !4
  %23 = call zeroext i8 @uart_in(ptr noundef %22, i32 noundef 2) #5
  %24 = load ptr, ptr %3, align 8, !tbaa !4
  %25 = call zeroext i8 @uart_in(ptr noundef %24, i32 noundef 6) #5
  ret void
}

declare dso_local i32 @xdrv_irq_request(ptr noundef, i32 noundef, ptr noundef, ptr noundef) #2

; Function Attrs: nounwind
define internal i32 @uart_irq(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca ptr, align 8
  %4 = alloca i32, align 4
  %5 = alloca i32, align 4
  %6 = alloca i32, align 4
  %7 = alloca i8, align 1
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 8, ptr %3) #4
  %8 = load ptr, ptr %2, align 8, !tbaa !4
  store ptr %8, ptr %3, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %4) #4
  store i32 0, ptr %4, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %5) #4
  store i32 0, ptr %5, align 4, !tbaa !8
  br label %9

9:                                                ; preds = %37, %1
  %10 = load i32, ptr %5, align 4, !tbaa !8
  %11 = icmp ult i32 %10, 64
  br i1 %11, label %13, label %12

12:                                               ; preds = %9
  store i32 2, ptr %6, align 4
  br label %40

13:                                               ; preds = %9
  call void @llvm.lifetime.start.p0(i64 1, ptr %7) #4
  %14 = load ptr, ptr %3, align 8, !tbaa !4
  %15 = call zeroext i8 @uart_in(ptr noundef %14, i32 noundef 2) #5
  store i8 %15, ptr %7, align 1, !tbaa !16
  %16 = load i8, ptr %7, align 1, !tbaa !16
  %17 = zext i8 %16 to i32
  %18 = and i32 %17, 1
  %19 = icmp ne i32 %18, 0
  br i1 %19, label %20, label %21

20:                                               ; preds = %13
  store i32 2, ptr %6, align 4
  br label %34

21:                                               ; preds = %13
  store i32 1, ptr %4, align 4, !tbaa !8
  %22 = load i8, ptr %7, align 1, !tbaa !16
  %23 = zext i8 %22 to i32
  %24 = and i32 %23, 14
  switch i32 %24, label %30 [
    i32 6, label %25
    i32 4, label %25
    i32 12, label %25
    i32 2, label %27
    i32 0, label %29
  ]

25:                                               ; preds = %21, %21, %21
  %26 = load ptr, ptr %3, align 8, !tbaa !4
  call void @rx_drain(ptr noundef %26) #5
  br label %33

27:                                               ; preds = %21
  %28 = load ptr, ptr %3, align 8, !tbaa !4
  call void @tx_fill(ptr noundef %28) #5
  br label %33

29:                                               ; preds = %21
  br label %30

30:                                               ; preds = %29, %21
  %31 = load ptr, ptr %3, align 8, !tbaa !4
  %32 = call zeroext i8 @uart_in(ptr noundef %31, i32 noundef 6) #5
  br label %33

33:                                               ; preds = %30, %27, %25
  store i32 0, ptr %6, align 4
  br label %34

34:                                               ; preds = %33, %20
  call void @llvm.lifetime.end.p0(i64 1, ptr %7) #4
  %35 = load i32, ptr %6, align 4
  switch i32 %35, label %40 [
    i32 0, label %36
  ]

36:                                               ; preds = %34
  br label %37

37:                                               ; preds = %36
  %38 = load i32, ptr %5, align 4, !tbaa !8
  %39 = add i32 %38, 1
  store i32 %39, ptr %5, align 4, !tbaa !8
  br label %9, !llvm.loop !17

40:                                               ; preds = %34, %12
  call void @llvm.lifetime.end.p0(i64 4, ptr %5) #4
  br label %41

41:                                               ; preds = %40
  %42 = load i32, ptr %4, align 4, !tbaa !8
  %43 = icmp eq i32 %42, 1
  br i1 %43, label %44, label %49

44:                                               ; preds = %41
  %45 = load ptr, ptr %3, align 8, !tbaa !4
  %46 = getelementptr inbounds %struct.uart, ptr %45, i32 0, i32 13
  %47 = load i64, ptr %46, align 8, !tbaa !19
  %48 = add i64 %47, 1
  store i64 %48, ptr %46, align 8, !tbaa !19
  br label %49

49:                                               ; preds = %44, %41
  %50 = load i32, ptr %4, align 4, !tbaa !8
  store i32 1, ptr %6, align 4
  call void @llvm.lifetime.end.p0(i64 4, ptr %4) #4
  call void @llvm.lifetime.end.p0(i64 8, ptr %3) #4
  ret i32 %50
}

declare dso_local void @xdrv_log(i32 noundef, ptr noundef) #2

; Function Attrs: nounwind
define internal void @uart_out(ptr noundef %0, i32 noundef %1, i8 noundef zeroext %2) #0 {
  %4 = alloca ptr, align 8
  %5 = alloca i32, align 4
  %6 = alloca i8, align 1
  store ptr %0, ptr %4, align 8, !tbaa !4
  store i32 %1, ptr %5, align 4, !tbaa !8
  store i8 %2, ptr %6, align 1, !tbaa !16
  %7 = load ptr, ptr %4, align 8, !tbaa !4
  %8 = getelementptr inbounds %struct.uart, ptr %7, i32 0, i32 1
  %9 = load ptr, ptr %8, align 8, !tbaa !13
  %10 = load i32, ptr %5, align 4, !tbaa !8
  %11 = zext i32 %10 to i64
  %12 = load i8, ptr %6, align 1, !tbaa !16
  call void @xdrv_io_write8(ptr noundef %9, i64 noundef %11, i8 noundef zeroext %12) #5
  ret void
}

declare dso_local void @xdrv_mem_free(ptr noundef) #2

declare dso_local void @xdrv_dev_set_priv(ptr noundef, ptr noundef) #2

; Function Attrs: nounwind
define internal void @uart_log_probe(ptr noundef %0, i16 noundef zeroext %1) #0 {
  %3 = alloca ptr, align 8
  %4 = alloca i16, align 2
  %5 = alloca %struct.xdrv_msg, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i16 %1, ptr %4, align 2, !tbaa !14
  call void @llvm.lifetime.start.p0(i64 164, ptr %5) #4
  call void @xdrv_msg_init(ptr noundef %5) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.15) #5
  %6 = load i16, ptr %4, align 2, !tbaa !14
  %7 = zext i16 %6 to i32
  %8 = udiv i32 115200, %7
  %9 = zext i32 %8 to i64
  call void @xdrv_msg_u64(ptr noundef %5, i64 noundef %9) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.16) #5
  %10 = load i32, ptr @xdrv_param_baud, align 4, !tbaa !8
  %11 = zext i32 %10 to i64
  call void @xdrv_msg_u64(ptr noundef %5, i64 noundef %11) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.17) #5
  %12 = load i16, ptr %4, align 2, !tbaa !14
  %13 = zext i16 %12 to i64
  call void @xdrv_msg_u64(ptr noundef %5, i64 noundef %13) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.18) #5
  %14 = load ptr, ptr %3, align 8, !tbaa !4
  %15 = call zeroext i8 @uart_in(ptr noundef %14, i32 noundef 2) #5
  %16 = zext i8 %15 to i32
  %17 = and i32 %16, 192
  %18 = icmp eq i32 %17, 192
  %19 = zext i1 %18 to i64
  %20 = select i1 %18, ptr @.str.19, ptr @.str.20
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef %20) #5
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef @.str.21) #5
  %21 = load i32, ptr @xdrv_param_echo, align 4, !tbaa !8
  %22 = icmp ne i32 %21, 0
  %23 = zext i1 %22 to i64
  %24 = select i1 %22, ptr @.str.19, ptr @.str.22
  call void @xdrv_msg_str(ptr noundef %5, ptr noundef %24) #5
  call void @xdrv_msg_log(ptr noundef %5, i32 noundef 3) #5
  call void @llvm.lifetime.end.p0(i64 164, ptr %5) #4
  ret void
}

; Function Attrs: nounwind
define internal void @uart_set_ier(ptr noundef %0, i8 noundef zeroext %1) #0 {
  %3 = alloca ptr, align 8
  %4 = alloca i8, align 1
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i8 %1, ptr %4, align 1, !tbaa !16
  %5 = load i8, ptr %4, align 1, !tbaa !16
  %6 = load ptr, ptr %3, align 8, !tbaa !4
  %7 = getelementptr inbounds %struct.uart, ptr %6, i32 0, i32 2
  store i8 %5, ptr %7, align 8, !tbaa !20
  %8 = load ptr, ptr %3, align 8, !tbaa !4
  %9 = load i8, ptr %4, align 1, !tbaa !16
  call void @uart_out(ptr noundef %8, i32 noundef 1, i8 noundef zeroext %9) #5
  ret void
}

; Function Attrs: nounwind
define internal void @tx_queue_str(ptr noundef %0, ptr noundef %1) #0 {
  %3 = alloca ptr, align 8
  %4 = alloca ptr, align 8
  %5 = alloca i32, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  store ptr %1, ptr %4, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %5) #4
  store i32 0, ptr %5, align 4, !tbaa !8
  br label %6

6:                                                ; preds = %13, %2
  %7 = load ptr, ptr %4, align 8, !tbaa !4
  %8 = load i32, ptr %5, align 4, !tbaa !8
  %9 = zext i32 %8 to i64
  %10 = getelementptr inbounds i8, ptr %7, i64 %9
  %11 = load i8, ptr %10, align 1, !tbaa !16
  %12 = icmp ne i8 %11, 0
  br i1 %12, label %13, label %16

13:                                               ; preds = %6
  %14 = load i32, ptr %5, align 4, !tbaa !8
  %15 = add i32 %14, 1
  store i32 %15, ptr %5, align 4, !tbaa !8
  br label %6, !llvm.loop !21

16:                                               ; preds = %6
  %17 = load ptr, ptr %3, align 8, !tbaa !4
  %18 = load ptr, ptr %4, align 8, !tbaa !4
  %19 = load i32, ptr %5, align 4, !tbaa !8
  call void @tx_queue(ptr noundef %17, ptr noundef %18, i32 noundef %19) #5
  call void @llvm.lifetime.end.p0(i64 4, ptr %5) #4
  ret void
}

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(argmem: readwrite)
declare void @llvm.lifetime.end.p0(i64 immarg, ptr nocapture) #1

declare dso_local i32 @xdrv_region_kind(ptr noundef) #2

declare dso_local i64 @xdrv_region_size(ptr noundef) #2

declare dso_local void @xdrv_io_write8(ptr noundef, i64 noundef, i8 noundef zeroext) #2

declare dso_local zeroext i8 @xdrv_io_read8(ptr noundef, i64 noundef) #2

; Function Attrs: nounwind
define internal zeroext i8 @uart_in(ptr noundef %0, i32 noundef %1) #0 {
  %3 = alloca ptr, align 8
  %4 = alloca i32, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i32 %1, ptr %4, align 4, !tbaa !8
  %5 = load ptr, ptr %3, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.uart, ptr %5, i32 0, i32 1
  %7 = load ptr, ptr %6, align 8, !tbaa !13
  %8 = load i32, ptr %4, align 4, !tbaa !8
  %9 = zext i32 %8 to i64
  %10 = call zeroext i8 @xdrv_io_read8(ptr noundef %7, i64 noundef %9) #5
  ret i8 %10
}

; Function Attrs: nounwind
define internal void @rx_drain(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca i32, align 4
  %4 = alloca i32, align 4
  %5 = alloca i8, align 1
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %3) #4
  store i32 0, ptr %3, align 4, !tbaa !8
  br label %6

6:                                                ; preds = %35, %1
  %7 = load i32, ptr %3, align 4, !tbaa !8
  %8 = icmp ult i32 %7, 256
  br i1 %8, label %10, label %9

9:                                                ; preds = %6
  store i32 2, ptr %4, align 4
  br label %38

10:                                               ; preds = %6
  call void @llvm.lifetime.start.p0(i64 1, ptr %5) #4
  %11 = load ptr, ptr %2, align 8, !tbaa !4
  %12 = call zeroext i8 @uart_in(ptr noundef %11, i32 noundef 5) #5
  store i8 %12, ptr %5, align 1, !tbaa !16
  %13 = load i8, ptr %5, align 1, !tbaa !16
  %14 = zext i8 %13 to i32
  %15 = and i32 %14, 2
  %16 = icmp ne i32 %15, 0
  br i1 %16, label %17, label %22

17:                                               ; preds = %10
  %18 = load ptr, ptr %2, align 8, !tbaa !4
  %19 = getelementptr inbounds %struct.uart, ptr %18, i32 0, i32 12
  %20 = load i64, ptr %19, align 8, !tbaa !22
  %21 = add i64 %20, 1
  store i64 %21, ptr %19, align 8, !tbaa !22
  br label %22

22:                                               ; preds = %17, %10
  %23 = load i8, ptr %5, align 1, !tbaa !16
  %24 = zext i8 %23 to i32
  %25 = and i32 %24, 1
  %26 = icmp ne i32 %25, 0
  br i1 %26, label %28, label %27

27:                                               ; preds = %22
  store i32 2, ptr %4, align 4
  br label %32

28:                                               ; preds = %22
  %29 = load ptr, ptr %2, align 8, !tbaa !4
  %30 = load ptr, ptr %2, align 8, !tbaa !4
  %31 = call zeroext i8 @uart_in(ptr noundef %30, i32 noundef 0) #5
  call void @rx_byte(ptr noundef %29, i8 noundef zeroext %31) #5
  store i32 0, ptr %4, align 4
  br label %32

32:                                               ; preds = %28, %27
  call void @llvm.lifetime.end.p0(i64 1, ptr %5) #4
  %33 = load i32, ptr %4, align 4
  switch i32 %33, label %38 [
    i32 0, label %34
  ]

34:                                               ; preds = %32
  br label %35

35:                                               ; preds = %34
  %36 = load i32, ptr %3, align 4, !tbaa !8
  %37 = add i32 %36, 1
  store i32 %37, ptr %3, align 4, !tbaa !8
  br label %6, !llvm.loop !23

38:                                               ; preds = %32, %9
  call void @llvm.lifetime.end.p0(i64 4, ptr %3) #4
  br label %39

39:                                               ; preds = %38
  ret void
}

; Function Attrs: nounwind
define internal void @tx_fill(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca i32, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %3) #4
  store i32 0, ptr %3, align 4, !tbaa !8
  br label %4

4:                                                ; preds = %13, %1
  %5 = load i32, ptr %3, align 4, !tbaa !8
  %6 = icmp ult i32 %5, 16
  br i1 %6, label %7, label %11

7:                                                ; preds = %4
  %8 = load ptr, ptr %2, align 8, !tbaa !4
  %9 = call i32 @tx_queued(ptr noundef %8) #5
  %10 = icmp ne i32 %9, 0
  br label %11

11:                                               ; preds = %7, %4
  %12 = phi i1 [ false, %4 ], [ %10, %7 ]
  br i1 %12, label %13, label %27

13:                                               ; preds = %11
  %14 = load ptr, ptr %2, align 8, !tbaa !4
  %15 = load ptr, ptr %2, align 8, !tbaa !4
  %16 = getelementptr inbounds %struct.uart, ptr %15, i32 0, i32 3
  %17 = load ptr, ptr %2, align 8, !tbaa !4
  %18 = getelementptr inbounds %struct.uart, ptr %17, i32 0, i32 4
  %19 = load i32, ptr %18, align 4, !tbaa !24
  %20 = add i32 %19, 1
  store i32 %20, ptr %18, align 4, !tbaa !24
  %21 = urem i32 %19, 512
  %22 = zext i32 %21 to i64
  %23 = getelementptr inbounds [512 x i8], ptr %16, i64 0, i64 %22
  %24 = load i8, ptr %23, align 1, !tbaa !16
  call void @uart_out(ptr noundef %14, i32 noundef 0, i8 noundef zeroext %24) #5
  %25 = load i32, ptr %3, align 4, !tbaa !8
  %26 = add i32 %25, 1
  store i32 %26, ptr %3, align 4, !tbaa !8
  br label %4, !llvm.loop !25

27:                                               ; preds = %11
  %28 = load i32, ptr %3, align 4, !tbaa !8
  %29 = zext i32 %28 to i64
  %30 = load ptr, ptr %2, align 8, !tbaa !4
  %31 = getelementptr inbounds %struct.uart, ptr %30, i32 0, i32 10
  %32 = load i64, ptr %31, align 8, !tbaa !26
  %33 = add i64 %32, %29
  store i64 %33, ptr %31, align 8, !tbaa !26
  %34 = load ptr, ptr %2, align 8, !tbaa !4
  %35 = call i32 @tx_queued(ptr noundef %34) #5
  %36 = icmp ne i32 %35, 0
  br i1 %36, label %45, label %37

37:                                               ; preds = %27
  %38 = load ptr, ptr %2, align 8, !tbaa !4
  %39 = load ptr, ptr %2, align 8, !tbaa !4
  %40 = getelementptr inbounds %struct.uart, ptr %39, i32 0, i32 2
  %41 = load i8, ptr %40, align 8, !tbaa !20
  %42 = zext i8 %41 to i32
  %43 = and i32 %42, 253
  %44 = trunc i32 %43 to i8
  call void @uart_set_ier(ptr noundef %38, i8 noundef zeroext %44) #5
  br label %45

45:                                               ; preds = %37, %27
  call void @llvm.lifetime.end.p0(i64 4, ptr %3) #4
  ret void
}

; Function Attrs: nounwind
define internal void @rx_byte(ptr noundef %0, i8 noundef zeroext %1) #0 {
  %3 = alloca ptr, align 8
  %4 = alloca i8, align 1
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i8 %1, ptr %4, align 1, !tbaa !16
  %5 = load ptr, ptr %3, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.uart, ptr %5, i32 0, i32 8
  %7 = load i64, ptr %6, align 8, !tbaa !27
  %8 = add i64 %7, 1
  store i64 %8, ptr %6, align 8, !tbaa !27
  %9 = load i32, ptr @xdrv_param_echo, align 4, !tbaa !8
  %10 = icmp ne i32 %9, 0
  br i1 %10, label %11, label %20

11:                                               ; preds = %2
  %12 = load i8, ptr %4, align 1, !tbaa !16
  %13 = zext i8 %12 to i32
  %14 = icmp eq i32 %13, 13
  br i1 %14, label %15, label %17

15:                                               ; preds = %11
  %16 = load ptr, ptr %3, align 8, !tbaa !4
  call void @tx_queue(ptr noundef %16, ptr noundef @.str.12, i32 noundef 2) #5
  br label %19

17:                                               ; preds = %11
  %18 = load ptr, ptr %3, align 8, !tbaa !4
  call void @tx_queue(ptr noundef %18, ptr noundef %4, i32 noundef 1) #5
  br label %19

19:                                               ; preds = %17, %15
  br label %20

20:                                               ; preds = %19, %2
  %21 = load i8, ptr %4, align 1, !tbaa !16
  %22 = zext i8 %21 to i32
  %23 = icmp eq i32 %22, 13
  br i1 %23, label %28, label %24

24:                                               ; preds = %20
  %25 = load i8, ptr %4, align 1, !tbaa !16
  %26 = zext i8 %25 to i32
  %27 = icmp eq i32 %26, 10
  br i1 %27, label %28, label %30

28:                                               ; preds = %24, %20
  %29 = load ptr, ptr %3, align 8, !tbaa !4
  call void @rx_line_done(ptr noundef %29) #5
  br label %46

30:                                               ; preds = %24
  %31 = load ptr, ptr %3, align 8, !tbaa !4
  %32 = getelementptr inbounds %struct.uart, ptr %31, i32 0, i32 7
  %33 = load i32, ptr %32, align 4, !tbaa !28
  %34 = icmp ult i32 %33, 95
  br i1 %34, label %35, label %45

35:                                               ; preds = %30
  %36 = load i8, ptr %4, align 1, !tbaa !16
  %37 = load ptr, ptr %3, align 8, !tbaa !4
  %38 = getelementptr inbounds %struct.uart, ptr %37, i32 0, i32 6
  %39 = load ptr, ptr %3, align 8, !tbaa !4
  %40 = getelementptr inbounds %struct.uart, ptr %39, i32 0, i32 7
  %41 = load i32, ptr %40, align 4, !tbaa !28
  %42 = add i32 %41, 1
  store i32 %42, ptr %40, align 4, !tbaa !28
  %43 = zext i32 %41 to i64
  %44 = getelementptr inbounds [96 x i8], ptr %38, i64 0, i64 %43
  store i8 %36, ptr %44, align 1, !tbaa !16
  br label %45

45:                                               ; preds = %35, %30
  br label %46

46:                                               ; preds = %45, %28
  ret void
}

; Function Attrs: nounwind
define internal void @tx_queue(ptr noundef %0, ptr noundef %1, i32 noundef %2) #0 {
  %4 = alloca ptr, align 8
  %5 = alloca ptr, align 8
  %6 = alloca i32, align 4
  %7 = alloca i32, align 4
  %8 = alloca i32, align 4
  store ptr %0, ptr %4, align 8, !tbaa !4
  store ptr %1, ptr %5, align 8, !tbaa !4
  store i32 %2, ptr %6, align 4, !tbaa !8
  call void @llvm.lifetime.start.p0(i64 4, ptr %7) #4
  store i32 0, ptr %7, align 4, !tbaa !8
  br label %9

9:                                                ; preds = %42, %3
  %10 = load i32, ptr %7, align 4, !tbaa !8
  %11 = load i32, ptr %6, align 4, !tbaa !8
  %12 = icmp ult i32 %10, %11
  br i1 %12, label %14, label %13

13:                                               ; preds = %9
  store i32 2, ptr %8, align 4
  br label %45

14:                                               ; preds = %9
  %15 = load ptr, ptr %4, align 8, !tbaa !4
  %16 = call i32 @tx_queued(ptr noundef %15) #5
  %17 = icmp eq i32 %16, 512
  br i1 %17, label %18, label %27

18:                                               ; preds = %14
  %19 = load i32, ptr %6, align 4, !tbaa !8
  %20 = load i32, ptr %7, align 4, !tbaa !8
  %21 = sub i32 %19, %20
  %22 = zext i32 %21 to i64
  %23 = load ptr, ptr %4, align 8, !tbaa !4
  %24 = getelementptr inbounds %struct.uart, ptr %23, i32 0, i32 11
  %25 = load i64, ptr %24, align 8, !tbaa !29
  %26 = add i64 %25, %22
  store i64 %26, ptr %24, align 8, !tbaa !29
  store i32 2, ptr %8, align 4
  br label %45

27:                                               ; preds = %14
  %28 = load ptr, ptr %5, align 8, !tbaa !4
  %29 = load i32, ptr %7, align 4, !tbaa !8
  %30 = zext i32 %29 to i64
  %31 = getelementptr inbounds i8, ptr %28, i64 %30
  %32 = load i8, ptr %31, align 1, !tbaa !16
  %33 = load ptr, ptr %4, align 8, !tbaa !4
  %34 = getelementptr inbounds %struct.uart, ptr %33, i32 0, i32 3
  %35 = load ptr, ptr %4, align 8, !tbaa !4
  %36 = getelementptr inbounds %struct.uart, ptr %35, i32 0, i32 5
  %37 = load i32, ptr %36, align 8, !tbaa !30
  %38 = add i32 %37, 1
  store i32 %38, ptr %36, align 8, !tbaa !30
  %39 = urem i32 %37, 512
  %40 = zext i32 %39 to i64
  %41 = getelementptr inbounds [512 x i8], ptr %34, i64 0, i64 %40
  store i8 %32, ptr %41, align 1, !tbaa !16
  br label %42

42:                                               ; preds = %27
  %43 = load i32, ptr %7, align 4, !tbaa !8
  %44 = add i32 %43, 1
  store i32 %44, ptr %7, align 4, !tbaa !8
  br label %9, !llvm.loop !31

45:                                               ; preds = %18, %13
  call void @llvm.lifetime.end.p0(i64 4, ptr %7) #4
  br label %46

46:                                               ; preds = %45
  %47 = load ptr, ptr %4, align 8, !tbaa !4
  %48 = call i32 @tx_queued(ptr noundef %47) #5
  %49 = icmp ne i32 %48, 0
  br i1 %49, label %50, label %65

50:                                               ; preds = %46
  %51 = load ptr, ptr %4, align 8, !tbaa !4
  %52 = getelementptr inbounds %struct.uart, ptr %51, i32 0, i32 2
  %53 = load i8, ptr %52, align 8, !tbaa !20
  %54 = zext i8 %53 to i32
  %55 = and i32 %54, 2
  %56 = icmp ne i32 %55, 0
  br i1 %56, label %65, label %57

57:                                               ; preds = %50
  %58 = load ptr, ptr %4, align 8, !tbaa !4
  %59 = load ptr, ptr %4, align 8, !tbaa !4
  %60 = getelementptr inbounds %struct.uart, ptr %59, i32 0, i32 2
  %61 = load i8, ptr %60, align 8, !tbaa !20
  %62 = zext i8 %61 to i32
  %63 = or i32 %62, 2
  %64 = trunc i32 %63 to i8
  call void @uart_set_ier(ptr noundef %58, i8 noundef zeroext %64) #5
  br label %65

65:                                               ; preds = %57, %50, %46
  ret void
}

; Function Attrs: nounwind
define internal void @rx_line_done(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca %struct.xdrv_msg, align 4
  %4 = alloca i32, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 164, ptr %3) #4
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.uart, ptr %5, i32 0, i32 7
  %7 = load i32, ptr %6, align 4, !tbaa !28
  %8 = icmp ne i32 %7, 0
  br i1 %8, label %10, label %9

9:                                                ; preds = %1
  store i32 1, ptr %4, align 4
  br label %27

10:                                               ; preds = %1
  %11 = load ptr, ptr %2, align 8, !tbaa !4
  %12 = getelementptr inbounds %struct.uart, ptr %11, i32 0, i32 6
  %13 = load ptr, ptr %2, align 8, !tbaa !4
  %14 = getelementptr inbounds %struct.uart, ptr %13, i32 0, i32 7
  %15 = load i32, ptr %14, align 4, !tbaa !28
  %16 = zext i32 %15 to i64
  %17 = getelementptr inbounds [96 x i8], ptr %12, i64 0, i64 %16
  store i8 0, ptr %17, align 1, !tbaa !16
  call void @xdrv_msg_init(ptr noundef %3) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.13) #5
  %18 = load ptr, ptr %2, align 8, !tbaa !4
  %19 = getelementptr inbounds %struct.uart, ptr %18, i32 0, i32 6
  %20 = getelementptr inbounds [96 x i8], ptr %19, i64 0, i64 0
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef %20) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.14) #5
  call void @xdrv_msg_log(ptr noundef %3, i32 noundef 3) #5
  %21 = load ptr, ptr %2, align 8, !tbaa !4
  %22 = getelementptr inbounds %struct.uart, ptr %21, i32 0, i32 9
  %23 = load i64, ptr %22, align 8, !tbaa !32
  %24 = add i64 %23, 1
  store i64 %24, ptr %22, align 8, !tbaa !32
  %25 = load ptr, ptr %2, align 8, !tbaa !4
  %26 = getelementptr inbounds %struct.uart, ptr %25, i32 0, i32 7
  store i32 0, ptr %26, align 4, !tbaa !28
  store i32 0, ptr %4, align 4
  br label %27

27:                                               ; preds = %10, %9
  call void @llvm.lifetime.end.p0(i64 164, ptr %3) #4
  %28 = load i32, ptr %4, align 4
  switch i32 %28, label %30 [
    i32 0, label %29
    i32 1, label %29
  ]

29:                                               ; preds = %27, %27
  ret void

30:                                               ; preds = %27
  unreachable
}

; Function Attrs: nounwind
define internal i32 @tx_queued(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  store ptr %0, ptr %2, align 8, !tbaa !4
  %3 = load ptr, ptr %2, align 8, !tbaa !4
  %4 = getelementptr inbounds %struct.uart, ptr %3, i32 0, i32 5
  %5 = load i32, ptr %4, align 8, !tbaa !30
  %6 = load ptr, ptr %2, align 8, !tbaa !4
  %7 = getelementptr inbounds %struct.uart, ptr %6, i32 0, i32 4
  %8 = load i32, ptr %7, align 4, !tbaa !24
  %9 = sub i32 %5, %8
  ret i32 %9
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_init(ptr noundef %0) #3 {
  %2 = alloca ptr, align 8
  store ptr %0, ptr %2, align 8, !tbaa !4
  %3 = load ptr, ptr %2, align 8, !tbaa !4
  %4 = getelementptr inbounds %struct.xdrv_msg, ptr %3, i32 0, i32 1
  store i32 0, ptr %4, align 4, !tbaa !33
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.xdrv_msg, ptr %5, i32 0, i32 0
  %7 = getelementptr inbounds [160 x i8], ptr %6, i64 0, i64 0
  store i8 0, ptr %7, align 4, !tbaa !16
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
  %10 = load i8, ptr %9, align 1, !tbaa !16
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
  %19 = load i8, ptr %17, align 1, !tbaa !16
  call void @xdrv_msg_chr(ptr noundef %16, i8 noundef signext %19) #5
  br label %5, !llvm.loop !35

20:                                               ; preds = %13
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
define internal void @xdrv_msg_chr(ptr noundef %0, i8 noundef signext %1) #3 {
  %3 = alloca ptr, align 8
  %4 = alloca i8, align 1
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i8 %1, ptr %4, align 1, !tbaa !16
  %5 = load ptr, ptr %3, align 8, !tbaa !4
  %6 = getelementptr inbounds %struct.xdrv_msg, ptr %5, i32 0, i32 1
  %7 = load i32, ptr %6, align 4, !tbaa !33
  %8 = add i32 %7, 1
  %9 = icmp ult i32 %8, 160
  br i1 %9, label %10, label %27

10:                                               ; preds = %2
  %11 = load i8, ptr %4, align 1, !tbaa !16
  %12 = load ptr, ptr %3, align 8, !tbaa !4
  %13 = getelementptr inbounds %struct.xdrv_msg, ptr %12, i32 0, i32 0
  %14 = load ptr, ptr %3, align 8, !tbaa !4
  %15 = getelementptr inbounds %struct.xdrv_msg, ptr %14, i32 0, i32 1
  %16 = load i32, ptr %15, align 4, !tbaa !33
  %17 = add i32 %16, 1
  store i32 %17, ptr %15, align 4, !tbaa !33
  %18 = zext i32 %16 to i64
  %19 = getelementptr inbounds [160 x i8], ptr %13, i64 0, i64 %18
  store i8 %11, ptr %19, align 1, !tbaa !16
  %20 = load ptr, ptr %3, align 8, !tbaa !4
  %21 = getelementptr inbounds %struct.xdrv_msg, ptr %20, i32 0, i32 0
  %22 = load ptr, ptr %3, align 8, !tbaa !4
  %23 = getelementptr inbounds %struct.xdrv_msg, ptr %22, i32 0, i32 1
  %24 = load i32, ptr %23, align 4, !tbaa !33
  %25 = zext i32 %24 to i64
  %26 = getelementptr inbounds [160 x i8], ptr %21, i64 0, i64 %25
  store i8 0, ptr %26, align 1, !tbaa !16
  br label %27

27:                                               ; preds = %10, %2
  ret void
}

; Function Attrs: inlinehint nounwind
define internal void @xdrv_msg_u64(ptr noundef %0, i64 noundef %1) #3 {
  %3 = alloca ptr, align 8
  %4 = alloca i64, align 8
  %5 = alloca [20 x i8], align 1
  %6 = alloca i32, align 4
  store ptr %0, ptr %3, align 8, !tbaa !4
  store i64 %1, ptr %4, align 8, !tbaa !36
  call void @llvm.lifetime.start.p0(i64 20, ptr %5) #4
  call void @llvm.lifetime.start.p0(i64 4, ptr %6) #4
  store i32 0, ptr %6, align 4, !tbaa !8
  br label %7

7:                                                ; preds = %25, %2
  %8 = load i64, ptr %4, align 8, !tbaa !36
  %9 = urem i64 %8, 10
  %10 = add i64 48, %9
  %11 = trunc i64 %10 to i8
  %12 = load i32, ptr %6, align 4, !tbaa !8
  %13 = add i32 %12, 1
  store i32 %13, ptr %6, align 4, !tbaa !8
  %14 = zext i32 %12 to i64
  %15 = getelementptr inbounds [20 x i8], ptr %5, i64 0, i64 %14
  store i8 %11, ptr %15, align 1, !tbaa !16
  %16 = load i64, ptr %4, align 8, !tbaa !36
  %17 = udiv i64 %16, 10
  store i64 %17, ptr %4, align 8, !tbaa !36
  br label %18

18:                                               ; preds = %7
  %19 = load i64, ptr %4, align 8, !tbaa !36
  %20 = icmp ne i64 %19, 0
  br i1 %20, label %21, label %25

21:                                               ; preds = %18
  %22 = load i32, ptr %6, align 4, !tbaa !8
  %23 = zext i32 %22 to i64
  %24 = icmp ult i64 %23, 20
  br label %25

25:                                               ; preds = %21, %18
  %26 = phi i1 [ false, %18 ], [ %24, %21 ]
  br i1 %26, label %7, label %27, !llvm.loop !37

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
  %37 = load i8, ptr %36, align 1, !tbaa !16
  call void @xdrv_msg_chr(ptr noundef %32, i8 noundef signext %37) #5
  br label %28, !llvm.loop !38

38:                                               ; preds = %28
  call void @llvm.lifetime.end.p0(i64 4, ptr %6) #4
  call void @llvm.lifetime.end.p0(i64 20, ptr %5) #4
  ret void
}

declare dso_local ptr @xdrv_dev_priv(ptr noundef) #2

declare dso_local void @xdrv_irq_free(ptr noundef, i32 noundef) #2

; Function Attrs: nounwind
define internal void @tx_flush_polled(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca i32, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 4, ptr %3) #4
  store i32 0, ptr %3, align 4, !tbaa !8
  br label %4

4:                                                ; preds = %24, %1
  %5 = load ptr, ptr %2, align 8, !tbaa !4
  %6 = call i32 @tx_queued(ptr noundef %5) #5
  %7 = icmp ne i32 %6, 0
  br i1 %7, label %8, label %11

8:                                                ; preds = %4
  %9 = load i32, ptr %3, align 4, !tbaa !8
  %10 = icmp ult i32 %9, 2048
  br label %11

11:                                               ; preds = %8, %4
  %12 = phi i1 [ false, %4 ], [ %10, %8 ]
  br i1 %12, label %14, label %13

13:                                               ; preds = %11
  call void @llvm.lifetime.end.p0(i64 4, ptr %3) #4
  br label %27

14:                                               ; preds = %11
  %15 = load ptr, ptr %2, align 8, !tbaa !4
  %16 = call zeroext i8 @uart_in(ptr noundef %15, i32 noundef 5) #5
  %17 = zext i8 %16 to i32
  %18 = and i32 %17, 32
  %19 = icmp ne i32 %18, 0
  br i1 %19, label %20, label %22

20:                                               ; preds = %14
  %21 = load ptr, ptr %2, align 8, !tbaa !4
  call void @tx_fill(ptr noundef %21) #5
  br label %23

22:                                               ; preds = %14
  call void @xdrv_delay_us(i32 noundef 100) #5
  br label %23

23:                                               ; preds = %22, %20
  br label %24

24:                                               ; preds = %23
  %25 = load i32, ptr %3, align 4, !tbaa !8
  %26 = add i32 %25, 1
  store i32 %26, ptr %3, align 4, !tbaa !8
  br label %4, !llvm.loop !39

27:                                               ; preds = %13
  ret void
}

; Function Attrs: nounwind
define internal void @uart_log_counts(ptr noundef %0) #0 {
  %2 = alloca ptr, align 8
  %3 = alloca %struct.xdrv_msg, align 4
  store ptr %0, ptr %2, align 8, !tbaa !4
  call void @llvm.lifetime.start.p0(i64 164, ptr %3) #4
  call void @xdrv_msg_init(ptr noundef %3) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.23) #5
  %4 = load ptr, ptr %2, align 8, !tbaa !4
  %5 = getelementptr inbounds %struct.uart, ptr %4, i32 0, i32 8
  %6 = load i64, ptr %5, align 8, !tbaa !27
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %6) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.24) #5
  %7 = load ptr, ptr %2, align 8, !tbaa !4
  %8 = getelementptr inbounds %struct.uart, ptr %7, i32 0, i32 9
  %9 = load i64, ptr %8, align 8, !tbaa !32
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %9) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.25) #5
  %10 = load ptr, ptr %2, align 8, !tbaa !4
  %11 = getelementptr inbounds %struct.uart, ptr %10, i32 0, i32 10
  %12 = load i64, ptr %11, align 8, !tbaa !26
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %12) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.26) #5
  %13 = load ptr, ptr %2, align 8, !tbaa !4
  %14 = getelementptr inbounds %struct.uart, ptr %13, i32 0, i32 11
  %15 = load i64, ptr %14, align 8, !tbaa !29
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %15) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.27) #5
  %16 = load ptr, ptr %2, align 8, !tbaa !4
  %17 = getelementptr inbounds %struct.uart, ptr %16, i32 0, i32 12
  %18 = load i64, ptr %17, align 8, !tbaa !22
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %18) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.28) #5
  %19 = load ptr, ptr %2, align 8, !tbaa !4
  %20 = getelementptr inbounds %struct.uart, ptr %19, i32 0, i32 13
  %21 = load i64, ptr %20, align 8, !tbaa !19
  call void @xdrv_msg_u64(ptr noundef %3, i64 noundef %21) #5
  call void @xdrv_msg_str(ptr noundef %3, ptr noundef @.str.29) #5
  call void @xdrv_msg_log(ptr noundef %3, i32 noundef 3) #5
  call void @llvm.lifetime.end.p0(i64 164, ptr %3) #4
  ret void
}

declare dso_local void @xdrv_delay_us(i32 noundef) #2

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
!10 = !{!11, !5, i64 0}
!11 = !{!"uart", !5, i64 0, !5, i64 8, !6, i64 16, !6, i64 17, !9, i64 532, !9, i64 536, !6, i64 540, !9, i64 636, !12, i64 640, !12, i64 648, !12, i64 656, !12, i64 664, !12, i64 672, !12, i64 680}
!12 = !{!"long long", !6, i64 0}
!13 = !{!11, !5, i64 8}
!14 = !{!15, !15, i64 0}
!15 = !{!"short", !6, i64 0}
!16 = !{!6, !6, i64 0}
!17 = distinct !{!17, !18}
!18 = !{!"llvm.loop.mustprogress"}
!19 = !{!11, !12, i64 680}
!20 = !{!11, !6, i64 16}
!21 = distinct !{!21, !18}
!22 = !{!11, !12, i64 672}
!23 = distinct !{!23, !18}
!24 = !{!11, !9, i64 532}
!25 = distinct !{!25, !18}
!26 = !{!11, !12, i64 656}
!27 = !{!11, !12, i64 640}
!28 = !{!11, !9, i64 636}
!29 = !{!11, !12, i64 664}
!30 = !{!11, !9, i64 536}
!31 = distinct !{!31, !18}
!32 = !{!11, !12, i64 648}
!33 = !{!34, !9, i64 160}
!34 = !{!"xdrv_msg", !6, i64 0, !9, i64 160}
!35 = distinct !{!35, !18}
!36 = !{!12, !12, i64 0}
!37 = distinct !{!37, !18}
!38 = distinct !{!38, !18}
!39 = distinct !{!39, !18}
