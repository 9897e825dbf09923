;; The multinomial logistic kernels of multiclass-kernels.ts in WebAssembly SIMD (f64x2), for multiclass-simd.ts.
;; Every pointer is a byte offset into the imported memory. Each kernel performs exactly the floating-point operations
;; of its JavaScript twin (classLogits, classGradAccumulate) in the same order, one SIMD lane per JavaScript sum, so
;; both give the same bits.
;; Build: `npm run build:wasm` (wabt) regenerates multiclass-kernels-binary.ts from this file.
(module
  (import "env" "memory" (memory 1))

  ;; out[k·K + c] = Σ_{i<d} a[rows[k]·d + i]·W[c·d + i] (each sum from 0 in increasing i), with W given as wp: class
  ;; pairs interleaved, wp[(c/2)·2d + 2i + (c mod 2)] (an odd K's last pair padded with zeros). Lane j of a vector is
  ;; class c + j; a pass takes two samples × four classes (then two), sharing the loads of the rows and of wp.
  (func (export "logits") (param $a i32) (param $d i32) (param $rows i32) (param $m i32) (param $wp i32) (param $K i32) (param $out i32)
    (local $k i32) (local $c i32) (local $i i32) (local $o0 i32) (local $o1 i32) (local $pw i32) (local $x0 v128) (local $x1 v128) (local $w v128)
    (local $po i32) (local $rowBytes i32) (local $pw2 i32) (local $y0 v128) (local $y1 v128) (local $a0 v128) (local $a1 v128) (local $w2 v128)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (block $pairsDone
      (loop $pairLoop
        (br_if $pairsDone (i32.gt_s (i32.add (local.get $k) (i32.const 2)) (local.get $m)))
        (local.set $o0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $o1 (i32.add (local.get $a) (i32.mul (i32.load offset=4 (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        ;; four classes (two pairs) × two samples per pass while four classes remain
        (block $c4Done
          (loop $c4Loop
            (br_if $c4Done (i32.gt_s (i32.add (local.get $c) (i32.const 4)) (local.get $K)))
            (local.set $pw (i32.add (local.get $wp) (i32.mul (local.get $c) (local.get $rowBytes))))
            (local.set $pw2 (i32.add (local.get $pw) (i32.shl (local.get $rowBytes) (i32.const 1))))
            (local.set $x0 (v128.const f64x2 0 0))
            (local.set $x1 (v128.const f64x2 0 0))
            (local.set $y0 (v128.const f64x2 0 0))
            (local.set $y1 (v128.const f64x2 0 0))
            (local.set $i (i32.const 0))
            (block $i4Done
              (loop $i4Loop
                (br_if $i4Done (i32.ge_s (local.get $i) (local.get $d)))
                (local.set $a0 (v128.load64_splat (i32.add (local.get $o0) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $a1 (v128.load64_splat (i32.add (local.get $o1) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $w (v128.load (i32.add (local.get $pw) (i32.shl (local.get $i) (i32.const 4)))))
                (local.set $w2 (v128.load (i32.add (local.get $pw2) (i32.shl (local.get $i) (i32.const 4)))))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $a0) (local.get $w))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $a1) (local.get $w))))
                (local.set $y0 (f64x2.add (local.get $y0) (f64x2.mul (local.get $a0) (local.get $w2))))
                (local.set $y1 (f64x2.add (local.get $y1) (f64x2.mul (local.get $a1) (local.get $w2))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $i4Loop)))
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $c)) (i32.const 3))))
            (v128.store (local.get $po) (local.get $x0))
            (v128.store offset=16 (local.get $po) (local.get $y0))
            (local.set $po (i32.add (local.get $po) (i32.shl (local.get $K) (i32.const 3))))
            (v128.store (local.get $po) (local.get $x1))
            (v128.store offset=16 (local.get $po) (local.get $y1))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $c4Loop)))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_s (local.get $c) (local.get $K)))
            (local.set $pw (i32.add (local.get $wp) (i32.mul (local.get $c) (local.get $rowBytes))))
            (local.set $x0 (v128.const f64x2 0 0))
            (local.set $x1 (v128.const f64x2 0 0))
            (local.set $i (i32.const 0))
            (block $iDone
              (loop $iLoop
                (br_if $iDone (i32.ge_s (local.get $i) (local.get $d)))
                (local.set $w (v128.load (i32.add (local.get $pw) (i32.shl (local.get $i) (i32.const 4)))))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (v128.load64_splat (i32.add (local.get $o0) (i32.shl (local.get $i) (i32.const 3)))) (local.get $w))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (v128.load64_splat (i32.add (local.get $o1) (i32.shl (local.get $i) (i32.const 3)))) (local.get $w))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $iLoop)))
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $c)) (i32.const 3))))
            (f64.store (local.get $po) (f64x2.extract_lane 0 (local.get $x0)))
            (f64.store (i32.add (local.get $po) (i32.shl (local.get $K) (i32.const 3))) (f64x2.extract_lane 0 (local.get $x1)))
            (if (i32.lt_s (i32.add (local.get $c) (i32.const 1)) (local.get $K))
              (then
                (f64.store offset=8 (local.get $po) (f64x2.extract_lane 1 (local.get $x0)))
                (f64.store offset=8 (i32.add (local.get $po) (i32.shl (local.get $K) (i32.const 3))) (f64x2.extract_lane 1 (local.get $x1)))))
            (local.set $c (i32.add (local.get $c) (i32.const 2)))
            (br $cLoop)))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $pairLoop)))
    ;; an odd last sample
    (if (i32.lt_s (local.get $k) (local.get $m))
      (then
        (local.set $o0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        (block $cDone1
          (loop $cLoop1
            (br_if $cDone1 (i32.ge_s (local.get $c) (local.get $K)))
            (local.set $pw (i32.add (local.get $wp) (i32.mul (local.get $c) (local.get $rowBytes))))
            (local.set $x0 (v128.const f64x2 0 0))
            (local.set $i (i32.const 0))
            (block $iDone1
              (loop $iLoop1
                (br_if $iDone1 (i32.ge_s (local.get $i) (local.get $d)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (v128.load64_splat (i32.add (local.get $o0) (i32.shl (local.get $i) (i32.const 3)))) (v128.load (i32.add (local.get $pw) (i32.shl (local.get $i) (i32.const 4)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $iLoop1)))
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $c)) (i32.const 3))))
            (f64.store (local.get $po) (f64x2.extract_lane 0 (local.get $x0)))
            (if (i32.lt_s (i32.add (local.get $c) (i32.const 1)) (local.get $K))
              (then (f64.store offset=8 (local.get $po) (f64x2.extract_lane 1 (local.get $x0)))))
            (local.set $c (i32.add (local.get $c) (i32.const 2)))
            (br $cLoop1))))))

  ;; out[c·d + i] += alpha·r[k·K + c]·a[rows[k]·d + i] summed as classGradAccumulate does (β applied by the caller):
  ;; classes in pairs, rows in blocks of four added as ((c0x0 + c1x1) + c2x2) + c3x3, then the pair's leftover rows one
  ;; by one; an odd last class row by row. Lanes are features i, i + 1; an odd d's last feature in f64.
  (func (export "gradAccumulate") (param $alpha f64) (param $a i32) (param $d i32) (param $rows i32) (param $m i32) (param $r i32) (param $K i32) (param $out i32)
    (local $c i32) (local $k i32) (local $i i32) (local $rowBytes i32) (local $oc i32) (local $od i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $p i32) (local $d2 i32) (local $ib i32)
    (local $c0 f64) (local $c1 f64) (local $c2 f64) (local $c3 f64) (local $e0 f64) (local $e1 f64) (local $e2 f64) (local $e3 f64)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (local.set $d2 (i32.and (local.get $d) (i32.const -2)))
    (block $pairsDone
      (loop $pairLoop
        (br_if $pairsDone (i32.gt_s (i32.add (local.get $c) (i32.const 2)) (local.get $K)))
        (local.set $oc (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $rowBytes))))
        (local.set $od (i32.add (local.get $oc) (local.get $rowBytes)))
        (local.set $k (i32.const 0))
        (block $blocksDone
          (loop $blockLoop
            (br_if $blocksDone (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $m)))
            (local.set $p (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $o0 (i32.add (local.get $a) (i32.mul (i32.load (local.get $p)) (local.get $rowBytes))))
            (local.set $o1 (i32.add (local.get $a) (i32.mul (i32.load offset=4 (local.get $p)) (local.get $rowBytes))))
            (local.set $o2 (i32.add (local.get $a) (i32.mul (i32.load offset=8 (local.get $p)) (local.get $rowBytes))))
            (local.set $o3 (i32.add (local.get $a) (i32.mul (i32.load offset=12 (local.get $p)) (local.get $rowBytes))))
            ;; r[k·K + c] and r[k·K + c + 1] for the four rows
            (local.set $p (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $c)) (i32.const 3))))
            (local.set $c0 (f64.mul (local.get $alpha) (f64.load (local.get $p))))
            (local.set $e0 (f64.mul (local.get $alpha) (f64.load offset=8 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $K) (i32.const 3))))
            (local.set $c1 (f64.mul (local.get $alpha) (f64.load (local.get $p))))
            (local.set $e1 (f64.mul (local.get $alpha) (f64.load offset=8 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $K) (i32.const 3))))
            (local.set $c2 (f64.mul (local.get $alpha) (f64.load (local.get $p))))
            (local.set $e2 (f64.mul (local.get $alpha) (f64.load offset=8 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $K) (i32.const 3))))
            (local.set $c3 (f64.mul (local.get $alpha) (f64.load (local.get $p))))
            (local.set $e3 (f64.mul (local.get $alpha) (f64.load offset=8 (local.get $p))))
            (local.set $v0 (f64x2.splat (local.get $c0)))
            (local.set $v1 (f64x2.splat (local.get $c1)))
            (local.set $v2 (f64x2.splat (local.get $c2)))
            (local.set $v3 (f64x2.splat (local.get $c3)))
            (local.set $u0 (f64x2.splat (local.get $e0)))
            (local.set $u1 (f64x2.splat (local.get $e1)))
            (local.set $u2 (f64x2.splat (local.get $e2)))
            (local.set $u3 (f64x2.splat (local.get $e3)))
            (local.set $i (i32.const 0))
            (block $iDone
              (loop $iLoop
                (br_if $iDone (i32.ge_s (local.get $i) (local.get $d2)))
                (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
                (local.set $x0 (v128.load (i32.add (local.get $o0) (local.get $ib))))
                (local.set $x1 (v128.load (i32.add (local.get $o1) (local.get $ib))))
                (local.set $x2 (v128.load (i32.add (local.get $o2) (local.get $ib))))
                (local.set $x3 (v128.load (i32.add (local.get $o3) (local.get $ib))))
                (v128.store (i32.add (local.get $oc) (local.get $ib))
                  (f64x2.add (v128.load (i32.add (local.get $oc) (local.get $ib)))
                    (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $v0) (local.get $x0)) (f64x2.mul (local.get $v1) (local.get $x1))) (f64x2.mul (local.get $v2) (local.get $x2))) (f64x2.mul (local.get $v3) (local.get $x3)))))
                (v128.store (i32.add (local.get $od) (local.get $ib))
                  (f64x2.add (v128.load (i32.add (local.get $od) (local.get $ib)))
                    (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $u0) (local.get $x0)) (f64x2.mul (local.get $u1) (local.get $x1))) (f64x2.mul (local.get $u2) (local.get $x2))) (f64x2.mul (local.get $u3) (local.get $x3)))))
                (local.set $i (i32.add (local.get $i) (i32.const 2)))
                (br $iLoop)))
            (if (i32.lt_s (local.get $d2) (local.get $d))
              (then
                (local.set $ib (i32.shl (local.get $d2) (i32.const 3)))
                (local.set $s0 (f64.load (i32.add (local.get $o0) (local.get $ib))))
                (local.set $s1 (f64.load (i32.add (local.get $o1) (local.get $ib))))
                (local.set $s2 (f64.load (i32.add (local.get $o2) (local.get $ib))))
                (local.set $s3 (f64.load (i32.add (local.get $o3) (local.get $ib))))
                (f64.store (i32.add (local.get $oc) (local.get $ib))
                  (f64.add (f64.load (i32.add (local.get $oc) (local.get $ib)))
                    (f64.add (f64.add (f64.add (f64.mul (local.get $c0) (local.get $s0)) (f64.mul (local.get $c1) (local.get $s1))) (f64.mul (local.get $c2) (local.get $s2))) (f64.mul (local.get $c3) (local.get $s3)))))
                (f64.store (i32.add (local.get $od) (local.get $ib))
                  (f64.add (f64.load (i32.add (local.get $od) (local.get $ib)))
                    (f64.add (f64.add (f64.add (f64.mul (local.get $e0) (local.get $s0)) (f64.mul (local.get $e1) (local.get $s1))) (f64.mul (local.get $e2) (local.get $s2))) (f64.mul (local.get $e3) (local.get $s3)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $blockLoop)))
        ;; the pair's leftover rows, one by one
        (block $restDone
          (loop $restLoop
            (br_if $restDone (i32.ge_s (local.get $k) (local.get $m)))
            (local.set $o0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
            (local.set $p (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $c)) (i32.const 3))))
            (local.set $c0 (f64.mul (local.get $alpha) (f64.load (local.get $p))))
            (local.set $e0 (f64.mul (local.get $alpha) (f64.load offset=8 (local.get $p))))
            (call $axpy2 (local.get $c0) (local.get $e0) (local.get $o0) (local.get $oc) (local.get $od) (local.get $d))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $restLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 2)))
        (br $pairLoop)))
    ;; an odd last class, row by row
    (if (i32.lt_s (local.get $c) (local.get $K))
      (then
        (local.set $oc (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $rowBytes))))
        (local.set $k (i32.const 0))
        (block $lastDone
          (loop $lastLoop
            (br_if $lastDone (i32.ge_s (local.get $k) (local.get $m)))
            (local.set $o0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
            (local.set $c0 (f64.mul (local.get $alpha) (f64.load (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $c)) (i32.const 3))))))
            (call $axpy1 (local.get $c0) (local.get $o0) (local.get $oc) (local.get $d))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $lastLoop))))))

  ;; oc[i] += c0·x[i] and od[i] += e0·x[i] for i < d.
  (func $axpy2 (param $c0 f64) (param $e0 f64) (param $x i32) (param $oc i32) (param $od i32) (param $d i32)
    (local $i i32) (local $ib i32) (local $xv v128) (local $cv v128) (local $ev v128) (local $d2 i32)
    (local.set $cv (f64x2.splat (local.get $c0)))
    (local.set $ev (f64x2.splat (local.get $e0)))
    (local.set $d2 (i32.and (local.get $d) (i32.const -2)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_s (local.get $i) (local.get $d2)))
        (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
        (local.set $xv (v128.load (i32.add (local.get $x) (local.get $ib))))
        (v128.store (i32.add (local.get $oc) (local.get $ib)) (f64x2.add (v128.load (i32.add (local.get $oc) (local.get $ib))) (f64x2.mul (local.get $cv) (local.get $xv))))
        (v128.store (i32.add (local.get $od) (local.get $ib)) (f64x2.add (v128.load (i32.add (local.get $od) (local.get $ib))) (f64x2.mul (local.get $ev) (local.get $xv))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $loop)))
    (if (i32.lt_s (local.get $d2) (local.get $d))
      (then
        (local.set $ib (i32.shl (local.get $d2) (i32.const 3)))
        (f64.store (i32.add (local.get $oc) (local.get $ib)) (f64.add (f64.load (i32.add (local.get $oc) (local.get $ib))) (f64.mul (local.get $c0) (f64.load (i32.add (local.get $x) (local.get $ib))))))
        (f64.store (i32.add (local.get $od) (local.get $ib)) (f64.add (f64.load (i32.add (local.get $od) (local.get $ib))) (f64.mul (local.get $e0) (f64.load (i32.add (local.get $x) (local.get $ib)))))))))

  ;; oc[i] += c0·x[i] for i < d.
  (func $axpy1 (param $c0 f64) (param $x i32) (param $oc i32) (param $d i32)
    (local $i i32) (local $ib i32) (local $cv v128) (local $d2 i32)
    (local.set $cv (f64x2.splat (local.get $c0)))
    (local.set $d2 (i32.and (local.get $d) (i32.const -2)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_s (local.get $i) (local.get $d2)))
        (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
        (v128.store (i32.add (local.get $oc) (local.get $ib)) (f64x2.add (v128.load (i32.add (local.get $oc) (local.get $ib))) (f64x2.mul (local.get $cv) (v128.load (i32.add (local.get $x) (local.get $ib))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $loop)))
    (if (i32.lt_s (local.get $d2) (local.get $d))
      (then
        (local.set $ib (i32.shl (local.get $d2) (i32.const 3)))
        (f64.store (i32.add (local.get $oc) (local.get $ib)) (f64.add (f64.load (i32.add (local.get $oc) (local.get $ib))) (f64.mul (local.get $c0) (f64.load (i32.add (local.get $x) (local.get $ib)))))))))
)
