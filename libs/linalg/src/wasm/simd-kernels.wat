;; Float64 kernels in WebAssembly SIMD (f64x2) for the hot loops of the built-in problems.
;; Every pointer is a byte offset into the module's memory; f64 arrays are 16-byte aligned by WasmArena.
;; Each kernel performs exactly the floating-point operations of its JavaScript twin in the same order (one SIMD
;; lane per JavaScript accumulator, no fused multiply-add), so both give the same bits: the JavaScript kernels stay
;; the fallback and the reference the tests compare against.
;; Build: `npm run build:wasm` (wabt) regenerates simd-kernels-binary.ts from this file.
(module
  (import "env" "memory" (memory 1))

  ;; out[k] = a[rows[k]] . x for k < m; a is row-major with n columns.
  ;; Twin of gemvRows: per row one accumulator of even columns (lane 0) and one of odd columns (lane 1),
  ;; an odd last column added to the even sum, then out = even + odd. Two rows per pass share the loads of x.
  (func (export "gemvRows") (param $a i32) (param $n i32) (param $rows i32) (param $m i32) (param $x i32) (param $out i32)
    (local $k i32) (local $j i32) (local $p0 i32) (local $p1 i32) (local $rowBytes i32) (local $n2 i32)
    (local $acc0 v128) (local $acc1 v128) (local $xv v128) (local $s0 f64) (local $s1 f64) (local $jb i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.ge_s (i32.add (local.get $k) (i32.const 1)) (local.get $m)))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $p1 (i32.add (local.get $a) (i32.mul (i32.load offset=4 (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $acc0 (v128.const f64x2 0 0))
        (local.set $acc1 (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $n2)))
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $xv (v128.load (i32.add (local.get $x) (local.get $jb))))
            (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (v128.load (i32.add (local.get $p0) (local.get $jb))) (local.get $xv))))
            (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (v128.load (i32.add (local.get $p1) (local.get $jb))) (local.get $xv))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $jLoop)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $acc0)))
        (local.set $s1 (f64x2.extract_lane 0 (local.get $acc1)))
        (if (i32.lt_s (local.get $j) (local.get $n))
          (then
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (i32.add (local.get $p0) (local.get $jb))) (f64.load (i32.add (local.get $x) (local.get $jb))))))
            (local.set $s1 (f64.add (local.get $s1) (f64.mul (f64.load (i32.add (local.get $p1) (local.get $jb))) (f64.load (i32.add (local.get $x) (local.get $jb))))))))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3)))
          (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $acc0))))
        (f64.store offset=8 (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3)))
          (f64.add (local.get $s1) (f64x2.extract_lane 1 (local.get $acc1))))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $pairs)))
    ;; a last single row: one sequential sum, as the JavaScript twin
    (if (i32.lt_s (local.get $k) (local.get $m))
      (then
        (local.set $p0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $s0 (f64.const 0))
        (local.set $j (i32.const 0))
        (block $tDone
          (loop $tLoop
            (br_if $tDone (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (i32.add (local.get $p0) (local.get $jb))) (f64.load (i32.add (local.get $x) (local.get $jb))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tLoop)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))) (local.get $s0)))))

  ;; out[k] = a[rows[k]] . x and outY[k] = a[rows[k]] . y in one pass over the rows (the two products of a
  ;; Hessian-vector product); each with exactly the operations of gemvRows (even/odd lanes, odd last column to the
  ;; even sum).
  (func (export "gemvRows2") (param $a i32) (param $n i32) (param $rows i32) (param $m i32) (param $x i32) (param $out i32) (param $y i32) (param $outY i32)
    (local $k i32) (local $j i32) (local $p0 i32) (local $rowBytes i32) (local $n2 i32) (local $jb i32)
    (local $accX v128) (local $accY v128) (local $av v128) (local $sx f64) (local $sy f64) (local $aj f64)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_s (local.get $k) (local.get $m)))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $accX (v128.const f64x2 0 0))
        (local.set $accY (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $n2)))
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $av (v128.load (i32.add (local.get $p0) (local.get $jb))))
            (local.set $accX (f64x2.add (local.get $accX) (f64x2.mul (local.get $av) (v128.load (i32.add (local.get $x) (local.get $jb))))))
            (local.set $accY (f64x2.add (local.get $accY) (f64x2.mul (local.get $av) (v128.load (i32.add (local.get $y) (local.get $jb))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $jLoop)))
        (local.set $sx (f64x2.extract_lane 0 (local.get $accX)))
        (local.set $sy (f64x2.extract_lane 0 (local.get $accY)))
        (if (i32.lt_s (local.get $j) (local.get $n))
          (then
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $aj (f64.load (i32.add (local.get $p0) (local.get $jb))))
            (local.set $sx (f64.add (local.get $sx) (f64.mul (local.get $aj) (f64.load (i32.add (local.get $x) (local.get $jb))))))
            (local.set $sy (f64.add (local.get $sy) (f64.mul (local.get $aj) (f64.load (i32.add (local.get $y) (local.get $jb))))))))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))) (f64.add (local.get $sx) (f64x2.extract_lane 1 (local.get $accX))))
        (f64.store (i32.add (local.get $outY) (i32.shl (local.get $k) (i32.const 3))) (f64.add (local.get $sy) (f64x2.extract_lane 1 (local.get $accY))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rowsLoop))))

  ;; out += alpha * sum_k w[k] a[rows[k]] (out has n entries; the caller zeroes or scales it first).
  ;; Twin of gemvRowsT: four rows per pass, out[j] += ((c0 a0 + c1 a1) + c2 a2) + c3 a3 with c = alpha w, then
  ;; single rows out[j] += c a.
  (func (export "gemvRowsT") (param $alpha f64) (param $a i32) (param $n i32) (param $rows i32) (param $m i32) (param $w i32) (param $out i32)
    (local $k i32) (local $j i32) (local $jb i32) (local $rowBytes i32) (local $n2 i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $c0 f64) (local $c1 f64) (local $c2 f64) (local $c3 f64)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $o i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (block $quadDone
      (loop $quads
        (br_if $quadDone (i32.ge_s (i32.add (local.get $k) (i32.const 3)) (local.get $m)))
        (local.set $o (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (i32.load (local.get $o)) (local.get $rowBytes))))
        (local.set $p1 (i32.add (local.get $a) (i32.mul (i32.load offset=4 (local.get $o)) (local.get $rowBytes))))
        (local.set $p2 (i32.add (local.get $a) (i32.mul (i32.load offset=8 (local.get $o)) (local.get $rowBytes))))
        (local.set $p3 (i32.add (local.get $a) (i32.mul (i32.load offset=12 (local.get $o)) (local.get $rowBytes))))
        (local.set $o (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 3))))
        (local.set $c0 (f64.mul (local.get $alpha) (f64.load (local.get $o))))
        (local.set $c1 (f64.mul (local.get $alpha) (f64.load offset=8 (local.get $o))))
        (local.set $c2 (f64.mul (local.get $alpha) (f64.load offset=16 (local.get $o))))
        (local.set $c3 (f64.mul (local.get $alpha) (f64.load offset=24 (local.get $o))))
        (local.set $v0 (f64x2.splat (local.get $c0)))
        (local.set $v1 (f64x2.splat (local.get $c1)))
        (local.set $v2 (f64x2.splat (local.get $c2)))
        (local.set $v3 (f64x2.splat (local.get $c3)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_s (local.get $j) (local.get $n2)))
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $o (i32.add (local.get $out) (local.get $jb)))
            (v128.store (local.get $o)
              (f64x2.add (v128.load (local.get $o))
                (f64x2.add
                  (f64x2.add
                    (f64x2.add
                      (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $p0) (local.get $jb))))
                      (f64x2.mul (local.get $v1) (v128.load (i32.add (local.get $p1) (local.get $jb)))))
                    (f64x2.mul (local.get $v2) (v128.load (i32.add (local.get $p2) (local.get $jb)))))
                  (f64x2.mul (local.get $v3) (v128.load (i32.add (local.get $p3) (local.get $jb)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $jLoop)))
        (if (i32.lt_s (local.get $j) (local.get $n))
          (then
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $o (i32.add (local.get $out) (local.get $jb)))
            (f64.store (local.get $o)
              (f64.add (f64.load (local.get $o))
                (f64.add
                  (f64.add
                    (f64.add
                      (f64.mul (local.get $c0) (f64.load (i32.add (local.get $p0) (local.get $jb))))
                      (f64.mul (local.get $c1) (f64.load (i32.add (local.get $p1) (local.get $jb)))))
                    (f64.mul (local.get $c2) (f64.load (i32.add (local.get $p2) (local.get $jb)))))
                  (f64.mul (local.get $c3) (f64.load (i32.add (local.get $p3) (local.get $jb)))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $quads)))
    (block $singleDone
      (loop $singles
        (br_if $singleDone (i32.ge_s (local.get $k) (local.get $m)))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $k) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $c0 (f64.mul (local.get $alpha) (f64.load (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $v0 (f64x2.splat (local.get $c0)))
        (local.set $j (i32.const 0))
        (block $sjDone
          (loop $sjLoop
            (br_if $sjDone (i32.ge_s (local.get $j) (local.get $n2)))
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $o (i32.add (local.get $out) (local.get $jb)))
            (v128.store (local.get $o)
              (f64x2.add (v128.load (local.get $o)) (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $p0) (local.get $jb))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $sjLoop)))
        (if (i32.lt_s (local.get $j) (local.get $n))
          (then
            (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
            (local.set $o (i32.add (local.get $out) (local.get $jb)))
            (f64.store (local.get $o)
              (f64.add (f64.load (local.get $o)) (f64.mul (local.get $c0) (f64.load (i32.add (local.get $p0) (local.get $jb))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $singles))))

  ;; Logits of a 10-class linear model on compressed sparse rows of 8-bit pixels (twin of batchLogits):
  ;; out[k*10 + c] = sum_e value[e] zt[pixel[e]*10 + c] - offset[c] over the stored entries e of row batch[k].
  ;; Ten accumulators in five f64x2 lanes, in the order of the stored entries. The loop walks byte pointers into
  ;; value and pixel (no index arithmetic per entry) and reads value[e] as a float64 from the arena's table of the
  ;; 256 byte values (tab[b] = b, one splatting load instead of a conversion and a splat): per entry one byte, one
  ;; u16 and one 8-byte load beside the five loads of zt, which is what bounds it (measured 4.6 cycles an entry
  ;; against 5.0 for the indexed loop with a conversion; two load ports).
  (func $csr10Logits (export "csr10Logits") (param $rowStart i32) (param $pixel i32) (param $value i32) (param $batch i32) (param $m i32)
        (param $zt i32) (param $offset i32) (param $out i32) (param $tab i32)
    (local $k i32) (local $vp i32) (local $vend i32) (local $pp i32) (local $i i32) (local $q i32) (local $o i32) (local $av v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128)
    (block $kDone
      (loop $kLoop
        (br_if $kDone (i32.ge_s (local.get $k) (local.get $m)))
        (local.set $i (i32.add (local.get $rowStart) (i32.shl (i32.load (i32.add (local.get $batch) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2))))
        (local.set $vp (i32.load (local.get $i)))
        (local.set $vend (i32.add (local.get $value) (i32.load offset=4 (local.get $i))))
        (local.set $pp (i32.add (local.get $pixel) (i32.shl (local.get $vp) (i32.const 1))))
        (local.set $vp (i32.add (local.get $value) (local.get $vp)))
        (local.set $c0 (v128.const f64x2 0 0))
        (local.set $c1 (v128.const f64x2 0 0))
        (local.set $c2 (v128.const f64x2 0 0))
        (local.set $c3 (v128.const f64x2 0 0))
        (local.set $c4 (v128.const f64x2 0 0))
        (block $eDone
          (loop $eLoop
            (br_if $eDone (i32.ge_u (local.get $vp) (local.get $vend)))
            (local.set $av (v128.load64_splat (i32.add (local.get $tab) (i32.shl (i32.load8_u (local.get $vp)) (i32.const 3)))))
            (local.set $q (i32.add (local.get $zt) (i32.mul (i32.load16_u (local.get $pp)) (i32.const 80))))
            (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $av) (v128.load offset=0 (local.get $q)))))
            (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $av) (v128.load offset=16 (local.get $q)))))
            (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $av) (v128.load offset=32 (local.get $q)))))
            (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $av) (v128.load offset=48 (local.get $q)))))
            (local.set $c4 (f64x2.add (local.get $c4) (f64x2.mul (local.get $av) (v128.load offset=64 (local.get $q)))))
            (local.set $vp (i32.add (local.get $vp) (i32.const 1)))
            (local.set $pp (i32.add (local.get $pp) (i32.const 2)))
            (br $eLoop)))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $k) (i32.const 80))))
        (v128.store offset=0 (local.get $o) (f64x2.sub (local.get $c0) (v128.load offset=0 (local.get $offset))))
        (v128.store offset=16 (local.get $o) (f64x2.sub (local.get $c1) (v128.load offset=16 (local.get $offset))))
        (v128.store offset=32 (local.get $o) (f64x2.sub (local.get $c2) (v128.load offset=32 (local.get $offset))))
        (v128.store offset=48 (local.get $o) (f64x2.sub (local.get $c3) (v128.load offset=48 (local.get $offset))))
        (v128.store offset=64 (local.get $o) (f64x2.sub (local.get $c4) (v128.load offset=64 (local.get $offset))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kLoop))))

  ;; Logits of two weight matrices on the same rows: outZ from (zt, offset) and outV from (vt, offsetV), each
  ;; exactly as csr10Logits computes it, as two passes. (One fused pass with twenty accumulators in ten f64x2
  ;; registers was slower, 135-152 us against 107 us for two passes at batch 64: it spills on x86-64.)
  (func (export "csr10Logits2") (param $rowStart i32) (param $pixel i32) (param $value i32) (param $batch i32) (param $m i32)
        (param $zt i32) (param $offset i32) (param $out i32) (param $vt i32) (param $offsetV i32) (param $outV i32) (param $tab i32)
    (call $csr10Logits (local.get $rowStart) (local.get $pixel) (local.get $value) (local.get $batch) (local.get $m)
      (local.get $zt) (local.get $offset) (local.get $out) (local.get $tab))
    (call $csr10Logits (local.get $rowStart) (local.get $pixel) (local.get $value) (local.get $batch) (local.get $m)
      (local.get $vt) (local.get $offsetV) (local.get $outV) (local.get $tab)))

  ;; Gradient accumulation on compressed sparse rows (the inner loop of batchGradient):
  ;; out[pixel[e]*10 + c] += value[e] W[k*10 + c] over the stored entries e of row batch[k], in row order.
  ;; Byte pointers and the value table as in csr10Logits.
  (func (export "csr10Accumulate") (param $rowStart i32) (param $pixel i32) (param $value i32) (param $batch i32) (param $m i32)
        (param $W i32) (param $out i32) (param $tab i32)
    (local $k i32) (local $vp i32) (local $vend i32) (local $pp i32) (local $i i32) (local $q i32) (local $av v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128)
    (block $kDone
      (loop $kLoop
        (br_if $kDone (i32.ge_s (local.get $k) (local.get $m)))
        (local.set $i (i32.add (local.get $rowStart) (i32.shl (i32.load (i32.add (local.get $batch) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2))))
        (local.set $vp (i32.load (local.get $i)))
        (local.set $vend (i32.add (local.get $value) (i32.load offset=4 (local.get $i))))
        (local.set $pp (i32.add (local.get $pixel) (i32.shl (local.get $vp) (i32.const 1))))
        (local.set $vp (i32.add (local.get $value) (local.get $vp)))
        (local.set $q (i32.add (local.get $W) (i32.mul (local.get $k) (i32.const 80))))
        (local.set $w0 (v128.load offset=0 (local.get $q)))
        (local.set $w1 (v128.load offset=16 (local.get $q)))
        (local.set $w2 (v128.load offset=32 (local.get $q)))
        (local.set $w3 (v128.load offset=48 (local.get $q)))
        (local.set $w4 (v128.load offset=64 (local.get $q)))
        (block $eDone
          (loop $eLoop
            (br_if $eDone (i32.ge_u (local.get $vp) (local.get $vend)))
            (local.set $av (v128.load64_splat (i32.add (local.get $tab) (i32.shl (i32.load8_u (local.get $vp)) (i32.const 3)))))
            (local.set $q (i32.add (local.get $out) (i32.mul (i32.load16_u (local.get $pp)) (i32.const 80))))
            (v128.store offset=0 (local.get $q) (f64x2.add (v128.load offset=0 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w0))))
            (v128.store offset=16 (local.get $q) (f64x2.add (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w1))))
            (v128.store offset=32 (local.get $q) (f64x2.add (v128.load offset=32 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w2))))
            (v128.store offset=48 (local.get $q) (f64x2.add (v128.load offset=48 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w3))))
            (v128.store offset=64 (local.get $q) (f64x2.add (v128.load offset=64 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w4))))
            (local.set $vp (i32.add (local.get $vp) (i32.const 1)))
            (local.set $pp (i32.add (local.get $pp) (i32.const 2)))
            (br $eLoop)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kLoop))))

  ;; csr10Accumulate on rows taken two at a time (the same bits when W is finite): pair t holds rows slots[2t] and
  ;; slots[2t+1] (batch positions) as the merged list of their stored pixels, entries pairStart[t] .. pairStart[t+1]-1
  ;; of upix (u16 pixel) and uval (two u8 values per entry, 0 where the row has no such pixel). Per entry
  ;; out[p] <- (out[p] + a W[k0]) + b W[k1]: the row order of csr10Accumulate is kept when the slots are consecutive
  ;; batch positions, and a zero value adds a signed zero, which leaves the sum unchanged. One load and store of out
  ;; per merged pixel instead of one per stored pixel: the stores are what bound csr10Accumulate (one a cycle).
  (func (export "csr10AccumulatePairs") (param $pairStart i32) (param $np i32) (param $upix i32) (param $uval i32) (param $slots i32)
        (param $W i32) (param $out i32) (param $tab i32)
    (local $t i32) (local $e i32) (local $pp i32) (local $vp i32) (local $pend i32) (local $q i32) (local $av v128) (local $bv v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128)
    (block $tDone
      (loop $tLoop
        (br_if $tDone (i32.ge_s (local.get $t) (local.get $np)))
        (local.set $e (i32.load (i32.add (local.get $pairStart) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $pend (i32.add (local.get $upix) (i32.shl (i32.load offset=4 (i32.add (local.get $pairStart) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 1))))
        (local.set $pp (i32.add (local.get $upix) (i32.shl (local.get $e) (i32.const 1))))
        (local.set $vp (i32.add (local.get $uval) (i32.shl (local.get $e) (i32.const 1))))
        (local.set $q (i32.add (local.get $W) (i32.mul (i32.load16_u (i32.add (local.get $slots) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 80))))
        (local.set $w0 (v128.load offset=0 (local.get $q)))
        (local.set $w1 (v128.load offset=16 (local.get $q)))
        (local.set $w2 (v128.load offset=32 (local.get $q)))
        (local.set $w3 (v128.load offset=48 (local.get $q)))
        (local.set $w4 (v128.load offset=64 (local.get $q)))
        (local.set $q (i32.add (local.get $W) (i32.mul (i32.load16_u offset=2 (i32.add (local.get $slots) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 80))))
        (local.set $x0 (v128.load offset=0 (local.get $q)))
        (local.set $x1 (v128.load offset=16 (local.get $q)))
        (local.set $x2 (v128.load offset=32 (local.get $q)))
        (local.set $x3 (v128.load offset=48 (local.get $q)))
        (local.set $x4 (v128.load offset=64 (local.get $q)))
        (block $eDone
          (loop $eLoop
            (br_if $eDone (i32.ge_u (local.get $pp) (local.get $pend)))
            (local.set $av (v128.load64_splat (i32.add (local.get $tab) (i32.shl (i32.load8_u (local.get $vp)) (i32.const 3)))))
            (local.set $bv (v128.load64_splat (i32.add (local.get $tab) (i32.shl (i32.load8_u offset=1 (local.get $vp)) (i32.const 3)))))
            (local.set $q (i32.add (local.get $out) (i32.mul (i32.load16_u (local.get $pp)) (i32.const 80))))
            (v128.store offset=0 (local.get $q)
              (f64x2.add (f64x2.add (v128.load offset=0 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w0))) (f64x2.mul (local.get $bv) (local.get $x0))))
            (v128.store offset=16 (local.get $q)
              (f64x2.add (f64x2.add (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w1))) (f64x2.mul (local.get $bv) (local.get $x1))))
            (v128.store offset=32 (local.get $q)
              (f64x2.add (f64x2.add (v128.load offset=32 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w2))) (f64x2.mul (local.get $bv) (local.get $x2))))
            (v128.store offset=48 (local.get $q)
              (f64x2.add (f64x2.add (v128.load offset=48 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w3))) (f64x2.mul (local.get $bv) (local.get $x3))))
            (v128.store offset=64 (local.get $q)
              (f64x2.add (f64x2.add (v128.load offset=64 (local.get $q)) (f64x2.mul (local.get $av) (local.get $w4))) (f64x2.mul (local.get $bv) (local.get $x4))))
            (local.set $vp (i32.add (local.get $vp) (i32.const 2)))
            (local.set $pp (i32.add (local.get $pp) (i32.const 2)))
            (br $eLoop)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tLoop))))

  ;; Standardization folded into the weights (twin of foldScaling, in place): with z copied into zt beforehand,
  ;; zt[p*10 + c] <- zt[p*10 + c] * scale[p] and offset[c] = sum_p mean[p] zt[p*10 + c], summed in pixel order.
  (func (export "fold10") (param $zt i32) (param $scale i32) (param $mean i32) (param $cols i32) (param $offset i32)
    (local $p i32) (local $q i32) (local $s v128) (local $mu v128) (local $t v128)
    (local $o0 v128) (local $o1 v128) (local $o2 v128) (local $o3 v128) (local $o4 v128)
    (block $pDone
      (loop $pLoop
        (br_if $pDone (i32.ge_s (local.get $p) (local.get $cols)))
        (local.set $s (v128.load64_splat (i32.add (local.get $scale) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $mu (v128.load64_splat (i32.add (local.get $mean) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $q (i32.add (local.get $zt) (i32.mul (local.get $p) (i32.const 80))))
        (local.set $t (f64x2.mul (v128.load offset=0 (local.get $q)) (local.get $s)))
        (v128.store offset=0 (local.get $q) (local.get $t))
        (local.set $o0 (f64x2.add (local.get $o0) (f64x2.mul (local.get $mu) (local.get $t))))
        (local.set $t (f64x2.mul (v128.load offset=16 (local.get $q)) (local.get $s)))
        (v128.store offset=16 (local.get $q) (local.get $t))
        (local.set $o1 (f64x2.add (local.get $o1) (f64x2.mul (local.get $mu) (local.get $t))))
        (local.set $t (f64x2.mul (v128.load offset=32 (local.get $q)) (local.get $s)))
        (v128.store offset=32 (local.get $q) (local.get $t))
        (local.set $o2 (f64x2.add (local.get $o2) (f64x2.mul (local.get $mu) (local.get $t))))
        (local.set $t (f64x2.mul (v128.load offset=48 (local.get $q)) (local.get $s)))
        (v128.store offset=48 (local.get $q) (local.get $t))
        (local.set $o3 (f64x2.add (local.get $o3) (f64x2.mul (local.get $mu) (local.get $t))))
        (local.set $t (f64x2.mul (v128.load offset=64 (local.get $q)) (local.get $s)))
        (v128.store offset=64 (local.get $q) (local.get $t))
        (local.set $o4 (f64x2.add (local.get $o4) (f64x2.mul (local.get $mu) (local.get $t))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pLoop)))
    (v128.store offset=0 (local.get $offset) (local.get $o0))
    (v128.store offset=16 (local.get $offset) (local.get $o1))
    (v128.store offset=32 (local.get $offset) (local.get $o2))
    (v128.store offset=48 (local.get $offset) (local.get $o3))
    (v128.store offset=64 (local.get $offset) (local.get $o4)))

  ;; The last pass of batchGradient (its twin, in place): acc[p*10 + c] <- s_p (acc[p*10 + c] - mean[p] sum_c) with
  ;; s_p = alpha * scale[p] and sum_c the class sums of the batch's weights, passed as ten numbers.
  (func (export "scale10") (param $acc i32) (param $scale i32) (param $mean i32) (param $cols i32) (param $alpha f64)
        (param $s0 f64) (param $s1 f64) (param $s2 f64) (param $s3 f64) (param $s4 f64)
        (param $s5 f64) (param $s6 f64) (param $s7 f64) (param $s8 f64) (param $s9 f64)
    (local $p i32) (local $q i32) (local $s v128) (local $mu v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128)
    (local.set $w0 (f64x2.replace_lane 1 (f64x2.splat (local.get $s0)) (local.get $s1)))
    (local.set $w1 (f64x2.replace_lane 1 (f64x2.splat (local.get $s2)) (local.get $s3)))
    (local.set $w2 (f64x2.replace_lane 1 (f64x2.splat (local.get $s4)) (local.get $s5)))
    (local.set $w3 (f64x2.replace_lane 1 (f64x2.splat (local.get $s6)) (local.get $s7)))
    (local.set $w4 (f64x2.replace_lane 1 (f64x2.splat (local.get $s8)) (local.get $s9)))
    (block $pDone
      (loop $pLoop
        (br_if $pDone (i32.ge_s (local.get $p) (local.get $cols)))
        (local.set $s (f64x2.splat (f64.mul (local.get $alpha) (f64.load (i32.add (local.get $scale) (i32.shl (local.get $p) (i32.const 3)))))))
        (local.set $mu (v128.load64_splat (i32.add (local.get $mean) (i32.shl (local.get $p) (i32.const 3)))))
        (local.set $q (i32.add (local.get $acc) (i32.mul (local.get $p) (i32.const 80))))
        (v128.store offset=0 (local.get $q) (f64x2.mul (local.get $s) (f64x2.sub (v128.load offset=0 (local.get $q)) (f64x2.mul (local.get $mu) (local.get $w0)))))
        (v128.store offset=16 (local.get $q) (f64x2.mul (local.get $s) (f64x2.sub (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $mu) (local.get $w1)))))
        (v128.store offset=32 (local.get $q) (f64x2.mul (local.get $s) (f64x2.sub (v128.load offset=32 (local.get $q)) (f64x2.mul (local.get $mu) (local.get $w2)))))
        (v128.store offset=48 (local.get $q) (f64x2.mul (local.get $s) (f64x2.sub (v128.load offset=48 (local.get $q)) (f64x2.mul (local.get $mu) (local.get $w3)))))
        (v128.store offset=64 (local.get $q) (f64x2.mul (local.get $s) (f64x2.sub (v128.load offset=64 (local.get $q)) (f64x2.mul (local.get $mu) (local.get $w4)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pLoop))))

  ;; One SAGA memory update (twin of SagaMemory.direction): with diff = q - row,
  ;; out = diff + mean, mean <- mean + w diff, row <- q, over n float64; two coordinates a lane pair, the last one
  ;; alone when n is odd. out must not overlap q, row or mean.
  (func (export "sagaDirection") (param $row i32) (param $mean i32) (param $q i32) (param $out i32) (param $n i32) (param $w f64)
    (local $b i32) (local $end i32) (local $wv v128) (local $qv v128) (local $diff v128) (local $m v128)
    (local $qs f64) (local $ds f64) (local $ms f64)
    (local.set $wv (f64x2.splat (local.get $w)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
        (local.set $qv (v128.load (i32.add (local.get $q) (local.get $b))))
        (local.set $diff (f64x2.sub (local.get $qv) (v128.load (i32.add (local.get $row) (local.get $b)))))
        (local.set $m (v128.load (i32.add (local.get $mean) (local.get $b))))
        (v128.store (i32.add (local.get $out) (local.get $b)) (f64x2.add (local.get $diff) (local.get $m)))
        (v128.store (i32.add (local.get $mean) (local.get $b)) (f64x2.add (local.get $m) (f64x2.mul (local.get $wv) (local.get $diff))))
        (v128.store (i32.add (local.get $row) (local.get $b)) (local.get $qv))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $qs (f64.load (i32.add (local.get $q) (local.get $b))))
        (local.set $ds (f64.sub (local.get $qs) (f64.load (i32.add (local.get $row) (local.get $b)))))
        (local.set $ms (f64.load (i32.add (local.get $mean) (local.get $b))))
        (f64.store (i32.add (local.get $out) (local.get $b)) (f64.add (local.get $ds) (local.get $ms)))
        (f64.store (i32.add (local.get $mean) (local.get $b)) (f64.add (local.get $ms) (f64.mul (local.get $w) (local.get $ds))))
        (f64.store (i32.add (local.get $row) (local.get $b)) (local.get $qs)))))
)
