source_filename = "flowcount.c"
target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"

%struct.xdrv_ext_table = type { ptr, i32, i32, i64 }
%struct.xdrv_ext = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, [9 x ptr] }

@.str = private unnamed_addr constant [10 x i8] c"flowcount\00", align 1
@.str.1 = private unnamed_addr constant [6 x i8] c"1.0.0\00", align 1
@tables = internal constant [3 x %struct.xdrv_ext_table] [%struct.xdrv_ext_table { ptr @.str.2, i32 2, i32 4096, i64 0 }, %struct.xdrv_ext_table { ptr @.str.3, i32 2, i32 4096, i64 0 }, %struct.xdrv_ext_table zeroinitializer], align 8
@xdrv_extension = dso_local constant %struct.xdrv_ext { i32 1415071064, i32 1000000, i32 128, i32 3, ptr @.str, ptr @.str.1, ptr @tables, ptr null, ptr @flowcount_run, [9 x ptr] zeroinitializer }, align 8
@.str.2 = private unnamed_addr constant [8 x i8] c"packets\00", align 1
@.str.3 = private unnamed_addr constant [6 x i8] c"bytes\00", align 1

; Function Attrs: nounwind
define internal i32 @flowcount_run(ptr noundef %0) #0 {
  %2 = call i32 @xdrv_ext_len(ptr noundef %0) #2
  %3 = add i32 12, 2
  %4 = icmp ult i32 %2, %3
  br i1 %4, label %5, label %6

5:                                                ; preds = %1
  br label %ext_parse.exit

6:                                                ; preds = %1
  %7 = call i32 @xdrv_ext_ld16(ptr noundef %0, i32 noundef 12) #2
  %8 = icmp eq i32 %7, 33024
  br i1 %8, label %9, label %16

9:                                                ; preds = %6
  %10 = add i32 12, 4
  %11 = add i32 %10, 2
  %12 = icmp ult i32 %2, %11
  br i1 %12, label %13, label %14

13:                                               ; preds = %9
  br label %61

14:                                               ; preds = %9
  %15 = call i32 @xdrv_ext_ld16(ptr noundef %0, i32 noundef %10) #2
  br label %16

16:                                               ; preds = %14, %6
  %.070 = phi i32 [ %15, %14 ], [ %7, %6 ]
  %.069 = phi i32 [ %10, %14 ], [ 12, %6 ]
  %17 = icmp ne i32 %.070, 2048
  br i1 %17, label %18, label %19

18:                                               ; preds = %16
  br label %61

19:                                               ; preds = %16
  %20 = add i32 %.069, 2
  %21 = add i32 %20, 20
  %22 = icmp ult i32 %2, %21
  br i1 %22, label %23, label %24

23:                                               ; preds = %19
  br label %61

24:                                               ; preds = %19
  %25 = call i32 @xdrv_ext_ld8(ptr noundef %0, i32 noundef %20) #2
  %26 = and i32 %25, 15
  %27 = mul i32 %26, 4
  %28 = lshr i32 %25, 4
  %29 = icmp ne i32 %28, 4
  br i1 %29, label %35, label %30

30:                                               ; preds = %24
  %31 = icmp ult i32 %27, 20
  br i1 %31, label %35, label %32

32:                                               ; preds = %30
  %33 = add i32 %20, %27
  %34 = icmp ult i32 %2, %33
  br i1 %34, label %35, label %36

35:                                               ; preds = %32, %30, %24
  br label %60

36:                                               ; preds = %32
  %37 = add i32 %20, 9
  %38 = call i32 @xdrv_ext_ld8(ptr noundef %0, i32 noundef %37) #2
  %39 = add i32 %20, 12
  %40 = call i32 @xdrv_ext_ld32(ptr noundef %0, i32 noundef %39) #2
  %41 = add i32 %20, 16
  %42 = call i32 @xdrv_ext_ld32(ptr noundef %0, i32 noundef %41) #2
  %43 = add i32 %20, %27
  %44 = add i32 %20, 6
  %45 = call i32 @xdrv_ext_ld16(ptr noundef %0, i32 noundef %44) #2
  %46 = and i32 %45, 8191
  %47 = icmp eq i32 %38, 6
  br i1 %47, label %50, label %48

48:                                               ; preds = %36
  %49 = icmp eq i32 %38, 17
  br i1 %49, label %50, label %59

50:                                               ; preds = %48, %36
  %51 = icmp eq i32 %46, 0
  br i1 %51, label %52, label %59

52:                                               ; preds = %50
  %53 = add i32 %43, 4
  %54 = icmp uge i32 %2, %53
  br i1 %54, label %55, label %59

55:                                               ; preds = %52
  %56 = call i32 @xdrv_ext_ld16(ptr noundef %0, i32 noundef %43) #2
  %57 = add i32 %43, 2
  %58 = call i32 @xdrv_ext_ld16(ptr noundef %0, i32 noundef %57) #2
  br label %59

59:                                               ; preds = %55, %52, %50, %48
  %.sroa.23.0 = phi i32 [ %56, %55 ], [ 0, %52 ], [ 0, %50 ], [ 0, %48 ]
  %.sroa.26.0 = phi i32 [ %58, %55 ], [ 0, %52 ], [ 0, %50 ], [ 0, %48 ]
  br label %60

60:                                               ; preds = %59, %35
  %.sroa.19.0 = phi i32 [ undef, %35 ], [ %38, %59 ]
  %.sroa.17.0 = phi i32 [ undef, %35 ], [ %42, %59 ]
  %.sroa.15.0 = phi i32 [ undef, %35 ], [ %40, %59 ]
  %.sroa.23.1 = phi i32 [ undef, %35 ], [ %.sroa.23.0, %59 ]
  %.sroa.26.1 = phi i32 [ undef, %35 ], [ %.sroa.26.0, %59 ]
  %.0 = phi i32 [ -1, %35 ], [ 0, %59 ]
  br label %61

61:                                               ; preds = %60, %23, %18, %13
  %.sroa.19.1 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.19.0, %60 ]
  %.sroa.17.1 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.17.0, %60 ]
  %.sroa.15.1 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.15.0, %60 ]
  %.sroa.23.2 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.23.1, %60 ]
  %.sroa.26.2 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.26.1, %60 ]
  %.1 = phi i32 [ -1, %13 ], [ -1, %18 ], [ -1, %23 ], [ %.0, %60 ]
  br label %ext_parse.exit

ext_parse.exit:                                   ; preds = %61, %5
  %.sroa.19.2 = phi i32 [ undef, %5 ], [ %.sroa.19.1, %61 ]
  %.sroa.17.2 = phi i32 [ undef, %5 ], [ %.sroa.17.1, %61 ]
  %.sroa.15.2 = phi i32 [ undef, %5 ], [ %.sroa.15.1, %61 ]
  %.sroa.23.3 = phi i32 [ undef, %5 ], [ %.sroa.23.2, %61 ]
  %.sroa.26.3 = phi i32 [ undef, %5 ], [ %.sroa.26.2, %61 ]
  %.2 = phi i32 [ -1, %5 ], [ %.1, %61 ]
  %62 = icmp eq i32 %.2, 0
  br i1 %62, label %63, label %73

63:                                               ; preds = %ext_parse.exit
  %64 = call i64 @fnv(i64 noundef -3750763034362895579, i32 noundef %.sroa.15.2, i32 noundef 4) #3
  %65 = call i64 @fnv(i64 noundef %64, i32 noundef %.sroa.17.2, i32 noundef 4) #3
  %66 = call i64 @fnv(i64 noundef %65, i32 noundef %.sroa.19.2, i32 noundef 1) #3
  %67 = call i64 @fnv(i64 noundef %66, i32 noundef %.sroa.23.3, i32 noundef 2) #3
  %68 = call i64 @fnv(i64 noundef %67, i32 noundef %.sroa.26.3, i32 noundef 2) #3
  %69 = icmp ne i64 %68, 0
  br i1 %69, label %70, label %71

70:                                               ; preds = %63
  br label %flow_key.exit

71:                                               ; preds = %63
  br label %flow_key.exit

flow_key.exit:                                    ; preds = %71, %70
  %72 = phi i64 [ %68, %70 ], [ 1, %71 ]
  br label %74

73:                                               ; preds = %ext_parse.exit
  br label %74

74:                                               ; preds = %73, %flow_key.exit
  %75 = phi i64 [ %72, %flow_key.exit ], [ 0, %73 ]
  %76 = call i64 @xdrv_ext_tab_add(ptr noundef %0, i32 noundef 0, i64 noundef %75, i64 noundef 1) #3
  %77 = call i32 @xdrv_ext_len(ptr noundef %0) #3
  %78 = zext i32 %77 to i64
  %79 = call i64 @xdrv_ext_tab_add(ptr noundef %0, i32 noundef 1, i64 noundef %75, i64 noundef %78) #3
  ret i32 0
}

declare dso_local i64 @xdrv_ext_tab_add(ptr noundef, i32 noundef, i64 noundef, i64 noundef) #1

declare dso_local i32 @xdrv_ext_len(ptr noundef) #1

declare dso_local i32 @xdrv_ext_ld16(ptr noundef, i32 noundef) #1

declare dso_local i32 @xdrv_ext_ld8(ptr noundef, i32 noundef) #1

declare dso_local i32 @xdrv_ext_ld32(ptr noundef, i32 noundef) #1

; Function Attrs: nounwind
define internal i64 @fnv(i64 noundef %0, i32 noundef %1, i32 noundef %2) #0 {
  br label %4

4:                                                ; preds = %15, %3
  %.08 = phi i64 [ %0, %3 ], [ %14, %15 ]
  %.0 = phi i32 [ %2, %3 ], [ %16, %15 ]
  %5 = icmp ugt i32 %.0, 0
  br i1 %5, label %7, label %6

6:                                                ; preds = %4
  br label %17

7:                                                ; preds = %4
  %8 = sub i32 %.0, 1
  %9 = mul i32 8, %8
  %10 = lshr i32 %1, %9
  %11 = and i32 %10, 255
  %12 = zext i32 %11 to i64
  %13 = xor i64 %.08, %12
  %14 = mul i64 %13, 1099511628211
  br label %15

15:                                               ; preds = %7
  %16 = add i32 %.0, -1
  br label %4

17:                                               ; preds = %6
  ret i64 %.08
}

attributes #0 = { nounwind "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #1 = { "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #2 = { nobuiltin nounwind "no-builtins" }
attributes #3 = { nobuiltin "no-builtins" }


