source_filename = "prio.c"
target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"

%struct.xdrv_ext_table = type { ptr, i32, i32, i64 }
%struct.xdrv_param = type { ptr, i32, i32, i64, i64, i64, ptr, ptr }
%struct.xdrv_ext = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, [9 x ptr] }

@.str = private unnamed_addr constant [5 x i8] c"prio\00", align 1
@.str.1 = private unnamed_addr constant [6 x i8] c"1.0.0\00", align 1
@tables = internal constant [2 x %struct.xdrv_ext_table] [%struct.xdrv_ext_table { ptr @.str.2, i32 2, i32 64, i64 0 }, %struct.xdrv_ext_table zeroinitializer], align 8
@params = internal constant [2 x %struct.xdrv_param] [%struct.xdrv_param { ptr @.str.3, i32 1, i32 0, i64 5201, i64 0, i64 65535, ptr @xdrv_param_port, ptr @.str.4 }, %struct.xdrv_param zeroinitializer], align 8
@xdrv_extension = dso_local constant %struct.xdrv_ext { i32 1415071064, i32 1000000, i32 128, i32 3, ptr @.str, ptr @.str.1, ptr @tables, ptr @params, ptr @prio_run, [9 x ptr] zeroinitializer }, align 8
@xdrv_param_port = dso_local global i32 0, align 4
@.str.2 = private unnamed_addr constant [6 x i8] c"ports\00", align 1
@.str.3 = private unnamed_addr constant [5 x i8] c"port\00", align 1
@.str.4 = private unnamed_addr constant [55 x i8] c"a high-priority TCP/UDP port (0: only the ports table)\00", align 1

; Function Attrs: nounwind
define internal i32 @prio_run(ptr noundef %0) #0 {
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
  %.sroa.22.0 = phi i32 [ %56, %55 ], [ 0, %52 ], [ 0, %50 ], [ 0, %48 ]
  %.sroa.25.0 = phi i32 [ %58, %55 ], [ 0, %52 ], [ 0, %50 ], [ 0, %48 ]
  br label %60

60:                                               ; preds = %59, %35
  %.sroa.17.0 = phi i32 [ undef, %35 ], [ %38, %59 ]
  %.sroa.22.1 = phi i32 [ undef, %35 ], [ %.sroa.22.0, %59 ]
  %.sroa.25.1 = phi i32 [ undef, %35 ], [ %.sroa.25.0, %59 ]
  %.068 = phi i32 [ -1, %35 ], [ 0, %59 ]
  br label %61

61:                                               ; preds = %60, %23, %18, %13
  %.sroa.17.1 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.17.0, %60 ]
  %.sroa.22.2 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.22.1, %60 ]
  %.sroa.25.2 = phi i32 [ undef, %13 ], [ undef, %18 ], [ undef, %23 ], [ %.sroa.25.1, %60 ]
  %.1 = phi i32 [ -1, %13 ], [ -1, %18 ], [ -1, %23 ], [ %.068, %60 ]
  br label %ext_parse.exit

ext_parse.exit:                                   ; preds = %61, %5
  %.sroa.17.2 = phi i32 [ undef, %5 ], [ %.sroa.17.1, %61 ]
  %.sroa.22.3 = phi i32 [ undef, %5 ], [ %.sroa.22.2, %61 ]
  %.sroa.25.3 = phi i32 [ undef, %5 ], [ %.sroa.25.2, %61 ]
  %.2 = phi i32 [ -1, %5 ], [ %.1, %61 ]
  %62 = icmp ne i32 %.2, 0
  br i1 %62, label %67, label %63

63:                                               ; preds = %ext_parse.exit
  %64 = icmp ne i32 %.sroa.17.2, 6
  br i1 %64, label %65, label %68

65:                                               ; preds = %63
  %66 = icmp ne i32 %.sroa.17.2, 17
  br i1 %66, label %67, label %68

67:                                               ; preds = %65, %ext_parse.exit
  br label %98

68:                                               ; preds = %65, %63
  %69 = icmp eq i32 %.sroa.22.3, 0
  br i1 %69, label %70, label %71

70:                                               ; preds = %68
  br label %high_port.exit1

71:                                               ; preds = %68
  %72 = load i32, ptr @xdrv_param_port, align 4
  %73 = icmp eq i32 %.sroa.22.3, %72
  br i1 %73, label %78, label %74

74:                                               ; preds = %71
  %75 = zext i32 %.sroa.22.3 to i64
  %76 = call i64 @xdrv_ext_tab_get(ptr noundef %0, i32 noundef 0, i64 noundef %75) #2
  %77 = icmp ne i64 %76, 0
  br label %78

78:                                               ; preds = %74, %71
  %79 = phi i1 [ true, %71 ], [ %77, %74 ]
  %80 = zext i1 %79 to i32
  br label %high_port.exit1

high_port.exit1:                                  ; preds = %78, %70
  %.0 = phi i32 [ 0, %70 ], [ %80, %78 ]
  %81 = icmp ne i32 %.0, 0
  br i1 %81, label %96, label %82

82:                                               ; preds = %high_port.exit1
  %83 = icmp eq i32 %.sroa.25.3, 0
  br i1 %83, label %84, label %85

84:                                               ; preds = %82
  br label %high_port.exit

85:                                               ; preds = %82
  %86 = load i32, ptr @xdrv_param_port, align 4
  %87 = icmp eq i32 %.sroa.25.3, %86
  br i1 %87, label %92, label %88

88:                                               ; preds = %85
  %89 = zext i32 %.sroa.25.3 to i64
  %90 = call i64 @xdrv_ext_tab_get(ptr noundef %0, i32 noundef 0, i64 noundef %89) #2
  %91 = icmp ne i64 %90, 0
  br label %92

92:                                               ; preds = %88, %85
  %93 = phi i1 [ true, %85 ], [ %91, %88 ]
  %94 = zext i1 %93 to i32
  br label %high_port.exit

high_port.exit:                                   ; preds = %92, %84
  %.067 = phi i32 [ 0, %84 ], [ %94, %92 ]
  %95 = icmp ne i32 %.067, 0
  br i1 %95, label %96, label %97

96:                                               ; preds = %high_port.exit, %high_port.exit1
  br label %98

97:                                               ; preds = %high_port.exit
  br label %98

98:                                               ; preds = %97, %96, %67
  %.066 = phi i32 [ 256, %67 ], [ 256, %96 ], [ 257, %97 ]
  ret i32 %.066
}

declare dso_local i32 @xdrv_ext_len(ptr noundef) #1

declare dso_local i32 @xdrv_ext_ld16(ptr noundef, i32 noundef) #1

declare dso_local i32 @xdrv_ext_ld8(ptr noundef, i32 noundef) #1

declare dso_local i32 @xdrv_ext_ld32(ptr noundef, i32 noundef) #1

declare dso_local i64 @xdrv_ext_tab_get(ptr noundef, i32 noundef, i64 noundef) #1

attributes #0 = { nounwind "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #1 = { "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #2 = { nobuiltin nounwind "no-builtins" }


