source_filename = "recurse.c"
target datalayout = "e-m:e-v128:32-v16:16-v32:32-v96:32-n8:16:32:64-S128"
target triple = "le64-unknown-unknown"

%struct.xdrv_ext = type { i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr, [9 x ptr] }

@.str = private unnamed_addr constant [8 x i8] c"recurse\00", align 1
@.str.1 = private unnamed_addr constant [6 x i8] c"1.0.0\00", align 1
@xdrv_extension = dso_local constant %struct.xdrv_ext { i32 1415071064, i32 1000000, i32 128, i32 3, ptr @.str, ptr @.str.1, ptr null, ptr null, ptr @recurse_run, [9 x ptr] zeroinitializer }, align 8

; Function Attrs: nounwind
define internal i32 @recurse_run(ptr noundef %0) #0 {
  %2 = call i32 @xdrv_ext_len(ptr noundef %0) #2
  %3 = call i32 @depth(i32 noundef %2) #2
  %4 = icmp eq i32 %3, 0
  %5 = zext i1 %4 to i64
  %6 = select i1 %4, i32 1, i32 0
  ret i32 %6
}

; Function Attrs: nounwind
define internal i32 @depth(i32 noundef %0) #0 {
  %2 = icmp eq i32 %0, 0
  br i1 %2, label %3, label %4

3:                                                ; preds = %1
  br label %8

4:                                                ; preds = %1
  %5 = sub i32 %0, 1
  %6 = call i32 @depth(i32 noundef %5) #2
  %7 = add i32 1, %6
  br label %8

8:                                                ; preds = %4, %3
  %9 = phi i32 [ 0, %3 ], [ %7, %4 ]
  ret i32 %9
}

declare dso_local i32 @xdrv_ext_len(ptr noundef) #1

attributes #0 = { nounwind "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #1 = { "frame-pointer"="all" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" }
attributes #2 = { nobuiltin "no-builtins" }


