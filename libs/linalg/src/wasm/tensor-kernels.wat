;; The tensor engine's matrix-product kernels in WebAssembly SIMD (f64x2): packing routines and a register-blocked
;; macro-kernel, driven by tensor-gemm.ts, which lowers matmul and the three convolutions to
;;   C[i, j] ← C⁰[i, j] + A[i, 0]·B[0, j] + A[i, 1]·B[1, j] + … + A[i, k−1]·B[k−1, j]
;; summed left to right (C⁰ the old C, or +0), one multiply then one add per term, no fused multiply-add.
;; The JavaScript twins in tensor-kernels-js.ts perform the same operations on the same packed layouts, so both give
;; the same bits; the blocking only decides which terms are summed in which call, never their order.
;;
;; Packed layouts (k the length of the current block of the reduction index, MR = 5 or 4 chosen per call):
;;   A: panels of MR rows, panel r holds A[MR·r + i, p] twice (a splatted f64x2) at (p·MR + i)·2 + 0..1, i < MR
;;      (rows past the block's end are +0);
;;   B: panels of 4 columns, panel s holds B[p, 4s + 0..3] at p·4 + 0..3 (columns past the end are +0).
;; The 5 × 4 micro-kernel keeps its 20 sums in ten f64x2 locals (two columns per lane pair) and, per p, loads two
;; f64x2 of B and five of A and performs ten f64x2 multiplies and ten adds; the 4 × 4 one likewise with eight.
;; Measured on this machine (Zen 3, Node 20) in isolation on L1-resident panels: 20.1 GFLOP/s (5 × 4) and 19.3 (4 × 4),
;; against 17.8 for 4 × 4 with load64_splat of A and a counted loop; 6 × 4, 4 × 6 and 3 × 8 tiles need more than V8's
;; 15 vector registers and spill (12 to 14), and unrolling p makes V8 schedule the loads of both steps first and spill
;; (13 to 14). V8 emits about 33 instructions per term for 5 × 4 (20 of them vector arithmetic), so the loop is bound
;; by the 6-wide dispatch rather than by the four FP pipes (8 flops per cycle). tensor-gemm.ts picks MR per call:
;; 4 where 5-row panels would waste more rows than the 4 % speed difference (m = 32: 35 rows).
;; Every pointer is a byte offset into the imported memory; every stride is in bytes.
;; Build: `npm run build:wasm` (wabt) regenerates tensor-kernels-binary.ts from this file.
(module
  (import "env" "memory" (memory 1))

  ;; C[0..MR−1, 0..3] (+)= Apanel · Bpanel over kc ≥ 1 terms, MR = 5 ($micro5) or 4 ($micro4). C rows are ldc bytes
  ;; apart. With first ≠ 0 the sums start from +0 (C is only written), else from the current C. Per term: two f64x2
  ;; of B, MR pre-splatted f64x2 of A, 2·MR multiplies and 2·MR adds; for MR = 5 the ten sums, two B vectors, one A
  ;; vector and one product fill 14 of the 15 vector registers V8 allocates on x86-64. The loop ends on the A pointer
  ;; (a counter costs one more instruction per term; 4 × 4 measured 18.4 GFLOP/s with it, 19.3 without).
  (func $micro5 (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $first i32)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local $c40 v128) (local $c41 v128) (local $b0 v128) (local $b1 v128) (local $av v128) (local $cp i32) (local $end i32)
    (if (i32.eqz (local.get $first))
      (then
        (local.set $cp (local.get $c))
        (local.set $c00 (v128.load (local.get $cp)))
        (local.set $c01 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c10 (v128.load (local.get $cp)))
        (local.set $c11 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c20 (v128.load (local.get $cp)))
        (local.set $c21 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c30 (v128.load (local.get $cp)))
        (local.set $c31 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c40 (v128.load (local.get $cp)))
        (local.set $c41 (v128.load offset=16 (local.get $cp)))))
    (local.set $end (i32.add (local.get $a) (i32.mul (local.get $kc) (i32.const 80))))
    (block $done
      (loop $terms
        (br_if $done (i32.eq (local.get $a) (local.get $end)))
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $av (v128.load (local.get $a)))
        (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=16 (local.get $a)))
        (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=32 (local.get $a)))
        (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=48 (local.get $a)))
        (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=64 (local.get $a)))
        (local.set $c40 (f64x2.add (local.get $c40) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c41 (f64x2.add (local.get $c41) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $a (i32.add (local.get $a) (i32.const 80)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br $terms)))
    (local.set $cp (local.get $c))
    (v128.store (local.get $cp) (local.get $c00))
    (v128.store offset=16 (local.get $cp) (local.get $c01))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c10))
    (v128.store offset=16 (local.get $cp) (local.get $c11))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c20))
    (v128.store offset=16 (local.get $cp) (local.get $c21))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c30))
    (v128.store offset=16 (local.get $cp) (local.get $c31))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c40))
    (v128.store offset=16 (local.get $cp) (local.get $c41)))

  (func $micro4 (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $first i32)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128) (local $b0 v128) (local $b1 v128) (local $av v128) (local $cp i32) (local $end i32)
    (if (i32.eqz (local.get $first))
      (then
        (local.set $cp (local.get $c))
        (local.set $c00 (v128.load (local.get $cp)))
        (local.set $c01 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c10 (v128.load (local.get $cp)))
        (local.set $c11 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c20 (v128.load (local.get $cp)))
        (local.set $c21 (v128.load offset=16 (local.get $cp)))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (local.set $c30 (v128.load (local.get $cp)))
        (local.set $c31 (v128.load offset=16 (local.get $cp)))))
    (local.set $end (i32.add (local.get $a) (i32.mul (local.get $kc) (i32.const 64))))
    (block $done
      (loop $terms
        (br_if $done (i32.eq (local.get $a) (local.get $end)))
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
        (local.set $av (v128.load (local.get $a)))
        (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=16 (local.get $a)))
        (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=32 (local.get $a)))
        (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load offset=48 (local.get $a)))
        (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br $terms)))
    (local.set $cp (local.get $c))
    (v128.store (local.get $cp) (local.get $c00))
    (v128.store offset=16 (local.get $cp) (local.get $c01))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c10))
    (v128.store offset=16 (local.get $cp) (local.get $c11))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c20))
    (v128.store offset=16 (local.get $cp) (local.get $c21))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (v128.store (local.get $cp) (local.get $c30))
    (v128.store offset=16 (local.get $cp) (local.get $c31)))

  ;; Copies an mr × nr corner between a C block (rows ldc bytes apart) and a 5 × 4 tile (rows 32 bytes apart).
  (func $tileCopy (param $from i32) (param $fromLd i32) (param $to i32) (param $toLd i32) (param $mr i32) (param $nr i32)
    (local $r i32) (local $q i32)
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $mr)))
        (local.set $q (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $q) (local.get $nr)))
            (f64.store
              (i32.add (i32.add (local.get $to) (i32.mul (local.get $r) (local.get $toLd))) (i32.shl (local.get $q) (i32.const 3)))
              (f64.load (i32.add (i32.add (local.get $from) (i32.mul (local.get $r) (local.get $fromLd))) (i32.shl (local.get $q) (i32.const 3)))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $cols)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; C[0..mc, 0..nc] (+)= Apacked · Bpacked over kc ≥ 1 terms, C rows ldc bytes apart, A packed in panels of
  ;; $MR = 5 or 4 rows: the MR × 4 micro-kernel on every tile, panels of B outermost (one B panel stays in L1 while
  ;; the A panels stream from L2). A tile that sticks out of the block runs on the 5 × 4 scratch `tile` and only its
  ;; inner corner is copied back.
  (func (export "macro") (param $MR i32) (param $mc i32) (param $nc i32) (param $kc i32) (param $pa i32) (param $pb i32)
    (param $c i32) (param $ldc i32) (param $first i32) (param $tile i32)
    (local $jr i32) (local $ir i32) (local $mr i32) (local $nr i32) (local $ap i32) (local $cij i32) (local $bp i32) (local $to i32) (local $ld i32)
    (block $jDone
      (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $jr) (local.get $nc)))
        (local.set $nr (select (i32.const 4) (i32.sub (local.get $nc) (local.get $jr))
          (i32.ge_u (i32.sub (local.get $nc) (local.get $jr)) (i32.const 4))))
        ;; panel jr/4 of B starts at (jr/4)·kc·32 bytes, panel ir/MR of A at (ir/MR)·kc·MR·16 bytes
        (local.set $bp (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 3))))
        (local.set $ir (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $ir) (local.get $mc)))
            (local.set $mr (select (local.get $MR) (i32.sub (local.get $mc) (local.get $ir))
              (i32.ge_u (i32.sub (local.get $mc) (local.get $ir)) (local.get $MR))))
            (local.set $ap (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 4))))
            (local.set $cij (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $ir) (local.get $ldc)) (i32.shl (local.get $jr) (i32.const 3)))))
            ;; a whole tile writes C in place, an edge tile the scratch tile
            (local.set $to (local.get $cij))
            (local.set $ld (local.get $ldc))
            (if (i32.or (i32.ne (local.get $mr) (local.get $MR)) (i32.ne (local.get $nr) (i32.const 4)))
              (then
                (local.set $to (local.get $tile))
                (local.set $ld (i32.const 32))
                (if (i32.eqz (local.get $first))
                  (then (call $tileCopy (local.get $cij) (local.get $ldc) (local.get $tile) (i32.const 32) (local.get $mr) (local.get $nr))))))
            (if (i32.eq (local.get $MR) (i32.const 5))
              (then (call $micro5 (local.get $kc) (local.get $ap) (local.get $bp) (local.get $to) (local.get $ld) (local.get $first)))
              (else (call $micro4 (local.get $kc) (local.get $ap) (local.get $bp) (local.get $to) (local.get $ld) (local.get $first))))
            (if (i32.ne (local.get $to) (local.get $cij))
              (then (call $tileCopy (local.get $tile) (i32.const 32) (local.get $cij) (local.get $ldc) (local.get $mr) (local.get $nr))))
            (local.set $ir (i32.add (local.get $ir) (local.get $MR)))
            (br $iLoop)))
        (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
        (br $jLoop))))

  ;; Packs the mc × kc block A[i, p] = src[i·rs + p·cs] into panels of $MR rows, each entry twice (see the layout
  ;; above): the micro-kernel loads a splatted f64x2 with an ordinary load. Rows past mc are +0.
  (func (export "packA") (param $MR i32) (param $src i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $ir i32) (local $mr i32) (local $p i32) (local $r i32) (local $s i32) (local $row i32)
    (block $panelsDone
      (loop $panels
        (br_if $panelsDone (i32.ge_u (local.get $ir) (local.get $mc)))
        (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $ir) (local.get $rs))))
        (local.set $p (i32.const 0))
        (if (i32.and (i32.ge_u (local.get $mr) (i32.const 5)) (i32.eq (local.get $MR) (i32.const 5)))
          (then
            (block $f5Done
              (loop $f5Loop
                (br_if $f5Done (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $row (local.get $s))
                (v128.store (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=16 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=32 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=48 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=64 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 80)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $f5Loop))))
          (else (if (i32.and (i32.ge_u (local.get $mr) (i32.const 4)) (i32.eq (local.get $MR) (i32.const 4)))
          (then
            (block $f4Done
              (loop $f4Loop
                (br_if $f4Done (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $row (local.get $s))
                (v128.store (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=16 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=32 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $row (i32.add (local.get $row) (local.get $rs)))
                (v128.store offset=48 (local.get $dst) (v128.load64_splat (local.get $row)))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $f4Loop))))
          (else
            ;; the last, partial panel
            (block $pDone
              (loop $pLoop
                (br_if $pDone (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $row (local.get $s))
                (local.set $r (i32.const 0))
                (block $rDone
                  (loop $rLoop
                    (br_if $rDone (i32.ge_u (local.get $r) (local.get $MR)))
                    (v128.store (local.get $dst)
                      (if (result v128) (i32.lt_u (local.get $r) (local.get $mr))
                        (then (v128.load64_splat (local.get $row)))
                        (else (v128.const f64x2 0 0))))
                    (local.set $row (i32.add (local.get $row) (local.get $rs)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rLoop)))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $pLoop)))))))
        (local.set $ir (i32.add (local.get $ir) (local.get $MR)))
        (br $panels))))

  ;; Packs the kc × nc block B[p, j] = src[p·rs + j·cs] into panels of 4 columns (see the layout above).
  (func (export "packB") (param $src i32) (param $rs i32) (param $cs i32) (param $kc i32) (param $nc i32) (param $dst i32)
    (local $jr i32) (local $nr i32) (local $p i32) (local $q i32) (local $s i32)
    (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local.set $o1 (local.get $cs))
    (local.set $o2 (i32.shl (local.get $cs) (i32.const 1)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $cs)))
    (block $panelsDone
      (loop $panels
        (br_if $panelsDone (i32.ge_u (local.get $jr) (local.get $nc)))
        (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jr) (local.get $cs))))
        (local.set $p (i32.const 0))
        (if (i32.and (i32.ge_u (local.get $nr) (i32.const 8)) (i32.eq (local.get $cs) (i32.const 8)))
          (then
            ;; eight columns side by side in memory (B stored row-major): two panels at once, a whole cache line
            ;; per row (one panel at a time reads each line twice)
            (local.set $o1 (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))
            (block $wDone
              (loop $wLoop
                (br_if $wDone (i32.ge_u (local.get $p) (local.get $kc)))
                (v128.store (local.get $dst) (v128.load (local.get $s)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))
                (v128.store (local.get $o1) (v128.load offset=32 (local.get $s)))
                (v128.store offset=16 (local.get $o1) (v128.load offset=48 (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $rs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $o1 (i32.add (local.get $o1) (i32.const 32)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $wLoop)))
            ;; dst is past the first panel: skip the second
            (local.set $dst (local.get $o1))
            (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
            (local.set $o1 (local.get $cs)))
          (else
        (if (i32.ge_u (local.get $nr) (i32.const 4))
          (then
            (if (i32.eq (local.get $cs) (i32.const 8))
              (then
                ;; four columns side by side in memory (B stored row-major): two vector copies per p
                (block $cDone
                  (loop $cLoop
                    (br_if $cDone (i32.ge_u (local.get $p) (local.get $kc)))
                    (v128.store (local.get $dst) (v128.load (local.get $s)))
                    (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))
                    (local.set $s (i32.add (local.get $s) (local.get $rs)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $cLoop))))
              (else
                (block $sDone
                  (loop $sLoop
                    (br_if $sDone (i32.ge_u (local.get $p) (local.get $kc)))
                    (f64.store (local.get $dst) (f64.load (local.get $s)))
                    (f64.store offset=8 (local.get $dst) (f64.load (i32.add (local.get $s) (local.get $o1))))
                    (f64.store offset=16 (local.get $dst) (f64.load (i32.add (local.get $s) (local.get $o2))))
                    (f64.store offset=24 (local.get $dst) (f64.load (i32.add (local.get $s) (local.get $o3))))
                    (local.set $s (i32.add (local.get $s) (local.get $rs)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $sLoop))))))
          (else
            ;; the last, partial panel: columns past nc are +0
            (block $eDone
              (loop $eLoop
                (br_if $eDone (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $q (i32.const 0))
                (block $qDone
                  (loop $qLoop
                    (br_if $qDone (i32.ge_u (local.get $q) (i32.const 4)))
                    (f64.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 3)))
                      (if (result f64) (i32.lt_u (local.get $q) (local.get $nr))
                        (then (f64.load (i32.add (local.get $s) (i32.mul (local.get $q) (local.get $cs)))))
                        (else (f64.const 0))))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $qLoop)))
                (local.set $s (i32.add (local.get $s) (local.get $rs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $eLoop)))))))
        (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
        (br $panels))))

  ;; Packs the kc × nc block B[p, j] = src[8·(pOff[p] + jOff[j])] into panels of 4 columns, pOff and jOff being
  ;; i32 tables of element offsets (the implicit im2col of the convolutions: a tap offset plus a position offset).
  (func (export "packBTable") (param $src i32) (param $pOff i32) (param $jOff i32) (param $kc i32) (param $nc i32) (param $dst i32)
    (local $jr i32) (local $nr i32) (local $p i32) (local $q i32) (local $base i32) (local $pt i32)
    (local $j0 i32) (local $j1 i32) (local $j2 i32) (local $j3 i32)
    (block $panelsDone
      (loop $panels
        (br_if $panelsDone (i32.ge_u (local.get $jr) (local.get $nc)))
        (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
        (local.set $pt (local.get $pOff))
        (local.set $p (i32.const 0))
        (if (i32.ge_u (local.get $nr) (i32.const 4))
          (then
            (local.set $j0 (i32.shl (i32.load (i32.add (local.get $jOff) (i32.shl (local.get $jr) (i32.const 2)))) (i32.const 3)))
            (local.set $j1 (i32.shl (i32.load offset=4 (i32.add (local.get $jOff) (i32.shl (local.get $jr) (i32.const 2)))) (i32.const 3)))
            (local.set $j2 (i32.shl (i32.load offset=8 (i32.add (local.get $jOff) (i32.shl (local.get $jr) (i32.const 2)))) (i32.const 3)))
            (local.set $j3 (i32.shl (i32.load offset=12 (i32.add (local.get $jOff) (i32.shl (local.get $jr) (i32.const 2)))) (i32.const 3)))
            (block $fDone
              (loop $fLoop
                (br_if $fDone (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $base (i32.add (local.get $src) (i32.shl (i32.load (local.get $pt)) (i32.const 3))))
                (f64.store (local.get $dst) (f64.load (i32.add (local.get $base) (local.get $j0))))
                (f64.store offset=8 (local.get $dst) (f64.load (i32.add (local.get $base) (local.get $j1))))
                (f64.store offset=16 (local.get $dst) (f64.load (i32.add (local.get $base) (local.get $j2))))
                (f64.store offset=24 (local.get $dst) (f64.load (i32.add (local.get $base) (local.get $j3))))
                (local.set $pt (i32.add (local.get $pt) (i32.const 4)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $fLoop))))
          (else
            (block $eDone
              (loop $eLoop
                (br_if $eDone (i32.ge_u (local.get $p) (local.get $kc)))
                (local.set $base (i32.add (local.get $src) (i32.shl (i32.load (local.get $pt)) (i32.const 3))))
                (local.set $q (i32.const 0))
                (block $qDone
                  (loop $qLoop
                    (br_if $qDone (i32.ge_u (local.get $q) (i32.const 4)))
                    (f64.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 3)))
                      (if (result f64) (i32.lt_u (local.get $q) (local.get $nr))
                        (then (f64.load (i32.add (local.get $base)
                          (i32.shl (i32.load (i32.add (local.get $jOff) (i32.shl (i32.add (local.get $jr) (local.get $q)) (i32.const 2)))) (i32.const 3)))))
                        (else (f64.const 0))))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $qLoop)))
                (local.set $pt (i32.add (local.get $pt) (i32.const 4)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $eLoop)))))
        (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
        (br $panels))))

  ;; dst ← a zero-filled ch × hb × wb array with src[c, y, x] (ch × h × w) at [c, oy + y·dy, ox + x·dx]: the
  ;; zero-padded (and, for the input gradient of a strided convolution, dilated) image the table packing reads.
  (func (export "padCopy") (param $src i32) (param $ch i32) (param $h i32) (param $w i32) (param $dst i32)
    (param $hb i32) (param $wb i32) (param $oy i32) (param $ox i32) (param $dy i32) (param $dx i32)
    (local $c i32) (local $y i32) (local $x i32) (local $row i32) (local $plane i32) (local $rowBytes i32)
    (local.set $plane (i32.shl (i32.mul (local.get $hb) (local.get $wb)) (i32.const 3)))
    (local.set $rowBytes (i32.shl (local.get $w) (i32.const 3)))
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $ch) (local.get $plane)))
    (block $cDone
      (loop $cLoop
        (br_if $cDone (i32.ge_u (local.get $c) (local.get $ch)))
        (local.set $y (i32.const 0))
        (block $yDone
          (loop $yLoop
            (br_if $yDone (i32.ge_u (local.get $y) (local.get $h)))
            (local.set $row (i32.add (i32.add (local.get $dst) (i32.mul (local.get $c) (local.get $plane)))
              (i32.shl (i32.add (i32.mul (i32.add (local.get $oy) (i32.mul (local.get $y) (local.get $dy))) (local.get $wb)) (local.get $ox)) (i32.const 3))))
            (if (i32.eq (local.get $dx) (i32.const 1))
              (then (memory.copy (local.get $row) (local.get $src) (local.get $rowBytes)))
              (else
                (local.set $x (i32.const 0))
                (block $xDone
                  (loop $xLoop
                    (br_if $xDone (i32.ge_u (local.get $x) (local.get $w)))
                    (f64.store (i32.add (local.get $row) (i32.shl (i32.mul (local.get $x) (local.get $dx)) (i32.const 3)))
                      (f64.load (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 3)))))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $xLoop)))))
            (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $yLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop))))

  ;; dst[(c·o1 + o)·len + t] ← src[(o·c1 + c)·len + t] for o < o1, c < c1, t < len: swaps the two leading axes of
  ;; an o1 × c1 × len array (the filters OIHW → IOHW of the input gradient).
  (func (export "swapAxes") (param $src i32) (param $o1 i32) (param $c1 i32) (param $len i32) (param $dst i32)
    (local $o i32) (local $c i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $len) (i32.const 3)))
    (block $cDone
      (loop $cLoop
        (br_if $cDone (i32.ge_u (local.get $c) (local.get $c1)))
        (local.set $o (i32.const 0))
        (block $oDone
          (loop $oLoop
            (br_if $oDone (i32.ge_u (local.get $o) (local.get $o1)))
            (memory.copy (local.get $dst)
              (i32.add (local.get $src) (i32.mul (i32.add (i32.mul (local.get $o) (local.get $c1)) (local.get $c)) (local.get $bytes)))
              (local.get $bytes))
            (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $oLoop)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cLoop))))
)
