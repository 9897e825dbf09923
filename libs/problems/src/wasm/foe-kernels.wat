;; The correlations of the Field of Experts (imaging/field-of-experts.ts) in WebAssembly SIMD (f64x2).
;; Every pointer is a byte offset into the imported memory; f64 arrays are 8-byte aligned at least.
;; Each kernel performs exactly the floating-point operations of its JavaScript twin in imaging/foe-kernels.ts, in
;; the same order (one SIMD lane per output, no fused multiply-add), so both give the same bits.
;; Build: `npm run build:wasm` (wabt) regenerates foe-kernels-binary.ts from this file.
(module
  (import "env" "memory" (memory 1))

  ;; dst[r·dstRow + c·8] = (acc ? dst[…] : 0) + Σ_{a<s} Σ_{b<s} coef[a·s + b]·src[r·srcRow + c·8 + a·stepA + b·stepB]
  ;; (byte offsets; the terms added one after the other in increasing (a, b)). stepA/stepB are signed: (row, 8) is
  ;; the correlation of src with coef, (−row, −8) from the window's far corner the adjoint (a gather). Eight outputs
  ;; per pass (four f64x2 accumulators), then pairs, then one.
  (func (export "corr") (param $src i32) (param $srcRow i32) (param $stepA i32) (param $stepB i32) (param $coef i32) (param $s i32)
    (param $dst i32) (param $dstRow i32) (param $rows i32) (param $cols i32) (param $acc i32)
    (local $r i32) (local $c i32) (local $a i32) (local $b i32) (local $p i32) (local $q i32) (local $w i32) (local $d i32)
    (local $cv v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x f64) (local $cs f64)
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        ;; eight outputs per pass
        (block $c8Done
          (loop $c8Loop
            (br_if $c8Done (i32.gt_s (i32.add (local.get $c) (i32.const 8)) (local.get $cols)))
            (local.set $d (i32.add (local.get $dst) (i32.add (i32.mul (local.get $r) (local.get $dstRow)) (i32.shl (local.get $c) (i32.const 3)))))
            (if (local.get $acc)
              (then
                (local.set $x0 (v128.load (local.get $d)))
                (local.set $x1 (v128.load offset=16 (local.get $d)))
                (local.set $x2 (v128.load offset=32 (local.get $d)))
                (local.set $x3 (v128.load offset=48 (local.get $d))))
              (else
                (local.set $x0 (v128.const f64x2 0 0))
                (local.set $x1 (v128.const f64x2 0 0))
                (local.set $x2 (v128.const f64x2 0 0))
                (local.set $x3 (v128.const f64x2 0 0))))
            (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $srcRow)) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $w (local.get $coef))
            (local.set $a (i32.const 0))
            (loop $aLoop
              (local.set $q (local.get $p))
              (local.set $b (i32.const 0))
              (loop $bLoop
                (local.set $cv (v128.load64_splat (local.get $w)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $cv) (v128.load (local.get $q)))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $cv) (v128.load offset=16 (local.get $q)))))
                (local.set $x2 (f64x2.add (local.get $x2) (f64x2.mul (local.get $cv) (v128.load offset=32 (local.get $q)))))
                (local.set $x3 (f64x2.add (local.get $x3) (f64x2.mul (local.get $cv) (v128.load offset=48 (local.get $q)))))
                (local.set $w (i32.add (local.get $w) (i32.const 8)))
                (local.set $q (i32.add (local.get $q) (local.get $stepB)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br_if $bLoop (i32.lt_s (local.get $b) (local.get $s))))
              (local.set $p (i32.add (local.get $p) (local.get $stepA)))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br_if $aLoop (i32.lt_s (local.get $a) (local.get $s))))
            (v128.store (local.get $d) (local.get $x0))
            (v128.store offset=16 (local.get $d) (local.get $x1))
            (v128.store offset=32 (local.get $d) (local.get $x2))
            (v128.store offset=48 (local.get $d) (local.get $x3))
            (local.set $c (i32.add (local.get $c) (i32.const 8)))
            (br $c8Loop)))
        ;; pairs
        (block $c2Done
          (loop $c2Loop
            (br_if $c2Done (i32.gt_s (i32.add (local.get $c) (i32.const 2)) (local.get $cols)))
            (local.set $d (i32.add (local.get $dst) (i32.add (i32.mul (local.get $r) (local.get $dstRow)) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $x0 (if (result v128) (local.get $acc) (then (v128.load (local.get $d))) (else (v128.const f64x2 0 0))))
            (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $srcRow)) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $w (local.get $coef))
            (local.set $a (i32.const 0))
            (loop $aLoop2
              (local.set $q (local.get $p))
              (local.set $b (i32.const 0))
              (loop $bLoop2
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (v128.load64_splat (local.get $w)) (v128.load (local.get $q)))))
                (local.set $w (i32.add (local.get $w) (i32.const 8)))
                (local.set $q (i32.add (local.get $q) (local.get $stepB)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br_if $bLoop2 (i32.lt_s (local.get $b) (local.get $s))))
              (local.set $p (i32.add (local.get $p) (local.get $stepA)))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br_if $aLoop2 (i32.lt_s (local.get $a) (local.get $s))))
            (v128.store (local.get $d) (local.get $x0))
            (local.set $c (i32.add (local.get $c) (i32.const 2)))
            (br $c2Loop)))
        ;; the last output of an odd row
        (if (i32.lt_s (local.get $c) (local.get $cols))
          (then
            (local.set $d (i32.add (local.get $dst) (i32.add (i32.mul (local.get $r) (local.get $dstRow)) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $x (if (result f64) (local.get $acc) (then (f64.load (local.get $d))) (else (f64.const 0))))
            (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $srcRow)) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $w (local.get $coef))
            (local.set $a (i32.const 0))
            (loop $aLoop1
              (local.set $q (local.get $p))
              (local.set $b (i32.const 0))
              (loop $bLoop1
                (local.set $x (f64.add (local.get $x) (f64.mul (f64.load (local.get $w)) (f64.load (local.get $q)))))
                (local.set $w (i32.add (local.get $w) (i32.const 8)))
                (local.set $q (i32.add (local.get $q) (local.get $stepB)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br_if $bLoop1 (i32.lt_s (local.get $b) (local.get $s))))
              (local.set $p (i32.add (local.get $p) (local.get $stepA)))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br_if $aLoop1 (i32.lt_s (local.get $a) (local.get $s))))
            (f64.store (local.get $d) (local.get $x))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; Two output rows × eight columns per pass, the loads of a source row shared by both: rows `first` and `second`
  ;; of each pair (first = 2p, second = 2p + 1, or the other way round when flip = 1), second's tap row a reading
  ;; the source row of first's tap row a + 1 (first + i·stepA, i = a + 1: with stepA = ±srcRow, the sign picks flip).
  ;; Each output gets corr's terms in corr's order, so the same bits. Covers 2·pairs rows × 8·blocks columns of dst.
  (func (export "corr2x8") (param $src i32) (param $srcRow i32) (param $stepA i32) (param $stepB i32) (param $coef i32) (param $s i32)
    (param $dst i32) (param $dstRow i32) (param $pairs i32) (param $blocks i32) (param $acc i32) (param $flip i32)
    (local $p i32) (local $blk i32) (local $first i32) (local $second i32) (local $i i32) (local $b i32) (local $q i32)
    (local $pd0 i32) (local $pd1 i32) (local $ps i32) (local $wf i32) (local $wg i32) (local $s8 i32)
    (local $f0 v128) (local $f1 v128) (local $f2 v128) (local $f3 v128) (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128)
    (local $cf v128) (local $cg v128) (local $x v128)
    (local.set $s8 (i32.shl (local.get $s) (i32.const 3)))
    (block $pairsDone
      (loop $pairLoop
        (br_if $pairsDone (i32.ge_s (local.get $p) (local.get $pairs)))
        (local.set $first (i32.add (i32.shl (local.get $p) (i32.const 1)) (local.get $flip)))
        (local.set $second (i32.sub (i32.add (i32.shl (local.get $p) (i32.const 1)) (i32.const 1)) (local.get $flip)))
        (local.set $blk (i32.const 0))
        (block $blocksDone
          (loop $blockLoop
            (br_if $blocksDone (i32.ge_s (local.get $blk) (local.get $blocks)))
            (local.set $pd0 (i32.add (local.get $dst) (i32.add (i32.mul (local.get $first) (local.get $dstRow)) (i32.shl (local.get $blk) (i32.const 6)))))
            (local.set $pd1 (i32.add (local.get $dst) (i32.add (i32.mul (local.get $second) (local.get $dstRow)) (i32.shl (local.get $blk) (i32.const 6)))))
            (local.set $f0 (if (result v128) (local.get $acc) (then (v128.load (local.get $pd0))) (else (v128.const f64x2 0 0))))
            (local.set $f1 (if (result v128) (local.get $acc) (then (v128.load offset=16 (local.get $pd0))) (else (v128.const f64x2 0 0))))
            (local.set $f2 (if (result v128) (local.get $acc) (then (v128.load offset=32 (local.get $pd0))) (else (v128.const f64x2 0 0))))
            (local.set $f3 (if (result v128) (local.get $acc) (then (v128.load offset=48 (local.get $pd0))) (else (v128.const f64x2 0 0))))
            (local.set $g0 (if (result v128) (local.get $acc) (then (v128.load (local.get $pd1))) (else (v128.const f64x2 0 0))))
            (local.set $g1 (if (result v128) (local.get $acc) (then (v128.load offset=16 (local.get $pd1))) (else (v128.const f64x2 0 0))))
            (local.set $g2 (if (result v128) (local.get $acc) (then (v128.load offset=32 (local.get $pd1))) (else (v128.const f64x2 0 0))))
            (local.set $g3 (if (result v128) (local.get $acc) (then (v128.load offset=48 (local.get $pd1))) (else (v128.const f64x2 0 0))))
            (local.set $ps (i32.add (local.get $src) (i32.add (i32.mul (local.get $first) (local.get $srcRow)) (i32.shl (local.get $blk) (i32.const 6)))))
            ;; source row i = 0: first's tap row 0 only
            (local.set $wf (local.get $coef))
            (local.set $q (local.get $ps))
            (local.set $b (i32.const 0))
            (loop $b0Loop
              (local.set $cf (v128.load64_splat (local.get $wf)))
                (local.set $f0 (f64x2.add (local.get $f0) (f64x2.mul (local.get $cf) (v128.load (local.get $q)))))
                (local.set $f1 (f64x2.add (local.get $f1) (f64x2.mul (local.get $cf) (v128.load offset=16 (local.get $q)))))
                (local.set $f2 (f64x2.add (local.get $f2) (f64x2.mul (local.get $cf) (v128.load offset=32 (local.get $q)))))
                (local.set $f3 (f64x2.add (local.get $f3) (f64x2.mul (local.get $cf) (v128.load offset=48 (local.get $q)))))
              (local.set $wf (i32.add (local.get $wf) (i32.const 8)))
              (local.set $q (i32.add (local.get $q) (local.get $stepB)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br_if $b0Loop (i32.lt_s (local.get $b) (local.get $s))))
            ;; source rows 1 … s − 1: first's tap row i and second's tap row i − 1
            (local.set $wg (local.get $coef))
            (local.set $i (i32.const 1))
            (block $midDone
              (loop $midLoop
                (br_if $midDone (i32.ge_s (local.get $i) (local.get $s)))
                (local.set $q (i32.add (local.get $ps) (i32.mul (local.get $i) (local.get $stepA))))
                (local.set $b (i32.const 0))
                (loop $bLoop
                  (local.set $cf (v128.load64_splat (local.get $wf)))
                  (local.set $cg (v128.load64_splat (local.get $wg)))
                (local.set $x (v128.load (local.get $q)))
                (local.set $f0 (f64x2.add (local.get $f0) (f64x2.mul (local.get $cf) (local.get $x))))
                (local.set $g0 (f64x2.add (local.get $g0) (f64x2.mul (local.get $cg) (local.get $x))))
                (local.set $x (v128.load offset=16 (local.get $q)))
                (local.set $f1 (f64x2.add (local.get $f1) (f64x2.mul (local.get $cf) (local.get $x))))
                (local.set $g1 (f64x2.add (local.get $g1) (f64x2.mul (local.get $cg) (local.get $x))))
                (local.set $x (v128.load offset=32 (local.get $q)))
                (local.set $f2 (f64x2.add (local.get $f2) (f64x2.mul (local.get $cf) (local.get $x))))
                (local.set $g2 (f64x2.add (local.get $g2) (f64x2.mul (local.get $cg) (local.get $x))))
                (local.set $x (v128.load offset=48 (local.get $q)))
                (local.set $f3 (f64x2.add (local.get $f3) (f64x2.mul (local.get $cf) (local.get $x))))
                (local.set $g3 (f64x2.add (local.get $g3) (f64x2.mul (local.get $cg) (local.get $x))))
                  (local.set $wf (i32.add (local.get $wf) (i32.const 8)))
                  (local.set $wg (i32.add (local.get $wg) (i32.const 8)))
                  (local.set $q (i32.add (local.get $q) (local.get $stepB)))
                  (local.set $b (i32.add (local.get $b) (i32.const 1)))
                  (br_if $bLoop (i32.lt_s (local.get $b) (local.get $s))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $midLoop)))
            ;; source row s: second's tap row s − 1 only
            (local.set $q (i32.add (local.get $ps) (i32.mul (local.get $s) (local.get $stepA))))
            (local.set $b (i32.const 0))
            (loop $bsLoop
              (local.set $cg (v128.load64_splat (local.get $wg)))
                (local.set $g0 (f64x2.add (local.get $g0) (f64x2.mul (local.get $cg) (v128.load (local.get $q)))))
                (local.set $g1 (f64x2.add (local.get $g1) (f64x2.mul (local.get $cg) (v128.load offset=16 (local.get $q)))))
                (local.set $g2 (f64x2.add (local.get $g2) (f64x2.mul (local.get $cg) (v128.load offset=32 (local.get $q)))))
                (local.set $g3 (f64x2.add (local.get $g3) (f64x2.mul (local.get $cg) (v128.load offset=48 (local.get $q)))))
              (local.set $wg (i32.add (local.get $wg) (i32.const 8)))
              (local.set $q (i32.add (local.get $q) (local.get $stepB)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br_if $bsLoop (i32.lt_s (local.get $b) (local.get $s))))
            (v128.store (local.get $pd0) (local.get $f0))
            (v128.store offset=16 (local.get $pd0) (local.get $f1))
            (v128.store offset=32 (local.get $pd0) (local.get $f2))
            (v128.store offset=48 (local.get $pd0) (local.get $f3))
            (v128.store (local.get $pd1) (local.get $g0))
            (v128.store offset=16 (local.get $pd1) (local.get $g1))
            (v128.store offset=32 (local.get $pd1) (local.get $g2))
            (v128.store offset=48 (local.get $pd1) (local.get $g3))
            (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
            (br $blockLoop)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pairLoop))))

  ;; dst[r·dstRow + c·8] = (w·t) / √(t·t + nu2), t = src[r·cols + c] (byte offsets; ψ of the responses scaled by w, as
  ;; the JavaScript twin computes it: IEEE square root and division are correctly rounded in both). Two per pass.
  (func (export "psi") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32) (param $dstRow i32) (param $w f64) (param $nu2 f64)
    (local $r i32) (local $c i32) (local $ps i32) (local $pd i32) (local $t v128) (local $wv v128) (local $nv v128) (local $x f64)
    (local.set $wv (f64x2.splat (local.get $w)))
    (local.set $nv (f64x2.splat (local.get $nu2)))
    (local.set $ps (local.get $src))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $pd (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstRow))))
        (local.set $c (i32.const 0))
        (block $c2Done
          (loop $c2Loop
            (br_if $c2Done (i32.gt_s (i32.add (local.get $c) (i32.const 2)) (local.get $cols)))
            (local.set $t (v128.load (local.get $ps)))
            (v128.store (local.get $pd)
              (f64x2.div (f64x2.mul (local.get $wv) (local.get $t)) (f64x2.sqrt (f64x2.add (f64x2.mul (local.get $t) (local.get $t)) (local.get $nv)))))
            (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
            (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 2)))
            (br $c2Loop)))
        (if (i32.lt_s (local.get $c) (local.get $cols))
          (then
            (local.set $x (f64.load (local.get $ps)))
            (f64.store (local.get $pd)
              (f64.div (f64.mul (local.get $w) (local.get $x)) (f64.sqrt (f64.add (f64.mul (local.get $x) (local.get $x)) (local.get $nu2)))))
            (local.set $ps (i32.add (local.get $ps) (i32.const 8)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; out[a·s + b] += kappa · Σ_{r<rows} Σ_{c<cols} x[r·cols + c]·ext[(r + a)·extRow + (c + b)·8] for a, b < s (each sum
  ;; from 0 in increasing (r, c), as the JavaScript twin). Six taps b0 … b0 + 5 of one row a per pass over the image
  ;; (three f64x2 accumulators, lane j holding tap b0 + j); taps past s are computed and dropped, so ext must be
  ;; readable 6 numbers past its last row.
  (func (export "corrFilter") (param $x i32) (param $rows i32) (param $cols i32) (param $ext i32) (param $extRow i32) (param $s i32)
    (param $out i32) (param $kappa f64)
    (local $a i32) (local $b0 i32) (local $r i32) (local $c i32) (local $px i32) (local $pe i32) (local $o i32)
    (local $xv v128) (local $x0 v128) (local $x1 v128) (local $x2 v128)
    (loop $aLoop
      (local.set $b0 (i32.const 0))
      (loop $bLoop
        (local.set $x0 (v128.const f64x2 0 0))
        (local.set $x1 (v128.const f64x2 0 0))
        (local.set $x2 (v128.const f64x2 0 0))
        (local.set $px (local.get $x))
        (local.set $r (i32.const 0))
        (block $rDone
          (loop $rLoop
            (br_if $rDone (i32.ge_s (local.get $r) (local.get $rows)))
            (local.set $pe (i32.add (local.get $ext) (i32.add (i32.mul (i32.add (local.get $r) (local.get $a)) (local.get $extRow)) (i32.shl (local.get $b0) (i32.const 3)))))
            (local.set $c (i32.const 0))
            (block $cDone
              (loop $cLoop
                (br_if $cDone (i32.ge_s (local.get $c) (local.get $cols)))
                (local.set $xv (v128.load64_splat (local.get $px)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $xv) (v128.load (local.get $pe)))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $xv) (v128.load offset=16 (local.get $pe)))))
                (local.set $x2 (f64x2.add (local.get $x2) (f64x2.mul (local.get $xv) (v128.load offset=32 (local.get $pe)))))
                (local.set $px (i32.add (local.get $px) (i32.const 8)))
                (local.set $pe (i32.add (local.get $pe) (i32.const 8)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $cLoop)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rLoop)))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $s)) (local.get $b0)) (i32.const 3))))
        (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.mul (local.get $kappa) (f64x2.extract_lane 0 (local.get $x0)))))
        (if (i32.lt_s (i32.add (local.get $b0) (i32.const 1)) (local.get $s))
          (then (f64.store offset=8 (local.get $o) (f64.add (f64.load offset=8 (local.get $o)) (f64.mul (local.get $kappa) (f64x2.extract_lane 1 (local.get $x0)))))))
        (if (i32.lt_s (i32.add (local.get $b0) (i32.const 2)) (local.get $s))
          (then (f64.store offset=16 (local.get $o) (f64.add (f64.load offset=16 (local.get $o)) (f64.mul (local.get $kappa) (f64x2.extract_lane 0 (local.get $x1)))))))
        (if (i32.lt_s (i32.add (local.get $b0) (i32.const 3)) (local.get $s))
          (then (f64.store offset=24 (local.get $o) (f64.add (f64.load offset=24 (local.get $o)) (f64.mul (local.get $kappa) (f64x2.extract_lane 1 (local.get $x1)))))))
        (if (i32.lt_s (i32.add (local.get $b0) (i32.const 4)) (local.get $s))
          (then (f64.store offset=32 (local.get $o) (f64.add (f64.load offset=32 (local.get $o)) (f64.mul (local.get $kappa) (f64x2.extract_lane 0 (local.get $x2)))))))
        (if (i32.lt_s (i32.add (local.get $b0) (i32.const 5)) (local.get $s))
          (then (f64.store offset=40 (local.get $o) (f64.add (f64.load offset=40 (local.get $o)) (f64.mul (local.get $kappa) (f64x2.extract_lane 1 (local.get $x2)))))))
        (local.set $b0 (i32.add (local.get $b0) (i32.const 6)))
        (br_if $bLoop (i32.lt_s (local.get $b0) (local.get $s))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br_if $aLoop (i32.lt_s (local.get $a) (local.get $s)))))
)
