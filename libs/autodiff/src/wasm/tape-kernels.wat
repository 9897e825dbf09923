;; The tape's elementwise hot loops in WebAssembly SIMD (f64x2), over the arena of the tensor kernels (the same
;; imported memory): relu and the adjoint and tangent of relu / leakyRelu, the biases of dense layers and of
;; convolutions with their adjoints, and 2×2 max pooling. Each performs the operations of its JavaScript twin in
;; ../tape/*-rules.ts in the same order (a comparison and a select where the twin branches), so both give the same
;; bits; tape-simd.spec.ts checks it, NaN and −0 included. V8 compiles the JavaScript loops with a bounds check and a
;; branch per entry (2 to 3 ns an entry on this machine where the signs are random, as a relu's are); these take 0.3
;; to 0.6 ns.
;; Every pointer is a byte offset into the imported memory; counts are in float64 entries.
;; Build: `npm run build:wasm` (wabt) regenerates tape-kernels-binary.ts from this file.
(module
  (import "env" "memory" (memory 1))

  ;; y[k] = u[k] > 0 ? u[k] : +0, k < n (NaN and −0 give +0).
  (func (export "relu") (param $u i32) (param $y i32) (param $n i32)
    (local $end i32) (local $x v128) (local $zero v128)
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (local.set $x (v128.load (local.get $u)))
        (v128.store (local.get $y) (v128.bitselect (local.get $x) (local.get $zero) (f64x2.gt (local.get $x) (local.get $zero))))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (f64.store (local.get $y)
          (select (f64.load (local.get $u)) (f64.const 0) (f64.gt (f64.load (local.get $u)) (f64.const 0)))))))

  ;; d[k] ← p (set ≠ 0) or d[k] ← d[k] + p, with p = (u[k] > 0 ? 1 : α)·g[k], k < n: the adjoint of relu (α = 0)
  ;; and leakyRelu, assigned or added, and their tangent (assigned).
  (func (export "kink") (param $u i32) (param $g i32) (param $d i32) (param $n i32) (param $alpha f64) (param $set i32)
    (local $end i32) (local $av v128) (local $one v128) (local $zero v128) (local $p v128) (local $ps f64)
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $end (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (local.set $p
          (f64x2.mul
            (v128.bitselect (local.get $one) (local.get $av) (f64x2.gt (v128.load (local.get $u)) (local.get $zero)))
            (v128.load (local.get $g))))
        (if (local.get $set)
          (then (v128.store (local.get $d) (local.get $p)))
          (else (v128.store (local.get $d) (f64x2.add (v128.load (local.get $d)) (local.get $p)))))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $ps
          (f64.mul
            (select (f64.const 1) (local.get $alpha) (f64.gt (f64.load (local.get $u)) (f64.const 0)))
            (f64.load (local.get $g))))
        (if (local.get $set)
          (then (f64.store (local.get $d) (local.get $ps)))
          (else (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (local.get $ps))))))))

  ;; y[i, j] ← y[i, j] + b[j], i < rows, j < n (rows of n entries, contiguous).
  (func (export "rowBias") (param $y i32) (param $b i32) (param $rows i32) (param $n i32)
    (local $i i32) (local $j i32) (local $pairs i32)
    (local.set $pairs (i32.and (local.get $n) (i32.const -2)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $pairs)))
            (v128.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
              (f64x2.add
                (v128.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3))))
                (v128.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 3))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $col)))
        (if (i32.lt_u (local.get $j) (local.get $n))
          (then
            (f64.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3)))
              (f64.add
                (f64.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 3))))
                (f64.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 3))))))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; y[q, p] ← y[q, p] + b[q mod O], q < planes, p < P: a bias per channel over NCHW planes of P entries.
  (func (export "planeBias") (param $y i32) (param $b i32) (param $planes i32) (param $O i32) (param $P i32)
    (local $q i32) (local $o i32) (local $bv v128) (local $p i32) (local $pairs i32)
    (local.set $pairs (i32.and (local.get $P) (i32.const -2)))
    (block $planesDone
      (loop $plane
        (br_if $planesDone (i32.ge_u (local.get $q) (local.get $planes)))
        (local.set $bv (v128.load64_splat (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3)))))
        (local.set $p (i32.const 0))
        (block $inDone
          (loop $in
            (br_if $inDone (i32.ge_u (local.get $p) (local.get $pairs)))
            (v128.store (i32.add (local.get $y) (i32.shl (local.get $p) (i32.const 3)))
              (f64x2.add (v128.load (i32.add (local.get $y) (i32.shl (local.get $p) (i32.const 3)))) (local.get $bv)))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br $in)))
        (if (i32.lt_u (local.get $p) (local.get $P))
          (then
            (f64.store (i32.add (local.get $y) (i32.shl (local.get $p) (i32.const 3)))
              (f64.add (f64.load (i32.add (local.get $y) (i32.shl (local.get $p) (i32.const 3)))) (f64x2.extract_lane 0 (local.get $bv))))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $P) (i32.const 3))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (if (i32.eq (local.get $o) (local.get $O)) (then (local.set $o (i32.const 0))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $plane))))

  ;; out[j] ← out0[j] + src[0, j] + src[1, j] + … + src[m−1, j], j < n, out0 = out (acc ≠ 0) or +0: the adjoint of a
  ;; bias broadcast over m rows of n entries, each column summed from the first row to the last.
  (func (export "sumRows") (param $src i32) (param $out i32) (param $m i32) (param $n i32) (param $acc i32)
    (local $j i32) (local $i i32) (local $s v128) (local $sf f64) (local $at i32) (local $row i32)
    (local.set $row (i32.shl (local.get $n) (i32.const 3)))
    (block $pairsDone
      (loop $pair
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
        (local.set $s (f64x2.splat (f64.const 0)))
        (if (local.get $acc) (then (local.set $s (v128.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $at (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $s (f64x2.add (local.get $s) (v128.load (local.get $at))))
            (local.set $at (i32.add (local.get $at) (local.get $row)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $pair)))
    (if (i32.lt_u (local.get $j) (local.get $n))
      (then
        (local.set $sf (f64.const 0))
        (if (local.get $acc) (then (local.set $sf (f64.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $at (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $sf (f64.add (local.get $sf) (f64.load (local.get $at))))
            (local.set $at (i32.add (local.get $at) (local.get $row)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))) (local.get $sf)))))

  ;; out[o] ← out[o] + s(q) for each plane q = n·O + o in increasing order (out zeroed first when acc = 0), where the
  ;; plane sum s(q) of its P entries g is taken in two lanes: s0 over the even positions and s1 over the odd ones
  ;; below 2·floor(P/2), each left to right from +0, then s = s0 + s1, plus the last entry when P is odd. The adjoint of a
  ;; convolution's bias.
  (func (export "sumPlanes") (param $g i32) (param $out i32) (param $planes i32) (param $O i32) (param $P i32) (param $acc i32)
    (local $q i32) (local $o i32) (local $p i32) (local $pairs i32) (local $s v128) (local $t f64) (local $at i32)
    (if (i32.eqz (local.get $acc))
      (then
        (block $zeroDone
          (loop $zero
            (br_if $zeroDone (i32.ge_u (local.get $o) (local.get $O)))
            (f64.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 3))) (f64.const 0))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $zero)))
        (local.set $o (i32.const 0))))
    (local.set $pairs (i32.and (local.get $P) (i32.const -2)))
    (block $planesDone
      (loop $plane
        (br_if $planesDone (i32.ge_u (local.get $q) (local.get $planes)))
        (local.set $s (f64x2.splat (f64.const 0)))
        (local.set $p (i32.const 0))
        (block $inDone
          (loop $in
            (br_if $inDone (i32.ge_u (local.get $p) (local.get $pairs)))
            (local.set $s (f64x2.add (local.get $s) (v128.load (i32.add (local.get $g) (i32.shl (local.get $p) (i32.const 3))))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br $in)))
        (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
        (if (i32.lt_u (local.get $p) (local.get $P))
          (then (local.set $t (f64.add (local.get $t) (f64.load (i32.add (local.get $g) (i32.shl (local.get $p) (i32.const 3))))))))
        (local.set $at (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 3))))
        (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (local.get $t)))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $P) (i32.const 3))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (if (i32.eq (local.get $o) (local.get $O)) (then (local.set $o (i32.const 0))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $plane))))

  ;; 2×2 max pooling at stride 2 over np planes of H × W (outH × outW out): v[o] = the window's maximum, the first in
  ;; the scan order x[r], x[r+1], x[r+W], x[r+W+1] (a later entry wins only when strictly greater: NaN never wins),
  ;; and, when withArg ≠ 0, arg[o] = its index in x (as a float64, the planes' offsets included). Branchless: each
  ;; comparison selects both the maximum and its index.
  (func (export "maxPool2") (param $x i32) (param $v i32) (param $arg i32) (param $np i32) (param $H i32) (param $W i32)
      (param $OH i32) (param $OW i32) (param $withArg i32)
    (local $p i32) (local $i i32) (local $j i32) (local $r i32) (local $m f64) (local $best i32) (local $t f64) (local $c i32)
    (local $w8 i32)
    (local.set $w8 (i32.shl (local.get $W) (i32.const 3)))
    (block $planesDone
      (loop $plane
        (br_if $planesDone (i32.ge_u (local.get $p) (local.get $np)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $OH)))
            ;; r: the window's first entry, an element index of x (for arg) — x + 8·r its address
            (local.set $r (i32.add (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))) (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $W))))
            (local.set $j (i32.const 0))
            (block $colsDone
              (loop $col
                (br_if $colsDone (i32.ge_u (local.get $j) (local.get $OW)))
                (local.set $best (local.get $r))
                (local.set $m (f64.load (i32.add (local.get $x) (i32.shl (local.get $r) (i32.const 3)))))
                (local.set $t (f64.load offset=8 (i32.add (local.get $x) (i32.shl (local.get $r) (i32.const 3)))))
                (local.set $c (f64.gt (local.get $t) (local.get $m)))
                (local.set $m (select (local.get $t) (local.get $m) (local.get $c)))
                (local.set $best (select (i32.add (local.get $r) (i32.const 1)) (local.get $best) (local.get $c)))
                (local.set $t (f64.load (i32.add (i32.add (local.get $x) (i32.shl (local.get $r) (i32.const 3))) (local.get $w8))))
                (local.set $c (f64.gt (local.get $t) (local.get $m)))
                (local.set $m (select (local.get $t) (local.get $m) (local.get $c)))
                (local.set $best (select (i32.add (local.get $r) (local.get $W)) (local.get $best) (local.get $c)))
                (local.set $t (f64.load offset=8 (i32.add (i32.add (local.get $x) (i32.shl (local.get $r) (i32.const 3))) (local.get $w8))))
                (local.set $c (f64.gt (local.get $t) (local.get $m)))
                (local.set $m (select (local.get $t) (local.get $m) (local.get $c)))
                (local.set $best (select (i32.add (i32.add (local.get $r) (local.get $W)) (i32.const 1)) (local.get $best) (local.get $c)))
                (f64.store (local.get $v) (local.get $m))
                (if (local.get $withArg) (then (f64.store (local.get $arg) (f64.convert_i32_s (local.get $best)))))
                (local.set $v (i32.add (local.get $v) (i32.const 8)))
                (local.set $arg (i32.add (local.get $arg) (i32.const 8)))
                (local.set $r (i32.add (local.get $r) (i32.const 2)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $col)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $row)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $plane))))

  ;; d[arg[o]] ← d[arg[o]] + g[o], o < n, in increasing o (arg: float64 indices into d, as maxPool2 writes them).
  (func (export "scatter") (param $arg i32) (param $g i32) (param $d i32) (param $n i32)
    (local $end i32) (local $at i32)
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (local.set $at (i32.add (local.get $d) (i32.shl (i32.trunc_f64_s (f64.load (local.get $arg))) (i32.const 3))))
        (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.load (local.get $g))))
        (local.set $arg (i32.add (local.get $arg) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (br $each))))
)
