;; Layer normalisation of float32 rows, forward and backward, with WebAssembly SIMD (v128). Every
;; kernel walks `rows` contiguous rows of `n` float32 values; pointers are byte offsets into the
;; imported memory (the row kernels' memory: src/wasm/norm.ts instantiates this module over it). The
;; caller (src/wasm/norm.ts) stages the data, copies the results out, and keeps the TypeScript loops of
;; kernels/layer-norm.ts as the portable fallback and the float64 path.
;;
;; Numerics: the TypeScript loops compute in float64 and round each output once to float32; so do
;; these kernels. Each float32 is promoted to float64 (f64x2.promote_low_f32x4: two lanes at a time),
;; the arithmetic is the loops' own, operation for operation, and results are demoted once. The one
;; difference is the order of the row sums (several f64x2 accumulators, then the odd entries): the
;; float64 variance and backward sums may differ from the loops' in their last bits, which moves a
;; float32 result only when it lies within ~2^-29 of a rounding boundary, by 1 ulp. (The row sum of
;; n float32 values is exact in float64, in any order, when their magnitudes span a ratio below about
;; 2^29 / n; the mean is then the loops' exactly.) Everything not summed along a row is bitwise the loops' value: y given the stats, and dw and db
;; (summed over rows in row order, in float64, like the loops).
;;
;; Rows are walked eight or four floats per step (v128 loads, f64x2 halves), then a pair (a 64-bit
;; load) when n mod 4 >= 2, then a single float when n is odd, in scalar float64: no masks, no reads
;; past the row.
;;
;; Layouts (the caller builds them): a row is first converted once into a float64 scratch row $t, which
;; the later passes read (promoting each float32 once rather than once per pass is what makes them
;; cheap: the conversions compete with the arithmetic for the same vector ports). The per-column vectors
;; are interleaved by pairs of columns so one pointer walks them all: forward [w_j w_j+1 b_j b_j+1] (32
;; bytes per pair), backward [w_j w_j+1 dw_j dw_j+1 db_j db_j+1] (48 bytes per pair); an odd last
;; column sits in lane 0 of its pair's slots. The backward's scratch row is [xhat_j xhat_j+1 gh_j
;; gh_j+1] per pair.
;;
;; Sums use two or four f64x2 accumulators (a float64 add has a latency of several cycles: a single
;; chain would set the pace instead of the loads and conversions).
;;
;; The text keeps to ASCII plus a few symbols: wabt's lexer reads characters by their low byte (see
;; scripts/build-wasm.mjs).
(module
  (import "env" "memory" (memory 1))

  ;; Converts the n floats at $x to float64 at $t; returns their sum.
  (func $load_row (param $x i32) (param $t i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $u v128) (local $c v128) (local $a0 v128) (local $a1 v128)
    (local $a2 v128) (local $a3 v128) (local $s f64) (local $e f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $l
          (local.set $v (v128.load (local.get $x)))
          (local.set $u (v128.load offset=16 (local.get $x)))
          (local.set $c (f64x2.promote_low_f32x4 (local.get $v)))
          (v128.store (local.get $t) (local.get $c))
          (local.set $a0 (f64x2.add (local.get $a0) (local.get $c)))
          (local.set $c (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
            (local.get $v) (local.get $v))))
          (v128.store offset=16 (local.get $t) (local.get $c))
          (local.set $a1 (f64x2.add (local.get $a1) (local.get $c)))
          (local.set $c (f64x2.promote_low_f32x4 (local.get $u)))
          (v128.store offset=32 (local.get $t) (local.get $c))
          (local.set $a2 (f64x2.add (local.get $a2) (local.get $c)))
          (local.set $c (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
            (local.get $u) (local.get $u))))
          (v128.store offset=48 (local.get $t) (local.get $c))
          (local.set $a3 (f64x2.add (local.get $a3) (local.get $c)))
          (local.set $t (i32.add (local.get $t) (i32.const 64)))
          (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 32))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (local.set $v (v128.load (local.get $x)))
        (local.set $c (f64x2.promote_low_f32x4 (local.get $v)))
        (v128.store (local.get $t) (local.get $c))
        (local.set $a0 (f64x2.add (local.get $a0) (local.get $c)))
        (local.set $c (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
          (local.get $v) (local.get $v))))
        (v128.store offset=16 (local.get $t) (local.get $c))
        (local.set $a1 (f64x2.add (local.get $a1) (local.get $c)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (local.set $c (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))))
        (v128.store (local.get $t) (local.get $c))
        (local.set $a2 (f64x2.add (local.get $a2) (local.get $c)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $e (f64.promote_f32 (f32.load (local.get $x))))
        (f64.store (local.get $t) (local.get $e))
        (local.set $s (f64.add (local.get $s) (local.get $e)))))
    (local.get $s))

  ;; Sum of (x - m)^2 over the n float64 at $t (the variance's numerator: a second pass, as in the loops,
  ;; so a large mean does not cancel the spread away).
  (func $sq_dev (param $t i32) (param $n i32) (param $m f64) (result f64)
    (local $end i32) (local $d v128) (local $mv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128)
    (local $a3 v128) (local $s f64) (local $e f64)
    (local.set $mv (f64x2.splat (local.get $m)))
    (local.set $end (i32.add (local.get $t) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 3))))
    (if (i32.lt_u (local.get $t) (local.get $end))
      (then
        (loop $l
          (local.set $d (f64x2.sub (v128.load (local.get $t)) (local.get $mv)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
          (local.set $d (f64x2.sub (v128.load offset=16 (local.get $t)) (local.get $mv)))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
          (local.set $d (f64x2.sub (v128.load offset=32 (local.get $t)) (local.get $mv)))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $d) (local.get $d))))
          (local.set $d (f64x2.sub (v128.load offset=48 (local.get $t)) (local.get $mv)))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $d) (local.get $d))))
          (br_if $l (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 64))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (local.set $d (f64x2.sub (v128.load (local.get $t)) (local.get $mv)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (v128.load offset=16 (local.get $t)) (local.get $mv)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (local.set $d (f64x2.sub (v128.load (local.get $t)) (local.get $mv)))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1)) (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $e (f64.sub (f64.load (local.get $t)) (local.get $m)))
        (local.set $s (f64.add (local.get $s) (f64.mul (local.get $e) (local.get $e))))))
    (local.get $s))

  ;; y = f32((x - m) * s) for the n float64 x at $t, into the floats at $y; with $affine,
  ;; y = f32(((x - m) * s) * w + b), w and b from $wb (see the layouts above; the caller puts 1 and -0
  ;; where the loops skip the weight or the bias: multiplying by 1 and adding -0 change no value, -0 and
  ;; NaN included).
  (func $norm_row (param $t i32) (param $y i32) (param $n i32) (param $m f64) (param $s f64)
    (param $affine i32) (param $wb i32)
    (local $end i32) (local $lo v128) (local $hi v128) (local $mv v128) (local $sv v128) (local $e f64)
    (local.set $mv (f64x2.splat (local.get $m)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $end (i32.add (local.get $t) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3))))
    (if (i32.lt_u (local.get $t) (local.get $end))
      (then
        (if (local.get $affine)
          (then
            (loop $l
              (local.set $lo (f64x2.add
                (f64x2.mul
                  (f64x2.mul (f64x2.sub (v128.load (local.get $t)) (local.get $mv)) (local.get $sv))
                  (v128.load (local.get $wb)))
                (v128.load offset=16 (local.get $wb))))
              (local.set $hi (f64x2.add
                (f64x2.mul
                  (f64x2.mul (f64x2.sub (v128.load offset=16 (local.get $t)) (local.get $mv)) (local.get $sv))
                  (v128.load offset=32 (local.get $wb)))
                (v128.load offset=48 (local.get $wb))))
              (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
              (local.set $wb (i32.add (local.get $wb) (i32.const 64)))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (br_if $l (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 32))) (local.get $end)))))
          (else
            (loop $l
              (local.set $lo (f64x2.mul (f64x2.sub (v128.load (local.get $t)) (local.get $mv)) (local.get $sv)))
              (local.set $hi (f64x2.mul (f64x2.sub (v128.load offset=16 (local.get $t)) (local.get $mv)) (local.get $sv)))
              (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
              (local.set $y (i32.add (local.get $y) (i32.const 16)))
              (br_if $l (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 32))) (local.get $end))))))))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (local.set $lo (f64x2.mul (f64x2.sub (v128.load (local.get $t)) (local.get $mv)) (local.get $sv)))
        (if (local.get $affine)
          (then
            (local.set $lo
              (f64x2.add (f64x2.mul (local.get $lo) (v128.load (local.get $wb))) (v128.load offset=16 (local.get $wb))))
            (local.set $wb (i32.add (local.get $wb) (i32.const 32)))))
        (v128.store64_lane 0 (local.get $y) (f32x4.demote_f64x2_zero (local.get $lo)))
        (local.set $t (i32.add (local.get $t) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 8)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $e (f64.mul (f64.sub (f64.load (local.get $t)) (local.get $m)) (local.get $s)))
        (if (local.get $affine)
          (then
            (local.set $e (f64.add (f64.mul (local.get $e) (f64.load (local.get $wb))) (f64.load offset=16 (local.get $wb))))))
        (f32.store (local.get $y) (f32.demote_f64 (local.get $e))))))

  ;; Forward: per row, m = (sum x) / n, rstd = 1 / sqrt((sum (x - m)^2) / n + eps) (the biased
  ;; variance), y = (x - m) * rstd [* w + b] (see $norm_row; $affine 0 skips w and b). $y may be $x.
  ;; $mean and $rstd get one float64 per row; $t is scratch for two float64 rows (n rounded up to even
  ;; each). Software-pipelined: row r's stats are computed before row r - 1 is normalised, so the
  ;; divisions and the square root of one row (~60 cycles of latency) overlap the other row's passes.
  (func (export "layer_norm") (param $x i32) (param $y i32) (param $rows i32) (param $n i32)
    (param $affine i32) (param $wb i32) (param $eps f64) (param $mean i32) (param $rstd i32) (param $t i32)
    (local $bytes i32) (local $nf f64) (local $m f64) (local $s f64) (local $m1 f64) (local $s1 f64)
    (local $ta i32) (local $tb i32) (local $tmp i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $nf (f64.convert_i32_u (local.get $n)))
    (local.set $ta (local.get $t))
    (local.set $tb (i32.add (local.get $t) (i32.shl (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2))
      (i32.const 3))))
    (if (i32.eqz (local.get $rows)) (then (return)))
    ;; row 0's stats
    (local.set $m (f64.div (call $load_row (local.get $x) (local.get $ta) (local.get $n)) (local.get $nf)))
    (local.set $s (f64.div (f64.const 1) (f64.sqrt (f64.add
      (f64.div (call $sq_dev (local.get $ta) (local.get $n) (local.get $m)) (local.get $nf))
      (local.get $eps)))))
    (f64.store (local.get $mean) (local.get $m))
    (f64.store (local.get $rstd) (local.get $s))
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
        ;; row r (at $x + bytes): stats into $m1, $s1, with row r - 1's normalisation in between
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 8)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 8)))
        (local.set $m1 (f64.div (call $load_row (local.get $x) (local.get $tb) (local.get $n)) (local.get $nf)))
        (call $norm_row (local.get $ta) (local.get $y) (local.get $n) (local.get $m) (local.get $s)
          (local.get $affine) (local.get $wb))
        (local.set $s1 (f64.div (f64.const 1) (f64.sqrt (f64.add
          (f64.div (call $sq_dev (local.get $tb) (local.get $n) (local.get $m1)) (local.get $nf))
          (local.get $eps)))))
        (f64.store (local.get $mean) (local.get $m1))
        (f64.store (local.get $rstd) (local.get $s1))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $m (local.get $m1))
        (local.set $s (local.get $s1))
        (local.set $tmp (local.get $ta))
        (local.set $ta (local.get $tb))
        (local.set $tb (local.get $tmp))
        (br $rows)))
    ;; the last row
    (call $norm_row (local.get $ta) (local.get $y) (local.get $n) (local.get $m) (local.get $s)
      (local.get $affine) (local.get $wb)))

  ;; Pass 1 of the backward. For a row (n floats of x at $x and of g at $g; w, dw, db at $q, see the
  ;; layouts above), with xhat = (x - m) * s and gh = g * w: writes xhat and gh to the row's scratch $t,
  ;; sums gh and gh * xhat over the row, and adds g * xhat to dw and g to db (in place, so rows
  ;; accumulate in row order, as in the loops). Nine float64 operations per element pair plus the
  ;; conversions: the vector ports, not memory, set the pace (processing two rows at once to share the
  ;; w loads and dw, db updates was measured no faster). $bwd_sums does four columns per step and leaves
  ;; the last n mod 4 to $bwd_tail.

  ;; Row sums, as results: $sg = sum of gh, $sx = sum of gh * xhat.
  (global $sg (mut f64) (f64.const 0))
  (global $sx (mut f64) (f64.const 0))

  ;; Columns n & -4 .. n - 1 of one row (the pointers are the row's starts), added to the partial sums
  ;; $sg0 and $sx0; sets $sg and $sx to the totals.
  (func $bwd_tail (param $x i32) (param $g i32) (param $n i32) (param $m f64) (param $s f64) (param $q i32)
    (param $t i32) (param $sg0 f64) (param $sx0 f64)
    (local $c i32) (local $xl v128) (local $gl v128) (local $hl v128) (local $ag v128) (local $ax v128)
    (local $e f64) (local $f f64) (local $h f64)
    (local.set $c (i32.and (local.get $n) (i32.const -4)))
    (local.set $x (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))
    (local.set $g (i32.add (local.get $g) (i32.shl (local.get $c) (i32.const 2))))
    (local.set $q (i32.add (local.get $q) (i32.mul (local.get $c) (i32.const 24))))
    (local.set $t (i32.add (local.get $t) (i32.shl (local.get $c) (i32.const 4))))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (local.set $xl (f64x2.mul
          (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))) (f64x2.splat (local.get $m)))
          (f64x2.splat (local.get $s))))
        (local.set $gl (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
        (local.set $hl (f64x2.mul (local.get $gl) (v128.load (local.get $q))))
        (v128.store (local.get $t) (local.get $xl))
        (v128.store offset=16 (local.get $t) (local.get $hl))
        (local.set $ax (f64x2.mul (local.get $hl) (local.get $xl)))
        (local.set $sg0 (f64.add (local.get $sg0)
          (f64.add (f64x2.extract_lane 0 (local.get $hl)) (f64x2.extract_lane 1 (local.get $hl)))))
        (local.set $sx0 (f64.add (local.get $sx0)
          (f64.add (f64x2.extract_lane 0 (local.get $ax)) (f64x2.extract_lane 1 (local.get $ax)))))
        (v128.store offset=16 (local.get $q)
          (f64x2.add (v128.load offset=16 (local.get $q)) (f64x2.mul (local.get $gl) (local.get $xl))))
        (v128.store offset=32 (local.get $q) (f64x2.add (v128.load offset=32 (local.get $q)) (local.get $gl)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (i32.const 48)))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $e (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $x))) (local.get $m)) (local.get $s)))
        (local.set $f (f64.promote_f32 (f32.load (local.get $g))))
        (local.set $h (f64.mul (local.get $f) (f64.load (local.get $q))))
        (f64.store (local.get $t) (local.get $e))
        (f64.store offset=16 (local.get $t) (local.get $h))
        (local.set $sg0 (f64.add (local.get $sg0) (local.get $h)))
        (local.set $sx0 (f64.add (local.get $sx0) (f64.mul (local.get $h) (local.get $e))))
        (f64.store offset=16 (local.get $q)
          (f64.add (f64.load offset=16 (local.get $q)) (f64.mul (local.get $f) (local.get $e))))
        (f64.store offset=32 (local.get $q) (f64.add (f64.load offset=32 (local.get $q)) (local.get $f)))))
    (global.set $sg (local.get $sg0))
    (global.set $sx (local.get $sx0)))

  ;; Pass 1 for one row; sets $sg and $sx.
  (func $bwd_sums (param $x i32) (param $g i32) (param $n i32) (param $m f64) (param $s f64) (param $q i32)
    (param $t i32)
    (local $p i32) (local $r i32) (local $k i32) (local $u i32) (local $end i32)
    (local $xv v128) (local $gv v128) (local $mv v128) (local $sv v128)
    (local $xl v128) (local $xh v128) (local $gl v128) (local $gh v128) (local $hl v128) (local $hh v128)
    (local $ag0 v128) (local $ag1 v128) (local $ax0 v128) (local $ax1 v128)
    (local.set $mv (f64x2.splat (local.get $m)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $p (local.get $x))
    (local.set $r (local.get $g))
    (local.set $k (local.get $q))
    (local.set $u (local.get $t))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (loop $l
          (local.set $xv (v128.load (local.get $p)))
          (local.set $gv (v128.load (local.get $r)))
          ;; xhat, g and gh in two float64 halves
          (local.set $xl
            (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $xv)) (local.get $mv)) (local.get $sv)))
          (local.set $xh (f64x2.mul
            (f64x2.sub
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                (local.get $xv) (local.get $xv)))
              (local.get $mv))
            (local.get $sv)))
          (local.set $gl (f64x2.promote_low_f32x4 (local.get $gv)))
          (local.set $gh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
            (local.get $gv) (local.get $gv))))
          (local.set $hl (f64x2.mul (local.get $gl) (v128.load (local.get $k))))
          (local.set $hh (f64x2.mul (local.get $gh) (v128.load offset=48 (local.get $k))))
          (v128.store (local.get $u) (local.get $xl))
          (v128.store offset=16 (local.get $u) (local.get $hl))
          (v128.store offset=32 (local.get $u) (local.get $xh))
          (v128.store offset=48 (local.get $u) (local.get $hh))
          (local.set $ag0 (f64x2.add (local.get $ag0) (local.get $hl)))
          (local.set $ag1 (f64x2.add (local.get $ag1) (local.get $hh)))
          (local.set $ax0 (f64x2.add (local.get $ax0) (f64x2.mul (local.get $hl) (local.get $xl))))
          (local.set $ax1 (f64x2.add (local.get $ax1) (f64x2.mul (local.get $hh) (local.get $xh))))
          (v128.store offset=16 (local.get $k)
            (f64x2.add (v128.load offset=16 (local.get $k)) (f64x2.mul (local.get $gl) (local.get $xl))))
          (v128.store offset=32 (local.get $k) (f64x2.add (v128.load offset=32 (local.get $k)) (local.get $gl)))
          (v128.store offset=64 (local.get $k)
            (f64x2.add (v128.load offset=64 (local.get $k)) (f64x2.mul (local.get $gh) (local.get $xh))))
          (v128.store offset=80 (local.get $k) (f64x2.add (v128.load offset=80 (local.get $k)) (local.get $gh)))
          (local.set $r (i32.add (local.get $r) (i32.const 16)))
          (local.set $k (i32.add (local.get $k) (i32.const 96)))
          (local.set $u (i32.add (local.get $u) (i32.const 64)))
          (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))))
    (local.set $ag0 (f64x2.add (local.get $ag0) (local.get $ag1)))
    (local.set $ax0 (f64x2.add (local.get $ax0) (local.get $ax1)))
    (call $bwd_tail (local.get $x) (local.get $g) (local.get $n) (local.get $m) (local.get $s) (local.get $q)
      (local.get $t)
      (f64.add (f64x2.extract_lane 0 (local.get $ag0)) (f64x2.extract_lane 1 (local.get $ag0)))
      (f64.add (f64x2.extract_lane 0 (local.get $ax0)) (f64x2.extract_lane 1 (local.get $ax0)))))

  ;; Pass 2 of the backward over one row: dx = f32(s * ((gh - mg) - xhat * mgx)) into the floats at $dx,
  ;; from the xhat and gh pass 1 left in $t.
  (func $bwd_dx (param $t i32) (param $dx i32) (param $n i32) (param $s f64) (param $mg f64) (param $mgx f64)
    (local $end i32) (local $sv v128) (local $mgv v128) (local $mgxv v128) (local $lo v128) (local $hi v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $mgv (f64x2.splat (local.get $mg)))
    (local.set $mgxv (f64x2.splat (local.get $mgx)))
    (local.set $end (i32.add (local.get $t) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 4))))
    (if (i32.lt_u (local.get $t) (local.get $end))
      (then
        (loop $l
          (local.set $lo (f64x2.mul (local.get $sv) (f64x2.sub
            (f64x2.sub (v128.load offset=16 (local.get $t)) (local.get $mgv))
            (f64x2.mul (v128.load (local.get $t)) (local.get $mgxv)))))
          (local.set $hi (f64x2.mul (local.get $sv) (f64x2.sub
            (f64x2.sub (v128.load offset=48 (local.get $t)) (local.get $mgv))
            (f64x2.mul (v128.load offset=32 (local.get $t)) (local.get $mgxv)))))
          (v128.store (local.get $dx) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
          (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
          (br_if $l (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 64))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (local.set $lo (f64x2.mul (local.get $sv) (f64x2.sub
          (f64x2.sub (v128.load offset=16 (local.get $t)) (local.get $mgv))
          (f64x2.mul (v128.load (local.get $t)) (local.get $mgxv)))))
        (v128.store64_lane 0 (local.get $dx) (f32x4.demote_f64x2_zero (local.get $lo)))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 8)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (f32.store (local.get $dx) (f32.demote_f64 (f64.mul (local.get $s) (f64.sub
          (f64.sub (f64.load offset=16 (local.get $t)) (local.get $mg))
          (f64.mul (f64.load (local.get $t)) (local.get $mgx)))))))))

  ;; Backward: per row, with xhat = (x - mean) * rstd and gh = g * w (w = 1 where the layer has no weight:
  ;; g * 1 is g exactly), dx = rstd * ((gh - mean(gh)) - xhat * mean(gh * xhat)) into $dx (may be $g);
  ;; dw = the sum over rows of g * xhat and db = the sum over rows of g, into $q (see the layouts above;
  ;; zeroed here first). $mean and $rstd: one float64 per row; $t is scratch for two rows of 2n float64
  ;; (n rounded up to even). Pipelined like the forward: row r's sums, then row r - 1's dx (which
  ;; overlaps the reductions and divisions by n of row r).
  (func (export "layer_norm_backward") (param $x i32) (param $g i32) (param $dx i32) (param $rows i32)
    (param $n i32) (param $q i32) (param $mean i32) (param $rstd i32) (param $t i32)
    (local $bytes i32) (local $nf f64) (local $k i32) (local $end i32) (local $ta i32) (local $tb i32)
    (local $tmp i32) (local $s f64) (local $sg f64) (local $sx f64) (local $s1 f64)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $nf (f64.convert_i32_u (local.get $n)))
    ;; zero dw and db: the 32 bytes after each pair's w
    (local.set $k (local.get $q))
    (local.set $end (i32.add (local.get $q)
      (i32.mul (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)) (i32.const 48))))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $k) (local.get $end)))
        (v128.store offset=16 (local.get $k) (v128.const i64x2 0 0))
        (v128.store offset=32 (local.get $k) (v128.const i64x2 0 0))
        (local.set $k (i32.add (local.get $k) (i32.const 48)))
        (br $zero)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (local.set $ta (local.get $t))
    (local.set $tb (i32.add (local.get $t) (i32.shl (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2))
      (i32.const 4))))
    ;; row 0's sums
    (local.set $s (f64.load (local.get $rstd)))
    (call $bwd_sums (local.get $x) (local.get $g) (local.get $n) (f64.load (local.get $mean)) (local.get $s)
      (local.get $q) (local.get $ta))
    (local.set $sg (global.get $sg))
    (local.set $sx (global.get $sx))
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
        ;; row r's sums, then row r - 1's dx
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $g (i32.add (local.get $g) (local.get $bytes)))
        (local.set $mean (i32.add (local.get $mean) (i32.const 8)))
        (local.set $rstd (i32.add (local.get $rstd) (i32.const 8)))
        (local.set $s1 (f64.load (local.get $rstd)))
        (call $bwd_sums (local.get $x) (local.get $g) (local.get $n) (f64.load (local.get $mean)) (local.get $s1)
          (local.get $q) (local.get $tb))
        (call $bwd_dx (local.get $ta) (local.get $dx) (local.get $n) (local.get $s)
          (f64.div (local.get $sg) (local.get $nf)) (f64.div (local.get $sx) (local.get $nf)))
        (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
        (local.set $s (local.get $s1))
        (local.set $sg (global.get $sg))
        (local.set $sx (global.get $sx))
        (local.set $tmp (local.get $ta))
        (local.set $ta (local.get $tb))
        (local.set $tb (local.get $tmp))
        (br $rows)))
    ;; the last row's dx
    (call $bwd_dx (local.get $ta) (local.get $dx) (local.get $n) (local.get $s)
      (f64.div (local.get $sg) (local.get $nf)) (f64.div (local.get $sx) (local.get $nf))))
)
