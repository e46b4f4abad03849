;; Row kernels for float32 softmax, log-softmax, their backward passes and the fused softmax
;; cross-entropy, with WebAssembly SIMD (v128). Every kernel walks `rows` contiguous rows of `n` float32
;; values; pointers are byte offsets into the imported memory. The caller (src/wasm/rows.ts,
;; kernels/cross-entropy.ts) stages the data, does what needs a logarithm (log-sum-exp, the losses: a few
;; flops per row) in JavaScript, and copies the results out. The backward kernels are described where
;; they start (below `ce_backward`).
;;
;; Per row, softmax is three passes over data that stays in L1 (a 1000-class row is 4 KB):
;;   1. m = max_k x_k   (f32x4.pmax in two accumulators, NaN tracked apart: a NaN anywhere makes m NaN,
;;                       like the JS loops; an all −inf row uses m = 0, so it ends up NaN like torch)
;;   2. p_k = e^(x_k − m), s = Σ p_k   (the sum in float64 term by term, see $exp_row)
;;   3. p_k · (1/s)   (in float64, rounded once to float32)
;;
;; exp: x − m is split exactly into d + e (TwoSum: float32 subtraction is not exact when x and m differ
;; in magnitude, and an error of half an ulp of d would cost |d|·2^-24 of relative accuracy in e^d),
;; then d + e = k·ln2 + r with k = round(d·log2 e), r = d − k·C1 − k·C2 + e (Cody–Waite: k·C1 and
;; d − k·C1 are exact), e^r ≈ 1 + r + r²·P(r) with P of degree 4 (a minimax fit, relative error
;; 3.8e-9 on |r| ≤ ln2/2 + 3e-5), times 2^k built from exponent bits. Rows whose entries all lie within
;; 86 of the max (the common case) need nothing more: k ≥ −125, so 2^k is a normal float. Other rows
;; (−inf entries, huge spreads) take a general loop: d is clamped to −110, where e^d is below half the
;; smallest subnormal and rounds to 0 (so −inf gives 0), e is dropped there, and 2^k is applied in two
;; normal factors 2^h·2^(k−h), h = floor(k/2), so subnormal results are still rounded once. NaN
;; propagates. Inputs are ≤ 0 (x ≤ m), so nothing overflows. Accuracy: within 1 ulp of e^(x − m)
;; rounded from float64 (test/wasm-rows.test.ts checks it against Math.exp).
;;
;; The text keeps to ASCII plus a few symbols: wabt's lexer reads characters by their low byte (see
;; scripts/build-wasm.mjs).
(module
  (import "env" "memory" (memory 1))

  ;; e^(x − m) per lane (see the header; $exp_row has the same steps written out in its loop, with
  ;; comments).
  (func $exp_sub (param $x v128) (param $m v128) (result v128)
    (local $d v128) (local $b v128) (local $e v128) (local $k v128) (local $r v128) (local $p v128)
    (local $i v128) (local $h v128)
    (local.set $d (f32x4.sub (local.get $x) (local.get $m)))
    (local.set $b (f32x4.sub (local.get $d) (local.get $x)))
    (local.set $e (f32x4.sub
      (f32x4.sub (local.get $x) (f32x4.sub (local.get $d) (local.get $b)))
      (f32x4.add (local.get $m) (local.get $b))))
    (local.set $e (v128.and (local.get $e)
      (f32x4.ge (local.get $d) (v128.const f32x4 -110 -110 -110 -110))))
    (local.set $d (f32x4.pmax (local.get $d) (v128.const f32x4 -110 -110 -110 -110)))
    (local.set $i (f32x4.add
      (f32x4.mul (local.get $d)
        (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335 1.4426950216293335))
      (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $k (f32x4.sub (local.get $i) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $r (f32x4.add
      (f32x4.sub
        (f32x4.sub (local.get $d)
          (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
        (f32x4.mul (local.get $k)
          (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
            -2.1219444170128554e-4)))
      (local.get $e)))
    (local.set $p (f32x4.add
      (f32x4.mul (local.get $r)
        (v128.const f32x4 1.3814599951729178e-3 1.3814599951729178e-3 1.3814599951729178e-3
          1.3814599951729178e-3))
      (v128.const f32x4 8.368715643882751e-3 8.368715643882751e-3 8.368715643882751e-3 8.368715643882751e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 4.166838899254799e-2 4.166838899254799e-2 4.166838899254799e-2 4.166838899254799e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 0.1666652113199234 0.1666652113199234 0.1666652113199234 0.1666652113199234)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 0.4999999403953552 0.4999999403953552 0.4999999403953552 0.4999999403953552)))
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    (local.set $i (i32x4.add (local.get $i)
      (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377)))
    (local.set $h (i32x4.shr_s (i32x4.sub (local.get $i) (v128.const i32x4 127 127 127 127)) (i32.const 1)))
    (f32x4.mul
      (f32x4.mul (local.get $p)
        (i32x4.shl (i32x4.add (local.get $h) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
      (i32x4.shl (i32x4.sub (local.get $i) (local.get $h)) (i32.const 23))))

  ;; The first $t (0..3) floats at $p in lanes 0..$t−1, $fill in the others.
  (func $load_tail (param $p i32) (param $t i32) (param $fill v128) (result v128)
    (if (i32.ge_u (local.get $t) (i32.const 1))
      (then (local.set $fill (f32x4.replace_lane 0 (local.get $fill) (f32.load (local.get $p))))))
    (if (i32.ge_u (local.get $t) (i32.const 2))
      (then (local.set $fill (f32x4.replace_lane 1 (local.get $fill) (f32.load offset=4 (local.get $p))))))
    (if (i32.ge_u (local.get $t) (i32.const 3))
      (then (local.set $fill (f32x4.replace_lane 2 (local.get $fill) (f32.load offset=8 (local.get $p))))))
    (local.get $fill))

  ;; Stores lanes 0..$t−1 of $v at $p.
  (func $store_tail (param $p i32) (param $t i32) (param $v v128)
    (if (i32.ge_u (local.get $t) (i32.const 1))
      (then (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))))
    (if (i32.ge_u (local.get $t) (i32.const 2))
      (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.ge_u (local.get $t) (i32.const 3))
      (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))

  ;; Sum of the four lanes of a float32 vector, in float64.
  (func $hsum_f32_as_f64 (param $v v128) (result f64)
    (local $s v128)
    (local.set $s (f64x2.add (f64x2.promote_low_f32x4 (local.get $v))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
        (local.get $v) (local.get $v)))))
    (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))

  ;; Rows of n ≥ 4 end with a partial vector when n is not a multiple of 4: the loops below then run one
  ;; more step over the row's last four entries (overlapping the previous step), reading them from a
  ;; copy in the scratch bytes [$scratch, $scratch + 16) of memory taken before the row was overwritten in place, and
  ;; counting only the lanes not yet counted (a lane mask). Rows of n < 4 go through padded vectors
  ;; ($load_tail / $store_tail). Callers keep their data out of every thread's scratch bytes.

  ;; Lanes 4 − t .. 3 set (the last t lanes): the part of an overlapping last step that is new.
  (func $tail_mask (param $t i32) (result v128)
    (i32x4.gt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.sub (i32.const 3) (local.get $t)))))

  ;; Where this instance's scratch bytes start (0 unless set): each thread that runs these kernels on one
  ;; shared memory has its own instance and its own 64 scratch bytes.
  (global $scratch (mut i32) (i32.const 0))
  (func (export "set_scratch") (param $at i32) (global.set $scratch (local.get $at)))

  ;; Set by $row_max: 1 when every entry of the row is within 86 of its max (then e^(x − m) ≥ e^-86 is
  ;; a normal float and $exp_row can take its fast loop), else 0 (−inf entries, a huge spread, NaN).
  (global $narrow (mut i32) (i32.const 0))

  ;; max of the row (n ≥ 1 floats at $p): NaN if any entry is NaN, 0 if all are −inf. Sets $narrow.
  (func $row_max (param $p i32) (param $n i32) (result f32)
    (local $a v128) (local $b v128) (local $la v128) (local $lb v128) (local $v v128) (local $nan v128)
    (local $end i32) (local $m f32) (local $row i32)
    (local.set $row (local.get $p))
    (local.set $a (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $b (local.get $a))
    (local.set $la (v128.const f32x4 inf inf inf inf))
    (local.set $lb (local.get $la))
    ;; 8 per step in two accumulators (pmax / pmin are one maxps / minps; NaN is tracked apart)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (loop $l
          (local.set $v (v128.load (local.get $p)))
          (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
          (local.set $a (f32x4.pmax (local.get $a) (local.get $v)))
          (local.set $la (f32x4.pmin (local.get $la) (local.get $v)))
          (local.set $v (v128.load offset=16 (local.get $p)))
          (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
          (local.set $b (f32x4.pmax (local.get $b) (local.get $v)))
          (local.set $lb (f32x4.pmin (local.get $lb) (local.get $v)))
          (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 32))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (local.set $v (v128.load (local.get $p)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $a (f32x4.pmax (local.get $a) (local.get $v)))
        (local.set $la (f32x4.pmin (local.get $la) (local.get $v)))))
    (if (i32.and (local.get $n) (i32.const 3))
      (then
        (if (i32.ge_u (local.get $n) (i32.const 4))
          (then
            ;; the last four entries (max and min do not mind the overlap)
            (local.set $v (v128.load (i32.add (local.get $row)
              (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2)))))
            (local.set $la (f32x4.pmin (local.get $la) (local.get $v))))
          (else
            (local.set $v (call $load_tail (local.get $p) (local.get $n) (v128.const f32x4 -inf -inf -inf -inf)))
            (local.set $la (f32x4.pmin (local.get $la)
              (call $load_tail (local.get $p) (local.get $n) (v128.const f32x4 inf inf inf inf))))))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $a (f32x4.pmax (local.get $a) (local.get $v)))))
    (local.set $a (f32x4.pmax (local.get $a) (local.get $b)))
    (local.set $la (f32x4.pmin (local.get $la) (local.get $lb)))
    (global.set $narrow (i32.const 0))
    (if (v128.any_true (local.get $nan)) (then (return (f32.const nan))))
    (local.set $m (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.max (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
    (if (f32.eq (local.get $m) (f32.const -inf)) (then (return (f32.const 0))))
    (global.set $narrow (f32.ge
      (f32.sub
        (f32.min
          (f32.min (f32x4.extract_lane 0 (local.get $la)) (f32x4.extract_lane 1 (local.get $la)))
          (f32.min (f32x4.extract_lane 2 (local.get $la)) (f32x4.extract_lane 3 (local.get $la))))
        (local.get $m))
      (f32.const -86)))
    (local.get $m))

  ;; y_k = e^(x_k − m) for a row of n < 4 floats (padded vector through $exp_sub); returns Σ y_k.
  (func $exp_short (param $x i32) (param $y i32) (param $n i32) (param $m f32) (result f64)
    (local $v v128)
    ;; padding lanes are −inf: e^(−inf − m) = 0 adds nothing (or NaN when m is, and s is NaN anyway)
    (local.set $v (call $exp_sub
      (call $load_tail (local.get $x) (local.get $n) (v128.const f32x4 -inf -inf -inf -inf))
      (f32x4.splat (local.get $m))))
    (call $store_tail (local.get $y) (local.get $n) (local.get $v))
    (call $hsum_f32_as_f64 (local.get $v)))

  ;; y_k = e^(x_k − m) for the row at $x (n floats) into $y (may be $x); returns Σ y_k in float64.
  ;; The loops are $exp_sub written out with its constants in locals: V8 neither inlines wasm calls nor
  ;; hoists v128 constants out of loops (each costs a few instructions to materialise). k = round(d·log2 e)
  ;; uses the 1.5·2^23 trick (k lands in the low mantissa bits), cheaper than f32x4.nearest +
  ;; i32x4.trunc_sat. When $narrow (all d ≥ −86, so k ≥ −125), the fast loop needs no clamp or mask and
  ;; one 2^k factor; else the general loop does all of $exp_sub. Both give the same results there.
  ;; The sum is accumulated in float64, term by term: its error then stays proportional to the terms
  ;; other than the max's e^0 = 1, which keeps log s (the loss of a confident prediction, the
  ;; log-probability of the top class) accurate relative to its size.
  (func $exp_row (param $x i32) (param $y i32) (param $n i32) (param $m f32) (result f64)
    (local $mv v128) (local $v v128) (local $s0 v128) (local $s1 v128) (local $end i32) (local $t i32)
    (local $ylast i32) (local $mask v128) (local $tmask v128)
    (local $d v128) (local $b v128) (local $e v128) (local $k v128) (local $r v128) (local $p v128)
    (local $i v128) (local $h v128)
    (local $lo v128) (local $log2e v128) (local $magic v128) (local $ln2hi v128) (local $ln2lo v128)
    (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $one v128)
    (local $bias v128)
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (return (call $exp_short (local.get $x) (local.get $y) (local.get $n) (local.get $m)))))
    (local.set $t (i32.and (local.get $n) (i32.const 3)))
    (local.set $mask (v128.const i32x4 -1 -1 -1 -1))
    (local.set $tmask (call $tail_mask (local.get $t)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2))))
    (v128.store (global.get $scratch)
      (v128.load (i32.add (local.get $x) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $mv (f32x4.splat (local.get $m)))
    (local.set $log2e (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335
      1.4426950216293335))
    (local.set $magic (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2hi (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2lo (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
      -2.1219444170128554e-4))
    (local.set $c6 (v128.const f32x4 1.3814599951729178e-3 1.3814599951729178e-3 1.3814599951729178e-3
      1.3814599951729178e-3))
    (local.set $c5 (v128.const f32x4 8.368715643882751e-3 8.368715643882751e-3 8.368715643882751e-3
      8.368715643882751e-3))
    (local.set $c4 (v128.const f32x4 4.166838899254799e-2 4.166838899254799e-2 4.166838899254799e-2
      4.166838899254799e-2))
    (local.set $c3 (v128.const f32x4 0.1666652113199234 0.1666652113199234 0.1666652113199234
      0.1666652113199234))
    (local.set $c2 (v128.const f32x4 0.4999999403953552 0.4999999403953552 0.4999999403953552
      0.4999999403953552))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (if (global.get $narrow)
      (then
        (loop $fast
          (local.set $v (v128.load (local.get $x)))
          ;; d + e = x − m exactly (TwoSum)
          (local.set $d (f32x4.sub (local.get $v) (local.get $mv)))
          (local.set $b (f32x4.sub (local.get $d) (local.get $v)))
          (local.set $e (f32x4.sub
            (f32x4.sub (local.get $v) (f32x4.sub (local.get $d) (local.get $b)))
            (f32x4.add (local.get $mv) (local.get $b))))
          ;; i = k + 1.5·2^23 (bits: k in the low mantissa bits), k = round(d·log2 e)
          (local.set $i (f32x4.add (f32x4.mul (local.get $d) (local.get $log2e)) (local.get $magic)))
          ;; r = d − k·ln2 + e (k·C1 and d − k·C1 exact);
          ;; e^r = 1 + r + r²·(c2 + r·(c3 + r·(c4 + r·(c5 + r·c6))))
          (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
          (local.set $r (f32x4.add
            (f32x4.sub
              (f32x4.sub (local.get $d) (f32x4.mul (local.get $k) (local.get $ln2hi)))
              (f32x4.mul (local.get $k) (local.get $ln2lo)))
            (local.get $e)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
          (local.set $p (f32x4.add
            (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
            (local.get $one)))
          ;; × 2^k: (bits(i) << 23) is k << 23; adding bits(1.0) biases the exponent
          (local.set $v (f32x4.mul (local.get $p)
            (i32x4.add (i32x4.shl (local.get $i) (i32.const 23)) (local.get $one))))
          (v128.store (local.get $y) (local.get $v))
          (local.set $v (v128.and (local.get $v) (local.get $mask)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))
          (br_if $fast (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
          ;; after the whole vectors, once more over the row's last 4 entries (from the scratch copy),
          ;; counting only the t lanes not done yet
          (if (local.get $t)
            (then
              (local.set $x (global.get $scratch))
              (local.set $end (i32.add (global.get $scratch) (i32.const 16)))
              (local.set $y (local.get $ylast))
              (local.set $mask (local.get $tmask))
              (local.set $t (i32.const 0))
              (br $fast)))))
      (else
        (local.set $lo (v128.const f32x4 -110 -110 -110 -110))
        ;; 127 − bits(1.5·2^23): added to the bits of i it gives k + 127
        (local.set $bias (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377))
        (loop $general
          ;; as the fast loop, plus: d clamped to −110 (e^-110 rounds to 0, and −inf lands there), e
          ;; dropped there, and 2^k in two factors so subnormal results are rounded once
          (local.set $v (v128.load (local.get $x)))
          (local.set $d (f32x4.sub (local.get $v) (local.get $mv)))
          (local.set $b (f32x4.sub (local.get $d) (local.get $v)))
          (local.set $e (f32x4.sub
            (f32x4.sub (local.get $v) (f32x4.sub (local.get $d) (local.get $b)))
            (f32x4.add (local.get $mv) (local.get $b))))
          (local.set $e (v128.and (local.get $e) (f32x4.ge (local.get $d) (local.get $lo))))
          ;; pmax(d, lo) = d < lo ? lo : d keeps a NaN d
          (local.set $d (f32x4.pmax (local.get $d) (local.get $lo)))
          (local.set $i (f32x4.add (f32x4.mul (local.get $d) (local.get $log2e)) (local.get $magic)))
          (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
          (local.set $r (f32x4.add
            (f32x4.sub
              (f32x4.sub (local.get $d) (f32x4.mul (local.get $k) (local.get $ln2hi)))
              (f32x4.mul (local.get $k) (local.get $ln2lo)))
            (local.get $e)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
          (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
          (local.set $p (f32x4.add
            (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
            (local.get $one)))
          ;; i = k + 127; 2^k = 2^h · 2^(k−h) with h = floor(k/2), each factor normal for k ≥ −160
          (local.set $i (i32x4.add (local.get $i) (local.get $bias)))
          (local.set $h (i32x4.shr_s (i32x4.sub (local.get $i) (v128.const i32x4 127 127 127 127))
            (i32.const 1)))
          (local.set $v (f32x4.mul
            (f32x4.mul (local.get $p)
              (i32x4.shl (i32x4.add (local.get $h) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
            (i32x4.shl (i32x4.sub (local.get $i) (local.get $h)) (i32.const 23))))
          (v128.store (local.get $y) (local.get $v))
          (local.set $v (v128.and (local.get $v) (local.get $mask)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))
          (br_if $general (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
          ;; after the whole vectors, once more over the row's last 4 entries (from the scratch copy),
          ;; counting only the t lanes not done yet
          (if (local.get $t)
            (then
              (local.set $x (global.get $scratch))
              (local.set $end (i32.add (global.get $scratch) (i32.const 16)))
              (local.set $y (local.get $ylast))
              (local.set $mask (local.get $tmask))
              (local.set $t (i32.const 0))
              (br $general))))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))

  ;; Four float32 lanes ⊙ a float64 vector op: f32(f64(v) · mul + add) per lane, rounded once.
  (func $affine_f64 (param $v v128) (param $mul v128) (param $add v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mul)) (local.get $add)))
      (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
            (local.get $v) (local.get $v)))
          (local.get $mul))
        (local.get $add)))))

  ;; y_k = f32(f64(x_k) · mul + add) over n floats ($y may be $x; the tail as in $exp_row).
  (func $affine_row (param $x i32) (param $y i32) (param $n i32) (param $mul f64) (param $add f64)
    (local $mv v128) (local $av v128) (local $end i32) (local $t i32) (local $v v128) (local $ylast i32)
    (local.set $mv (f64x2.splat (local.get $mul)))
    (local.set $av (f64x2.splat (local.get $add)))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then
        (call $store_tail (local.get $y) (local.get $n)
          (call $affine_f64 (call $load_tail (local.get $x) (local.get $n) (v128.const f32x4 0 0 0 0))
            (local.get $mv) (local.get $av)))
        (return)))
    (local.set $t (i32.and (local.get $n) (i32.const 3)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2))))
    (v128.store (global.get $scratch)
      (v128.load (i32.add (local.get $x) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (loop $l
      ;; $affine_f64, written out
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $y) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mv)) (local.get $av)))
        (f32x4.demote_f64x2_zero (f64x2.add
          (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
              (local.get $v) (local.get $v)))
            (local.get $mv))
          (local.get $av)))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
      (if (local.get $t)
        (then
          (local.set $x (global.get $scratch))
          (local.set $end (i32.add (global.get $scratch) (i32.const 16)))
          (local.set $y (local.get $ylast))
          (local.set $t (i32.const 0))
          (br $l)))))

  ;; Softmax of each row: $y (may be $x) gets e^(x − m) / s, and $stats (16 bytes per row) gets
  ;; [m, s] as two float64 (m after the −inf → 0 rule), from which the caller forms log-sum-exp.
  (func (export "softmax") (param $x i32) (param $y i32) (param $rows i32) (param $n i32) (param $stats i32)
    (local $m f32) (local $s f64) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rows
      (local.set $m (call $row_max (local.get $x) (local.get $n)))
      (local.set $s (call $exp_row (local.get $x) (local.get $y) (local.get $n) (local.get $m)))
      (call $affine_row (local.get $y) (local.get $y) (local.get $n) (f64.div (f64.const 1) (local.get $s))
        (f64.const 0))
      (f64.store (local.get $stats) (f64.promote_f32 (local.get $m)))
      (f64.store offset=8 (local.get $stats) (local.get $s))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      (local.set $stats (i32.add (local.get $stats) (i32.const 16)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; Causal softmax: the rows form (L, n) matrices and row r (row r mod L of its matrix) is the softmax
  ;; of its first keep = min(r mod L + 1, n) entries, the rest 0. The same as `softmax` of the row with
  ;; -inf after the first keep entries (their e^(x - m) is 0 and adds 0 to s), bit for bit, but only the
  ;; kept prefix is read and it takes the fast exp loop. $y may be $x.
  (func (export "softmax_causal") (param $x i32) (param $y i32) (param $rows i32) (param $n i32) (param $L i32)
    (local $m f32) (local $s f64) (local $bytes i32) (local $i i32) (local $keep i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rows
      (local.set $keep (i32.add (local.get $i) (i32.const 1)))
      (if (i32.gt_u (local.get $keep) (local.get $n)) (then (local.set $keep (local.get $n))))
      (local.set $m (call $row_max (local.get $x) (local.get $keep)))
      (local.set $s (call $exp_row (local.get $x) (local.get $y) (local.get $keep) (local.get $m)))
      (call $affine_row (local.get $y) (local.get $y) (local.get $keep) (f64.div (f64.const 1) (local.get $s))
        (f64.const 0))
      (memory.fill (i32.add (local.get $y) (i32.shl (local.get $keep) (i32.const 2))) (i32.const 0)
        (i32.shl (i32.sub (local.get $n) (local.get $keep)) (i32.const 2)))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      ;; the row index within its matrix wraps every L rows
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.eq (local.get $i) (local.get $L)) (then (local.set $i (i32.const 0))))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; [m, s] per row as in `softmax`, without writing probabilities ($scratch: room for one row).
  (func (export "softmax_stats") (param $x i32) (param $rows i32) (param $n i32) (param $stats i32)
    (param $scratch i32)
    (local $m f32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rows
      (local.set $m (call $row_max (local.get $x) (local.get $n)))
      (f64.store (local.get $stats) (f64.promote_f32 (local.get $m)))
      (f64.store offset=8 (local.get $stats)
        (call $exp_row (local.get $x) (local.get $scratch) (local.get $n) (local.get $m)))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $stats (i32.add (local.get $stats) (i32.const 16)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; y = f32(x − c_row) per row, the difference taken in float64 ($c: one float64 per row): the last
  ;; step of log-softmax, with c = log-sum-exp.
  (func (export "sub_rows") (param $x i32) (param $y i32) (param $rows i32) (param $n i32) (param $c i32)
    (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rows
      (call $affine_row (local.get $x) (local.get $y) (local.get $n) (f64.const 1)
        (f64.neg (f64.load (local.get $c))))
      (local.set $x (i32.add (local.get $x) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      (local.set $c (i32.add (local.get $c) (i32.const 8)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; out_row = Σ_k w_k · x_k in float64 per row ($w: n float64 weights; when $weighted is 0, w = 1).
  (func (export "dot_rows") (param $x i32) (param $w i32) (param $weighted i32) (param $rows i32)
    (param $n i32) (param $out i32)
    (local $k i32) (local $p i32) (local $q i32) (local $v v128) (local $s0 v128) (local $s1 v128)
    (local $s f64)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rows
      (local.set $s0 (v128.const i64x2 0 0))
      (local.set $s1 (v128.const i64x2 0 0))
      (local.set $p (local.get $x))
      (local.set $q (local.get $w))
      (local.set $k (i32.const 4))
      (if (i32.le_u (local.get $k) (local.get $n))
        (then
          (loop $l
            (local.set $v (v128.load (local.get $p)))
            (if (local.get $weighted)
              (then
                (local.set $s0 (f64x2.add (local.get $s0)
                  (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (v128.load (local.get $q)))))
                (local.set $s1 (f64x2.add (local.get $s1)
                  (f64x2.mul
                    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                      (local.get $v) (local.get $v)))
                    (v128.load offset=16 (local.get $q))))))
              (else
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
                (local.set $s1 (f64x2.add (local.get $s1)
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                    (local.get $v) (local.get $v)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br_if $l (i32.le_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (local.get $n))))))
      (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
      (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
      ;; the last n mod 4 entries one by one
      (local.set $k (i32.sub (local.get $k) (i32.const 4)))
      (block $done
        (loop $tail
          (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $s (f64.add (local.get $s)
            (if (result f64) (local.get $weighted)
              (then (f64.mul (f64.promote_f32 (f32.load (local.get $p))) (f64.load (local.get $q))))
              (else (f64.promote_f32 (f32.load (local.get $p)))))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (i32.const 8)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $tail)))
      (f64.store (local.get $out) (local.get $s))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.const 8)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; Gradient of the cross-entropy losses: y_k = f32(p_k · a − s · w_k) per row, in float64, with
  ;; [a, s] two float64 per row at $coef and $w n float64 class weights; when $smooth is 0 the s·w term
  ;; is left out (y_k = f32(p_k · a)), when $weighted is 0, w = 1. $y may be $p. The caller subtracts
  ;; g·w_y at the target and zeroes ignored rows.
  (func (export "ce_backward") (param $p i32) (param $y i32) (param $rows i32) (param $n i32) (param $coef i32)
    (param $w i32) (param $smooth i32) (param $weighted i32)
    (local $bytes i32) (local $a v128) (local $s v128) (local $v v128) (local $k i32) (local $q i32)
    (local $pp i32) (local $yy i32) (local $t i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (loop $rows
      (local.set $a (v128.load64_splat (local.get $coef)))
      (local.set $s (v128.load64_splat offset=8 (local.get $coef)))
      (if (i32.and (local.get $smooth) (local.get $weighted))
        (then
          (local.set $pp (local.get $p))
          (local.set $yy (local.get $y))
          (local.set $q (local.get $w))
          (local.set $k (i32.const 4))
          (if (i32.le_u (local.get $k) (local.get $n))
            (then
              (loop $l
                (local.set $v (v128.load (local.get $pp)))
                (v128.store (local.get $yy) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                  (f32x4.demote_f64x2_zero (f64x2.sub
                    (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $a))
                    (f64x2.mul (local.get $s) (v128.load (local.get $q)))))
                  (f32x4.demote_f64x2_zero (f64x2.sub
                    (f64x2.mul
                      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15
                        (local.get $v) (local.get $v)))
                      (local.get $a))
                    (f64x2.mul (local.get $s) (v128.load offset=16 (local.get $q)))))))
                (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
                (local.set $yy (i32.add (local.get $yy) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 32)))
                (br_if $l (i32.le_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (local.get $n))))))
          (local.set $k (i32.sub (local.get $k) (i32.const 4)))
          (block $done
            (loop $tail
              (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
              (f32.store (local.get $yy) (f32.demote_f64 (f64.sub
                (f64.mul (f64.promote_f32 (f32.load (local.get $pp))) (f64x2.extract_lane 0 (local.get $a)))
                (f64.mul (f64x2.extract_lane 0 (local.get $s)) (f64.load (local.get $q))))))
              (local.set $pp (i32.add (local.get $pp) (i32.const 4)))
              (local.set $yy (i32.add (local.get $yy) (i32.const 4)))
              (local.set $q (i32.add (local.get $q) (i32.const 8)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $tail))))
        (else
          ;; y = p·a − s (s = 0 without smoothing: p·a − 0 is p·a, −0 included)
          (call $affine_row (local.get $p) (local.get $y) (local.get $n) (f64x2.extract_lane 0 (local.get $a))
            (f64.neg (f64x2.extract_lane 0 (local.get $s))))))
      (local.set $p (i32.add (local.get $p) (local.get $bytes)))
      (local.set $y (i32.add (local.get $y) (local.get $bytes)))
      (local.set $coef (i32.add (local.get $coef) (i32.const 16)))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))
  ;; ---------------------------------------------------------------- softmax / log-softmax backward
  ;; For y = softmax(x) and upstream g, dx_k = y_k·(g_k − s) with s = Σ_k g_k·y_k; for y = log-softmax(x),
  ;; dx_k = g_k − e^(y_k)·s with s = Σ_k g_k. Both are bitwise the TypeScript loops of kernels/softmax.ts:
  ;;   - s is summed in float64 left to right, as the loop does (g·y of two floats is exact in float64:
  ;;     24 × 24 bits). One sequential sum is latency-bound (an f64 add, ~4 cycles, per element), so
  ;;     four rows go at once, as the lanes of two f64x2 accumulators; each row is still summed in order.
  ;;   - each dx_k is formed in float64 exactly as the loop forms it and rounded once to float32.
  ;;   - e^y is the loop's float64 exp (kernels/fastmath.ts) operation for operation: the same
  ;;     reduction, polynomial and 2^(j/64) table (staged by the caller), so the same double.
  ;; The row sums of a group of four are kept in the scratch bytes [$scratch, $scratch + 32).

  ;; Stores the four float64 row sums of rows a, b, c, d (rows of $n floats, $g and $y their first rows)
  ;; at scratch bytes [0, 32): s = Σ_k g_k·y_k, or Σ_k g_k when $prod is 0 ($y unused), each left to right.
  (func $row_sums4 (param $g i32) (param $y i32) (param $n i32) (param $prod i32)
    (local $stride i32) (local $end i32) (local $o i32) (local $k i32)
    (local $ga i32) (local $gb i32) (local $gc i32) (local $gd i32)
    (local $ya i32) (local $yb i32) (local $yc i32) (local $yd i32)
    (local $ab v128) (local $cd v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $c0 v128) (local $c1 v128) (local $d0 v128) (local $d1 v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $ga (local.get $g))
    (local.set $gb (i32.add (local.get $ga) (local.get $stride)))
    (local.set $gc (i32.add (local.get $gb) (local.get $stride)))
    (local.set $gd (i32.add (local.get $gc) (local.get $stride)))
    (local.set $ya (local.get $y))
    (local.set $yb (i32.add (local.get $ya) (local.get $stride)))
    (local.set $yc (i32.add (local.get $yb) (local.get $stride)))
    (local.set $yd (i32.add (local.get $yc) (local.get $stride)))
    ;; $ab = (s_a, s_b), $cd = (s_c, s_d); the loop runs over whole vectors of 4 columns
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (if (local.get $end)
      (then
        (loop $l
          ;; per row, columns 0,1 and 2,3 of this step as float64 pairs (the load folds into the
          ;; conversion), times y when $prod
          (local.set $a0 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $ga))))
          (local.set $a1 (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $ga))))
          (local.set $b0 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $gb))))
          (local.set $b1 (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $gb))))
          (local.set $c0 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $gc))))
          (local.set $c1 (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $gc))))
          (local.set $d0 (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $gd))))
          (local.set $d1 (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $gd))))
          (if (local.get $prod)
            (then
              (local.set $a0 (f64x2.mul (local.get $a0)
                (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $ya)))))
              (local.set $a1 (f64x2.mul (local.get $a1)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $ya)))))
              (local.set $b0 (f64x2.mul (local.get $b0)
                (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $yb)))))
              (local.set $b1 (f64x2.mul (local.get $b1)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $yb)))))
              (local.set $c0 (f64x2.mul (local.get $c0)
                (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $yc)))))
              (local.set $c1 (f64x2.mul (local.get $c1)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $yc)))))
              (local.set $d0 (f64x2.mul (local.get $d0)
                (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $yd)))))
              (local.set $d1 (f64x2.mul (local.get $d1)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $yd)))))))
          ;; columns in order: (a_j, b_j) and (c_j, d_j) pairs (unpacklo / unpackhi of the rows' pairs)
          (local.set $ab (f64x2.add (local.get $ab)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $b0))))
          (local.set $cd (f64x2.add (local.get $cd)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c0) (local.get $d0))))
          (local.set $ab (f64x2.add (local.get $ab)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $b0))))
          (local.set $cd (f64x2.add (local.get $cd)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c0) (local.get $d0))))
          (local.set $ab (f64x2.add (local.get $ab)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a1) (local.get $b1))))
          (local.set $cd (f64x2.add (local.get $cd)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c1) (local.get $d1))))
          (local.set $ab (f64x2.add (local.get $ab)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a1) (local.get $b1))))
          (local.set $cd (f64x2.add (local.get $cd)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c1) (local.get $d1))))
          (local.set $ga (i32.add (local.get $ga) (i32.const 16)))
          (local.set $gb (i32.add (local.get $gb) (i32.const 16)))
          (local.set $gc (i32.add (local.get $gc) (i32.const 16)))
          (local.set $gd (i32.add (local.get $gd) (i32.const 16)))
          (local.set $ya (i32.add (local.get $ya) (i32.const 16)))
          (local.set $yb (i32.add (local.get $yb) (i32.const 16)))
          (local.set $yc (i32.add (local.get $yc) (i32.const 16)))
          (local.set $yd (i32.add (local.get $yd) (i32.const 16)))
          (br_if $l (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 16))) (local.get $end))))))
    ;; the last n mod 4 columns of each row continue its sum
    (local.set $k (i32.sub (local.get $n) (i32.and (local.get $n) (i32.const -4))))
    (f64.store (i32.add (global.get $scratch) (i32.const 0)) (call $row_sum (local.get $ga) (local.get $ya) (local.get $k) (local.get $prod)
      (f64x2.extract_lane 0 (local.get $ab))))
    (f64.store (i32.add (global.get $scratch) (i32.const 8)) (call $row_sum (local.get $gb) (local.get $yb) (local.get $k) (local.get $prod)
      (f64x2.extract_lane 1 (local.get $ab))))
    (f64.store (i32.add (global.get $scratch) (i32.const 16)) (call $row_sum (local.get $gc) (local.get $yc) (local.get $k) (local.get $prod)
      (f64x2.extract_lane 0 (local.get $cd))))
    (f64.store (i32.add (global.get $scratch) (i32.const 24)) (call $row_sum (local.get $gd) (local.get $yd) (local.get $k) (local.get $prod)
      (f64x2.extract_lane 1 (local.get $cd)))))

  ;; $s + Σ_k g_k·y_k (or + Σ_k g_k when $prod is 0) over $n floats, one by one, left to right.
  (func $row_sum (param $g i32) (param $y i32) (param $n i32) (param $prod i32) (param $s f64) (result f64)
    (local $end i32)
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (local.set $s (f64.add (local.get $s)
          (if (result f64) (local.get $prod)
            (then
              (f64.mul (f64.promote_f32 (f32.load (local.get $g))) (f64.promote_f32 (f32.load (local.get $y)))))
            (else (f64.promote_f32 (f32.load (local.get $g)))))))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $l)))
    (local.get $s))

  ;; out_k = f32(y_k·(g_k − s)) in float64 over one row of $n floats ($out may be $g).
  (func $softmax_backward_row (param $g i32) (param $y i32) (param $out i32) (param $n i32) (param $s f64)
    (local $sv v128) (local $end i32) (local $lo v128) (local $hi v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $g) (local.get $end))
      (then
        (loop $l
          ;; both halves read before either is stored (in place, $out = $g)
          (local.set $lo (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $y)))
            (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))) (local.get $sv))))
          (local.set $hi (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $y)))
            (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $g))) (local.get $sv))))
          (v128.store64_lane 0 (local.get $out) (f32x4.demote_f64x2_zero (local.get $lo)))
          (v128.store64_lane offset=8 0 (local.get $out) (f32x4.demote_f64x2_zero (local.get $hi)))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (br_if $l (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 16))) (local.get $end))))))
    ;; the last n mod 4 one by one
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (f32.store (local.get $out) (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $y)))
          (f64.sub (f64.promote_f32 (f32.load (local.get $g))) (local.get $s)))))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $tail))))

  ;; Softmax backward over `rows` rows of n floats: out = y·(g − Σ g·y) per row ($out may be $g).
  (func (export "softmax_backward") (param $g i32) (param $y i32) (param $out i32) (param $rows i32)
    (param $n i32)
    (local $bytes i32) (local $i i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $groups
        (br_if $done (i32.lt_u (local.get $rows) (i32.const 4)))
        (call $row_sums4 (local.get $g) (local.get $y) (local.get $n) (i32.const 1))
        (local.set $i (i32.const 0))
        (loop $four
          (call $softmax_backward_row (local.get $g) (local.get $y) (local.get $out) (local.get $n)
            (f64.load (i32.add (global.get $scratch) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $g (i32.add (local.get $g) (local.get $bytes)))
          (local.set $y (i32.add (local.get $y) (local.get $bytes)))
          (local.set $out (i32.add (local.get $out) (local.get $bytes)))
          (br_if $four (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 4)))
        (br $groups)))
    ;; the last rows mod 4 alone
    (block $end
      (loop $single
        (br_if $end (i32.eqz (local.get $rows)))
        (call $softmax_backward_row (local.get $g) (local.get $y) (local.get $out) (local.get $n)
          (call $row_sum (local.get $g) (local.get $y) (local.get $n) (i32.const 1) (f64.const 0)))
        (local.set $g (i32.add (local.get $g) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $out (i32.add (local.get $out) (local.get $bytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $single))))

  ;; e^x per float64 lane as kernels/fastmath.ts's `exp` computes it on its fast path
  ;; (−708.39 < x ≤ 709), with the table 2^(j/64), j = 0..63, at $frac:
  ;;   k = (x·64·log2 e + 1.5·2^52) − 1.5·2^52   (round to nearest; the sum's low bits hold k)
  ;;   r = (x − k·C1) − k·C2                      (C1 + C2 = ln2/64, fdlibm's split)
  ;;   p = 1 + r·(1 + r·(1/2 + r·(1/6 + r·(1/24 + r·(1/120 + r·(1/720))))))
  ;;   e^x = (2^(k >> 6) · 2^((k & 63)/64)) · p
  ;; The constants are fastmath's doubles, written in hex. Other lanes are garbage except NaN, which
  ;; propagates; the caller patches them.
  (func $exp_f64x2 (param $x v128) (param $frac i32) (result v128)
    (local $t v128) (local $k v128) (local $i v128) (local $r v128) (local $p v128)
    (local.set $t (f64x2.add
      (f64x2.mul (local.get $x) (v128.const f64x2 0x1.71547652b82fep6 0x1.71547652b82fep6))
      (v128.const f64x2 0x1.8p52 0x1.8p52)))
    (local.set $k (f64x2.sub (local.get $t) (v128.const f64x2 0x1.8p52 0x1.8p52)))
    ;; k as an integer: t and 1.5·2^52 share their exponent, so their bits differ by k
    (local.set $i (i64x2.sub (local.get $t) (v128.const i64x2 0x4338000000000000 0x4338000000000000)))
    (local.set $r (f64x2.sub
      (f64x2.sub (local.get $x)
        (f64x2.mul (local.get $k) (v128.const f64x2 0x1.62e42feep-7 0x1.62e42feep-7)))
      (f64x2.mul (local.get $k) (v128.const f64x2 0x1.a39ef35793c76p-39 0x1.a39ef35793c76p-39))))
    (local.set $p (f64x2.add
      (f64x2.mul (local.get $r) (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10))
      (v128.const f64x2 0x1.1111111111111p-7 0x1.1111111111111p-7)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p))
      (v128.const f64x2 0x1.5555555555555p-5 0x1.5555555555555p-5)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p))
      (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (v128.const f64x2 0.5 0.5)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (v128.const f64x2 1 1)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (v128.const f64x2 1 1)))
    ;; byte offsets 8·(k & 63) of the table entries, in the low halves of the lanes
    (local.set $t (v128.and (i64x2.shl (local.get $i) (i32.const 3)) (v128.const i64x2 504 504)))
    (f64x2.mul
      (f64x2.mul
        ;; 2^(k >> 6) from exponent bits (normal for the fast-path k), times 2^((k & 63)/64) exactly
        (i64x2.shl (i64x2.add (i64x2.shr_s (local.get $i) (i32.const 6)) (v128.const i64x2 1023 1023))
          (i32.const 52))
        (v128.load64_lane 1
          (i32.add (local.get $frac) (i32x4.extract_lane 2 (local.get $t)))
          (v128.load64_zero (i32.add (local.get $frac) (i32x4.extract_lane 0 (local.get $t))))))
      (local.get $p)))

  ;; Set by $log_softmax_backward2: the lanes it met with y in (−746, −708.39] or (709, 710), where
  ;; fastmath's exp calls Math.exp (subnormal and near-overflow results, not reproduced here).
  (global $band (mut v128) (v128.const i64x2 0 0))

  ;; f32-ready g − e^y·s for two float64 lanes, e^y as fastmath's exp on every input: $exp_f64x2 on its
  ;; fast path, 0 for y ≤ −746 (−inf included: Math.exp underflows to 0 below −745.2), +inf for y ≥ 710
  ;; (it overflows above 709.8), NaN for NaN; the lanes in between are ORed into $band.
  (func $log_softmax_backward2 (param $g v128) (param $y v128) (param $s v128) (param $frac i32)
    (result v128)
    (local $e v128)
    (local.set $e (call $exp_f64x2 (local.get $y) (local.get $frac)))
    (local.set $e (v128.andnot (local.get $e) (f64x2.le (local.get $y) (v128.const f64x2 -746 -746))))
    (local.set $e (v128.bitselect (v128.const f64x2 inf inf) (local.get $e)
      (f64x2.ge (local.get $y) (v128.const f64x2 710 710))))
    (global.set $band (v128.or (global.get $band)
      (v128.andnot
        (v128.and (f64x2.gt (local.get $y) (v128.const f64x2 -746 -746))
          (f64x2.lt (local.get $y) (v128.const f64x2 710 710)))
        ;; −0x1.6231eb851eb85p9 is the double −708.39
        (v128.and (f64x2.gt (local.get $y) (v128.const f64x2 -0x1.6231eb851eb85p9 -0x1.6231eb851eb85p9))
          (f64x2.le (local.get $y) (v128.const f64x2 709 709))))))
    (f64x2.sub (local.get $g) (f64x2.mul (local.get $e) (local.get $s))))

  ;; 1 when every y of the row ($n floats) is on exp's fast path, −708.39 < y ≤ 709 (for a float32 y,
  ;; y > −708.39 is y > f32(−708.39) = −708.3900146484375, which is below −708.39), else 0 (NaN too).
  (func $exp_fast_row (param $y i32) (param $n i32) (result i32)
    (local $ok v128) (local $v v128) (local $end i32) (local $lo v128) (local $hi v128)
    (local.set $ok (v128.const i32x4 -1 -1 -1 -1))
    (local.set $lo (v128.const f32x4 -708.3900146484375 -708.3900146484375 -708.3900146484375
      -708.3900146484375))
    (local.set $hi (v128.const f32x4 709 709 709 709))
    (local.set $end (i32.add (local.get $y) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $y) (local.get $end))
      (then
        (loop $l
          (local.set $v (v128.load (local.get $y)))
          (local.set $ok (v128.and (local.get $ok)
            (v128.and (f32x4.gt (local.get $v) (local.get $lo)) (f32x4.le (local.get $v) (local.get $hi)))))
          (br_if $l (i32.lt_u (local.tee $y (i32.add (local.get $y) (i32.const 16))) (local.get $end))))))
    ;; the last n mod 4, padded with 0 (on the fast path)
    (local.set $v (call $load_tail (local.get $y) (i32.and (local.get $n) (i32.const 3))
      (v128.const f32x4 0 0 0 0)))
    (local.set $ok (v128.and (local.get $ok)
      (v128.and (f32x4.gt (local.get $v) (local.get $lo)) (f32x4.le (local.get $v) (local.get $hi)))))
    (i32x4.all_true (local.get $ok)))

  ;; Log-softmax backward over `rows` rows of n floats: out = g − e^y·Σ g per row ($out may be $g;
  ;; $frac: 2^(j/64), j = 0..63, as float64). flags[r] (an i32 per row) is set to 1 for the rows with an
  ;; entry of y in the Math.exp bands of $log_softmax_backward2 (to recompute in TypeScript), else 0;
  ;; returns how many there are. Rows whose y are all on exp's fast path (the common case) take a loop
  ;; with $exp_f64x2 written out (constants in locals: see $exp_row), two entries per step; the others
  ;; go through $log_softmax_backward2.
  (func (export "log_softmax_backward") (param $g i32) (param $y i32) (param $out i32) (param $rows i32)
    (param $n i32) (param $frac i32) (param $flags i32) (result i32)
    (local $bytes i32) (local $i i32) (local $count i32) (local $s f64) (local $sv v128) (local $end i32)
    (local $go i32) (local $yo i32) (local $oo i32) (local $group i32)
    (local $x v128) (local $t v128) (local $k v128) (local $r v128) (local $p v128) (local $j v128)
    (local $l64e v128) (local $round v128) (local $rbits v128) (local $ln2hi v128) (local $ln2lo v128)
    (local $c7 v128) (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128) (local $one v128)
    (local $bias v128) (local $mask v128)
    (local.set $l64e (v128.const f64x2 0x1.71547652b82fep6 0x1.71547652b82fep6))
    (local.set $round (v128.const f64x2 0x1.8p52 0x1.8p52))
    (local.set $rbits (v128.const i64x2 0x4338000000000000 0x4338000000000000))
    (local.set $ln2hi (v128.const f64x2 0x1.62e42feep-7 0x1.62e42feep-7))
    (local.set $ln2lo (v128.const f64x2 0x1.a39ef35793c76p-39 0x1.a39ef35793c76p-39))
    (local.set $c7 (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10))
    (local.set $c6 (v128.const f64x2 0x1.1111111111111p-7 0x1.1111111111111p-7))
    (local.set $c5 (v128.const f64x2 0x1.5555555555555p-5 0x1.5555555555555p-5))
    (local.set $c4 (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3))
    (local.set $c3 (v128.const f64x2 0.5 0.5))
    (local.set $one (v128.const f64x2 1 1))
    (local.set $bias (v128.const i64x2 1023 1023))
    (local.set $mask (v128.const i64x2 504 504))
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $rows)))
        ;; a group of four rows shares one pass for its sums; otherwise one row at a time
        (if (i32.eqz (local.get $group))
          (then
            (if (i32.ge_u (local.get $rows) (i32.const 4))
              (then
                (call $row_sums4 (local.get $g) (local.get $y) (local.get $n) (i32.const 0))
                (local.set $group (i32.const 4))))))
        (if (local.get $group)
          (then
            (local.set $s (f64.load (i32.add (global.get $scratch)
              (i32.shl (i32.sub (i32.const 4) (local.get $group)) (i32.const 3)))))
            (local.set $group (i32.sub (local.get $group) (i32.const 1))))
          (else
            (local.set $s
              (call $row_sum (local.get $g) (local.get $y) (local.get $n) (i32.const 0) (f64.const 0)))))
        (local.set $sv (f64x2.splat (local.get $s)))
        (global.set $band (v128.const i64x2 0 0))
        (local.set $go (local.get $g))
        (local.set $yo (local.get $y))
        (local.set $oo (local.get $out))
        ;; two entries per step, up to an odd last one
        (local.set $end
          (i32.add (local.get $g) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
        (if (call $exp_fast_row (local.get $y) (local.get $n))
          (then
            (if (i32.lt_u (local.get $go) (local.get $end))
              (then
                (loop $fast
                  ;; $exp_f64x2 of two entries, then g − e·s
                  (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $yo))))
                  (local.set $t (f64x2.add (f64x2.mul (local.get $x) (local.get $l64e)) (local.get $round)))
                  (local.set $k (f64x2.sub (local.get $t) (local.get $round)))
                  (local.set $j (i64x2.sub (local.get $t) (local.get $rbits)))
                  (local.set $r (f64x2.sub
                    (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (local.get $ln2hi)))
                    (f64x2.mul (local.get $k) (local.get $ln2lo))))
                  (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $c7)) (local.get $c6)))
                  (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (local.get $c5)))
                  (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (local.get $c4)))
                  (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (local.get $c3)))
                  (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (local.get $one)))
                  (local.set $p (f64x2.add (f64x2.mul (local.get $r) (local.get $p)) (local.get $one)))
                  ;; byte offsets 8·(k & 63) of the table entries, in the low halves of the lanes
                  (local.set $t (v128.and (i64x2.shl (local.get $j) (i32.const 3)) (local.get $mask)))
                  (local.set $x (f64x2.mul
                    (f64x2.mul
                      (i64x2.shl (i64x2.add (i64x2.shr_s (local.get $j) (i32.const 6)) (local.get $bias))
                        (i32.const 52))
                      (v128.load64_lane 1
                        (i32.add (local.get $frac) (i32x4.extract_lane 2 (local.get $t)))
                        (v128.load64_zero (i32.add (local.get $frac) (i32x4.extract_lane 0 (local.get $t))))))
                    (local.get $p)))
                  (v128.store64_lane 0 (local.get $oo) (f32x4.demote_f64x2_zero
                    (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $go)))
                      (f64x2.mul (local.get $x) (local.get $sv)))))
                  (local.set $yo (i32.add (local.get $yo) (i32.const 8)))
                  (local.set $oo (i32.add (local.get $oo) (i32.const 8)))
                  (br_if $fast (i32.lt_u (local.tee $go (i32.add (local.get $go) (i32.const 8)))
                    (local.get $end)))))))
          (else
            (if (i32.lt_u (local.get $go) (local.get $end))
              (then
                (loop $general
                  (v128.store64_lane 0 (local.get $oo) (f32x4.demote_f64x2_zero
                    (call $log_softmax_backward2
                      (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $go)))
                      (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $yo))) (local.get $sv)
                      (local.get $frac))))
                  (local.set $yo (i32.add (local.get $yo) (i32.const 8)))
                  (local.set $oo (i32.add (local.get $oo) (i32.const 8)))
                  (br_if $general (i32.lt_u (local.tee $go (i32.add (local.get $go) (i32.const 8)))
                    (local.get $end))))))))
        ;; an odd last entry in lane 0 (lane 1 is y = 0, g = 0: on the fast path, and not stored)
        (if (i32.and (local.get $n) (i32.const 1))
          (then
            (f32.store (local.get $oo) (f32x4.extract_lane 0 (f32x4.demote_f64x2_zero
              (call $log_softmax_backward2
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $go)))
                (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $yo))) (local.get $sv)
                (local.get $frac)))))))
        (local.set $i (v128.any_true (global.get $band)))
        (i32.store (local.get $flags) (local.get $i))
        (local.set $count (i32.add (local.get $count) (local.get $i)))
        (local.set $g (i32.add (local.get $g) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $out (i32.add (local.get $out) (local.get $bytes)))
        (local.set $flags (i32.add (local.get $flags) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $rows)))
    (local.get $count)))
