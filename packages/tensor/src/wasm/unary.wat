;; Elementwise float32 kernels with WebAssembly SIMD (v128, four lanes): exp, tanh, sigmoid, exact GELU
;; x·Φ(x) and its backward g·(Φ(x) + x·φ(x)). Each export maps n contiguous float32 values at byte
;; offset $x (and $g) to $y, which may be the same place (in place). The caller (src/wasm/unary.ts)
;; copies a chunk in, calls once, and copies the result out; it keeps its data out of bytes [0, 64),
;; the kernels' scratch.
;;
;; Tails: when n ≥ 4 is not a multiple of 4, the loop runs one more step over the last four values
;; (overlapping the step before), read from a copy in scratch bytes [0, 16) (and [16, 32) for g) taken
;; before the loop could overwrite them in place; the overlap recomputes a few outputs from the same
;; inputs, so it writes the same values again. When n < 4, the inputs are copied into scratch padded
;; with zeros, one step runs there with its output at scratch [32, 48), and the first n lanes are copied
;; to $y.
;;
;; Shared core, e^y (as in rows.wat): k = round(y·log2 e) with the 1.5·2^23 trick (k lands in the low
;; mantissa bits of i = y·log2 e + 1.5·2^23); r = y − k·C1 − k·C2 (Cody–Waite: C1 = 0.693359375 has 9
;; bits, so k·C1 and y − k·C1 are exact); e^r = 1 + r + r²·P(r), P of degree 4, fitted by
;; scripts/fit-unary.ts for the relative error of e^r − 1 (4.9e-9 for e^r, 1.4e-8 for e^r − 1 on
;; |r| ≤ ln2/2 + 1e-4); 2^k from exponent bits. Results that may be subnormal apply 2^k as two (or three)
;; normal factors, the last multiply rounding once, so they are rounded correctly instead of flushed.
;; Constants live in locals: V8 neither inlines wasm calls nor hoists v128 constants out of loops.
;;
;; Accuracy (float32 ulps from the float64 value rounded to float32, test/wasm-unary.test.ts): exp 1,
;; tanh 2, sigmoid 2, gelu 7 (4.6e-7 relative), gelu backward 4 ulps of |Φ(x)| + |x·φ(x)| (its zero
;; near x = −0.75 is a cancellation of those two terms).
;;
;; The text keeps to ASCII plus a few symbols: wabt's lexer reads characters by their low byte (see
;; scripts/build-wasm.mjs).
(module
  (import "env" "memory" (memory 1))

  ;; The first $t (0..3) floats at $p in lanes 0..$t−1, zeros in the others.
  (func $load_tail (param $p i32) (param $t i32) (result v128)
    (local $v v128)
    (if (i32.ge_u (local.get $t) (i32.const 1))
      (then (local.set $v (f32x4.replace_lane 0 (local.get $v) (f32.load (local.get $p))))))
    (if (i32.ge_u (local.get $t) (i32.const 2))
      (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $p))))))
    (if (i32.ge_u (local.get $t) (i32.const 3))
      (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $p))))))
    (local.get $v))

  ;; Stores lanes 0..$t−1 of $v at $p.
  (func $store_tail (param $p i32) (param $t i32) (param $v v128)
    (if (i32.ge_u (local.get $t) (i32.const 1))
      (then (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))))
    (if (i32.ge_u (local.get $t) (i32.const 2))
      (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.ge_u (local.get $t) (i32.const 3))
      (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))

  ;; Copies what the last step reads into scratch at $slot: the last four of n floats at $p when
  ;; n ≥ 4 and n mod 4 ≠ 0, all n padded with zeros when n < 4.
  (func $stage (param $p i32) (param $n i32) (param $slot i32)
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (v128.store (local.get $slot) (call $load_tail (local.get $p) (local.get $n))))
      (else
        (if (i32.and (local.get $n) (i32.const 3))
          (then (v128.store (local.get $slot)
            (v128.load (i32.add (local.get $p) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2))))))))))

  ;; y = e^x. Lanes with x < −104 (e^x below half the smallest subnormal: 0, −inf included) are
  ;; computed on 0 and zeroed at the end, so no multiply underflows to 0 (on x86 every subnormal or
  ;; underflowing result costs a microcode assist of ~100 cycles); x is clamped to 89 (e^89 overflows to
  ;; inf). NaN passes both (pmin keeps its first operand when the comparison is false). k ∈ [−150, 128]
  ;; is applied as 2^h·2^(k−h), h = floor(k/2): both factors are normal, so overflow and subnormal
  ;; results are rounded once.
  (func (export "exp") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $t i32) (local $ylast i32) (local $out i32) (local $m i32)
    (local $v v128) (local $i v128) (local $k v128) (local $r v128) (local $p v128) (local $e v128)
    (local $h v128) (local $zero v128)
    (local $lo v128) (local $hi v128) (local $log2e v128) (local $magic v128) (local $ln2hi v128)
    (local $ln2lo v128) (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128) (local $c2 v128)
    (local $one v128) (local $bias v128) (local $b127 v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (call $stage (local.get $x) (local.get $n) (i32.const 0))
    (local.set $out (local.get $y))
    (local.set $m (local.get $n))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (local.set $x (i32.const 0)) (local.set $y (i32.const 32)) (local.set $m (i32.const 4))))
    (local.set $t (i32.and (local.get $m) (i32.const 3)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $m) (i32.const 4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 2))))
    (local.set $lo (v128.const f32x4 -104 -104 -104 -104))
    (local.set $hi (v128.const f32x4 89 89 89 89))
    (local.set $log2e (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335
      1.4426950216293335))
    (local.set $magic (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2hi (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2lo (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
      -2.1219444170128554e-4))
    (local.set $c6 (v128.const f32x4 0.0013836746 0.0013836746 0.0013836746 0.0013836746))
    (local.set $c5 (v128.const f32x4 0.008367105 0.008367105 0.008367105 0.008367105))
    (local.set $c4 (v128.const f32x4 0.041667752 0.041667752 0.041667752 0.041667752))
    (local.set $c3 (v128.const f32x4 0.16666539 0.16666539 0.16666539 0.16666539))
    (local.set $c2 (v128.const f32x4 0.49999997 0.49999997 0.49999997 0.49999997))
    (local.set $one (v128.const f32x4 1 1 1 1))
    ;; bits(i) − bits(1.5·2^23) + 127 = k + 127
    (local.set $bias (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377))
    (local.set $b127 (v128.const i32x4 127 127 127 127))
    (loop $l
      (local.set $v (v128.load (local.get $x)))
      (local.set $zero (f32x4.lt (local.get $v) (local.get $lo)))
      (local.set $v (v128.andnot (f32x4.pmin (local.get $v) (local.get $hi)) (local.get $zero)))
      (local.set $i (f32x4.add (f32x4.mul (local.get $v) (local.get $log2e)) (local.get $magic)))
      (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
      (local.set $r (f32x4.sub
        (f32x4.sub (local.get $v) (f32x4.mul (local.get $k) (local.get $ln2hi)))
        (f32x4.mul (local.get $k) (local.get $ln2lo))))
      ;; e^r = 1 + r + r²·P(r)
      (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
      (local.set $p (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (local.get $one)))
      ;; e = k + 127; 2^k = 2^h · 2^(k−h) with h = floor(k/2)
      (local.set $e (i32x4.add (local.get $i) (local.get $bias)))
      (local.set $h (i32x4.shr_s (i32x4.sub (local.get $e) (local.get $b127)) (i32.const 1)))
      (v128.store (local.get $y) (v128.andnot
        (f32x4.mul
          (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $h) (local.get $b127)) (i32.const 23)))
          (i32x4.shl (i32x4.sub (local.get $e) (local.get $h)) (i32.const 23)))
        (local.get $zero)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
      (if (local.get $t)
        (then
          (local.set $x (i32.const 0))
          (local.set $end (i32.const 16))
          (local.set $y (local.get $ylast))
          (local.set $t (i32.const 0))
          (br $l))))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (call $store_tail (local.get $out) (local.get $n) (v128.load (i32.const 32))))))

  ;; y = tanh x = sign(x)·(1 − e^y)/(1 + e^y) with y = −2|x|, written with q = expm1(r) and s = 2^k
  ;; (e^y = s·(1 + q)) as ((1 − s) − s·q)/((1 + s) + s·q): 1 ± s is exact for the k ≥ −29 that occur,
  ;; so numerator and denominator are each rounded once, and for small |x| (k = 0) the numerator is −q
  ;; exactly, with the relative accuracy of the polynomial (no 1 − e^y cancellation). y is clamped to
  ;; −20 (tanh 10 rounds to 1); the sign is copied from x at the end, so tanh(−0) = −0 and NaN stays NaN.
  (func (export "tanh") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $t i32) (local $ylast i32) (local $out i32) (local $m i32)
    (local $v v128) (local $a v128) (local $i v128) (local $k v128) (local $r v128) (local $p v128)
    (local $s v128) (local $sq v128)
    (local $sign v128) (local $lo v128) (local $m2 v128) (local $log2e v128) (local $magic v128)
    (local $ln2hi v128) (local $ln2lo v128) (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128)
    (local $c2 v128) (local $one v128) (local $bias v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (call $stage (local.get $x) (local.get $n) (i32.const 0))
    (local.set $out (local.get $y))
    (local.set $m (local.get $n))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (local.set $x (i32.const 0)) (local.set $y (i32.const 32)) (local.set $m (i32.const 4))))
    (local.set $t (i32.and (local.get $m) (i32.const 3)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $m) (i32.const 4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 2))))
    (local.set $sign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $lo (v128.const f32x4 -20 -20 -20 -20))
    (local.set $m2 (v128.const f32x4 -2 -2 -2 -2))
    (local.set $log2e (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335
      1.4426950216293335))
    (local.set $magic (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2hi (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2lo (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
      -2.1219444170128554e-4))
    (local.set $c6 (v128.const f32x4 0.0013836746 0.0013836746 0.0013836746 0.0013836746))
    (local.set $c5 (v128.const f32x4 0.008367105 0.008367105 0.008367105 0.008367105))
    (local.set $c4 (v128.const f32x4 0.041667752 0.041667752 0.041667752 0.041667752))
    (local.set $c3 (v128.const f32x4 0.16666539 0.16666539 0.16666539 0.16666539))
    (local.set $c2 (v128.const f32x4 0.49999997 0.49999997 0.49999997 0.49999997))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $bias (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377))
    (loop $l
      (local.set $v (v128.load (local.get $x)))
      ;; y = max(−2|x|, −20)
      (local.set $a (f32x4.pmax (f32x4.mul (v128.andnot (local.get $v) (local.get $sign)) (local.get $m2))
        (local.get $lo)))
      (local.set $i (f32x4.add (f32x4.mul (local.get $a) (local.get $log2e)) (local.get $magic)))
      (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
      (local.set $r (f32x4.sub
        (f32x4.sub (local.get $a) (f32x4.mul (local.get $k) (local.get $ln2hi)))
        (f32x4.mul (local.get $k) (local.get $ln2lo))))
      ;; q = e^r − 1 = r + r²·P(r)
      (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)))
      ;; s = 2^k (one factor: k ≥ −29)
      (local.set $s (i32x4.shl (i32x4.add (local.get $i) (local.get $bias)) (i32.const 23)))
      (local.set $sq (f32x4.mul (local.get $s) (local.get $p)))
      ;; the quotient is ≥ 0 (+0 at x = ±0): x's sign bit is or-ed in
      (v128.store (local.get $y) (v128.or
        (f32x4.div
          (f32x4.sub (f32x4.sub (local.get $one) (local.get $s)) (local.get $sq))
          (f32x4.add (f32x4.add (local.get $one) (local.get $s)) (local.get $sq)))
        (v128.and (local.get $v) (local.get $sign))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
      (if (local.get $t)
        (then
          (local.set $x (i32.const 0))
          (local.set $end (i32.const 16))
          (local.set $y (local.get $ylast))
          (local.set $t (i32.const 0))
          (br $l))))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (call $store_tail (local.get $out) (local.get $n) (v128.load (i32.const 32))))))

  ;; y = sigmoid x: with e = e^−|x| ≤ 1, 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 (nothing
  ;; overflows; for very negative x the result is e itself, subnormal included). e is the exp kernel's
  ;; computation on −|x|, 0 below −104 as there: ±inf give 1 and 0, NaN stays NaN.
  (func (export "sigmoid") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $t i32) (local $ylast i32) (local $out i32) (local $m i32)
    (local $v v128) (local $a v128) (local $i v128) (local $k v128) (local $r v128) (local $p v128)
    (local $e v128) (local $h v128) (local $zero v128)
    (local $sign v128) (local $lo v128) (local $log2e v128) (local $magic v128) (local $ln2hi v128)
    (local $ln2lo v128) (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128) (local $c2 v128)
    (local $one v128) (local $bias v128) (local $b127 v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (call $stage (local.get $x) (local.get $n) (i32.const 0))
    (local.set $out (local.get $y))
    (local.set $m (local.get $n))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (local.set $x (i32.const 0)) (local.set $y (i32.const 32)) (local.set $m (i32.const 4))))
    (local.set $t (i32.and (local.get $m) (i32.const 3)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $m) (i32.const 4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 2))))
    (local.set $sign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $lo (v128.const f32x4 -104 -104 -104 -104))
    (local.set $log2e (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335
      1.4426950216293335))
    (local.set $magic (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2hi (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2lo (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
      -2.1219444170128554e-4))
    (local.set $c6 (v128.const f32x4 0.0013836746 0.0013836746 0.0013836746 0.0013836746))
    (local.set $c5 (v128.const f32x4 0.008367105 0.008367105 0.008367105 0.008367105))
    (local.set $c4 (v128.const f32x4 0.041667752 0.041667752 0.041667752 0.041667752))
    (local.set $c3 (v128.const f32x4 0.16666539 0.16666539 0.16666539 0.16666539))
    (local.set $c2 (v128.const f32x4 0.49999997 0.49999997 0.49999997 0.49999997))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $bias (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377))
    (local.set $b127 (v128.const i32x4 127 127 127 127))
    (loop $l
      (local.set $v (v128.load (local.get $x)))
      ;; −|x| by setting the sign bit
      (local.set $a (v128.or (local.get $v) (local.get $sign)))
      (local.set $zero (f32x4.lt (local.get $a) (local.get $lo)))
      (local.set $a (v128.andnot (local.get $a) (local.get $zero)))
      (local.set $i (f32x4.add (f32x4.mul (local.get $a) (local.get $log2e)) (local.get $magic)))
      (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
      (local.set $r (f32x4.sub
        (f32x4.sub (local.get $a) (f32x4.mul (local.get $k) (local.get $ln2hi)))
        (f32x4.mul (local.get $k) (local.get $ln2lo))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
      (local.set $p (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (local.get $one)))
      (local.set $e (i32x4.add (local.get $i) (local.get $bias)))
      (local.set $h (i32x4.shr_s (i32x4.sub (local.get $e) (local.get $b127)) (i32.const 1)))
      (local.set $e (v128.andnot
        (f32x4.mul
          (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $h) (local.get $b127)) (i32.const 23)))
          (i32x4.shl (i32x4.sub (local.get $e) (local.get $h)) (i32.const 23)))
        (local.get $zero)))
      ;; numerator e where x has its sign bit set (−0 included: e = 1 there), else 1
      (v128.store (local.get $y) (f32x4.div
        (v128.bitselect (local.get $e) (local.get $one) (i32x4.shr_s (local.get $v) (i32.const 31)))
        (f32x4.add (local.get $one) (local.get $e))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
      (if (local.get $t)
        (then
          (local.set $x (i32.const 0))
          (local.set $end (i32.const 16))
          (local.set $y (local.get $ylast))
          (local.set $t (i32.const 0))
          (br $l))))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (call $store_tail (local.get $out) (local.get $n) (v128.load (i32.const 32))))))

  ;; y = gelu x = x·Φ(x), exactly (not the tanh approximation). With a = |x| and e^(−a²/2)·w(a) =
  ;; Φ(−a), w = N(a)/D(a) a rational fit with positive coefficients (scripts/fit-unary.ts; one
  ;; formula for all a, no branches): for x < 0, y = −a·w·e^(−a²/2), kept accurate in the tail and
  ;; rounded once when subnormal; for x ≥ 0, y = x·(1 − w·e^(−a²/2)). a²/2 is formed exactly in pieces
  ;; (an error of one ulp in a² would cost a²·2^−24 of relative accuracy in the exponential, 100 ulps
  ;; near a = 14). Beyond a = 14.36, |x·Φ(x)| < 2^−150 rounds to 0 for x < 0 and 1 − Φ(−a) to 1 for
  ;; x > 0: those lanes are computed on a = 0 (giving −a·… = −0 for x < 0) with the Φ(−a) term of
  ;; x ≥ 0 cleared, so no multiply underflows (an x86 microcode assist, ~100 cycles, for every
  ;; subnormal or underflowing result). −inf gives NaN (as torch), +inf gives +inf, NaN stays NaN, −0 gives −0.
  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $t i32) (local $ylast i32) (local $out i32) (local $m i32)
    (local $v v128) (local $a v128) (local $p v128) (local $q v128) (local $w v128) (local $s v128) (local $d v128)
    (local $hi v128) (local $m1 v128) (local $i v128) (local $k v128) (local $r v128) (local $e v128)
    (local $h v128) (local $z v128) (local $big v128)
    (local $amax v128) (local $e67 v128)
    (local $sign v128) (local $n4 v128) (local $n3 v128) (local $n2 v128) (local $n1 v128) (local $half v128)
    (local $d5 v128) (local $d4 v128) (local $d3 v128) (local $d2 v128) (local $d1 v128) (local $one v128)
    (local $top12 v128) (local $log2e v128) (local $magic v128) (local $ln2hi v128) (local $ln2lo v128)
    (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $bias v128)
    (local $b127 v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (call $stage (local.get $x) (local.get $n) (i32.const 0))
    (local.set $out (local.get $y))
    (local.set $m (local.get $n))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (local.set $x (i32.const 0)) (local.set $y (i32.const 32)) (local.set $m (i32.const 4))))
    (local.set $t (i32.and (local.get $m) (i32.const 3)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $m) (i32.const 4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 2))))
    (local.set $amax (v128.const f32x4 14.36 14.36 14.36 14.36))
    (local.set $e67 (v128.const i32x4 67 67 67 67))
    (local.set $sign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $n4 (v128.const f32x4 0.0044456446 0.0044456446 0.0044456446 0.0044456446))
    (local.set $n3 (v128.const f32x4 0.042818166 0.042818166 0.042818166 0.042818166))
    (local.set $n2 (v128.const f32x4 0.18965785 0.18965785 0.18965785 0.18965785))
    (local.set $n1 (v128.const f32x4 0.44686404 0.44686404 0.44686404 0.44686404))
    (local.set $half (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $d5 (v128.const f32x4 0.011143516 0.011143516 0.011143516 0.011143516))
    (local.set $d4 (v128.const f32x4 0.10733319 0.10733319 0.10733319 0.10733319))
    (local.set $d3 (v128.const f32x4 0.4864399 0.4864399 0.4864399 0.4864399))
    (local.set $d2 (v128.const f32x4 1.2290204 1.2290204 1.2290204 1.2290204))
    (local.set $d1 (v128.const f32x4 1.6916133 1.6916133 1.6916133 1.6916133))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $top12 (v128.const i32x4 0xfffff000 0xfffff000 0xfffff000 0xfffff000))
    (local.set $log2e (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335
      1.4426950216293335))
    (local.set $magic (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2hi (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2lo (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
      -2.1219444170128554e-4))
    (local.set $c6 (v128.const f32x4 0.0013836746 0.0013836746 0.0013836746 0.0013836746))
    (local.set $c5 (v128.const f32x4 0.008367105 0.008367105 0.008367105 0.008367105))
    (local.set $c4 (v128.const f32x4 0.041667752 0.041667752 0.041667752 0.041667752))
    (local.set $c3 (v128.const f32x4 0.16666539 0.16666539 0.16666539 0.16666539))
    (local.set $c2 (v128.const f32x4 0.49999997 0.49999997 0.49999997 0.49999997))
    ;; bits(1.5·2^23) + 127 − bits(i) = 127 − k' = the biased exponent of 2^−k'
    (local.set $bias (v128.const i32x4 1262485631 1262485631 1262485631 1262485631))
    (local.set $b127 (v128.const i32x4 127 127 127 127))
    (loop $l
      (local.set $v (v128.load (local.get $x)))
      (local.set $a (v128.andnot (local.get $v) (local.get $sign)))
      (local.set $big (f32x4.gt (local.get $a) (local.get $amax)))
      (local.set $a (v128.andnot (local.get $a) (local.get $big)))
      ;; w = N(a)/D(a) = Φ(−a)·e^(a²/2)
      (local.set $p (f32x4.add (f32x4.mul (local.get $n4) (local.get $a)) (local.get $n3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $a)) (local.get $n2)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $a)) (local.get $n1)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $a)) (local.get $half)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $d5) (local.get $a)) (local.get $d4)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $d3)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $d2)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $d1)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $one)))
      (local.set $w (f32x4.div (local.get $p) (local.get $q)))
      ;; a²/2 = hi + m1 + m2 exactly: s = a cut to 12 significant bits, d = a − s, hi = s²/2, m1 = d·s,
      ;; m2 = d²/2 (each product has at most 24 bits)
      (local.set $s (v128.and (local.get $a) (local.get $top12)))
      (local.set $d (f32x4.sub (local.get $a) (local.get $s)))
      (local.set $hi (f32x4.mul (f32x4.mul (local.get $s) (local.get $half)) (local.get $s)))
      (local.set $m1 (f32x4.mul (local.get $d) (local.get $s)))
      ;; k' = round((hi + m1)·log2 e) ≥ 0; r = k'·ln2 − a²/2, so e^(−a²/2) = 2^−k'·e^r, with
      ;; k'·C1 − hi exact (nearby values) and the small terms added after it
      (local.set $i (f32x4.add (f32x4.mul (f32x4.add (local.get $hi) (local.get $m1)) (local.get $log2e))
        (local.get $magic)))
      (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
      (local.set $r (f32x4.sub
        (f32x4.add
          (f32x4.sub (f32x4.sub (f32x4.mul (local.get $k) (local.get $ln2hi)) (local.get $hi)) (local.get $m1))
          (f32x4.mul (local.get $k) (local.get $ln2lo)))
        (f32x4.mul (f32x4.mul (local.get $d) (local.get $half)) (local.get $d))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
      (local.set $p (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (local.get $one)))
      ;; e = 127 + k with k = −k' (e^(−a²/2) = p·2^k)
      (local.set $e (i32x4.sub (local.get $bias) (local.get $i)))
      ;; w·p = Φ(−a)·2^−k
      (local.set $w (f32x4.mul (local.get $w) (local.get $p)))
      ;; x < 0: 2^k = 2^h·2^(k−h), h = floor(k/2) ≥ −75, so z = −a·w·p·2^h is normal (or −0) and
      ;; y = z·2^(k−h) is rounded once
      (local.set $h (i32x4.shr_s (i32x4.sub (local.get $e) (local.get $b127)) (i32.const 1)))
      (local.set $z (f32x4.mul (f32x4.mul (v128.or (local.get $a) (local.get $sign)) (local.get $w))
        (i32x4.shl (i32x4.add (local.get $h) (local.get $b127)) (i32.const 23))))
      ;; x ≥ 0: y = x·(1 − w·p·2^max(k, −60)) (below 2^−60 the term cannot change 1 − it)
      (v128.store (local.get $y) (v128.bitselect
        (f32x4.mul (local.get $z) (i32x4.shl (i32x4.sub (local.get $e) (local.get $h)) (i32.const 23)))
        (f32x4.mul (local.get $v) (f32x4.sub (local.get $one) (v128.andnot
          (f32x4.mul (local.get $w) (i32x4.shl (i32x4.max_s (local.get $e) (local.get $e67)) (i32.const 23)))
          (local.get $big))))
        (i32x4.shr_s (local.get $v) (i32.const 31))))
      ;; torch's x·Φ(x) at x = −inf is −inf·0 = NaN: kept for parity (the limit would be −0)
      (v128.store (local.get $y) (v128.bitselect (v128.const f32x4 nan nan nan nan) (v128.load (local.get $y))
        (f32x4.eq (local.get $v) (v128.const f32x4 -inf -inf -inf -inf))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
      (if (local.get $t)
        (then
          (local.set $x (i32.const 0))
          (local.set $end (i32.const 16))
          (local.set $y (local.get $ylast))
          (local.set $t (i32.const 0))
          (br $l))))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (call $store_tail (local.get $out) (local.get $n) (v128.load (i32.const 32))))))

  ;; y = g·gelu'(x) = g·(Φ(x) + x·φ(x)), the gradient of gelu given the upstream gradient g. With the
  ;; gelu kernel's a, w and E = e^(−a²/2) = p·2^k, and c = 1/√(2π): Φ(−a) = E·w and a·φ(a) = E·a·c,
  ;; so with D = w − a·c, y = g·E·D for x < 0 and g·(1 − E·D) for x ≥ 0. a is clamped to 20 (beyond,
  ;; |g·E·D| < 2^−150 even for the largest float32 g), so k ≥ −289: for x < 0, 2^k is applied as three
  ;; normal factors 2^k1·2^k2·2^k3 (k1 = floor(k/4), k2 = floor((k − k1)/2), k3 = the rest, all ≥ −109)
  ;; with g multiplied in after the first, so the intermediates stay at least as large as the result
  ;; (rounded once when subnormal) and never overflow before it does; lanes whose result is below
  ;; 2^−150 (judged from the exponent of z·g) get ±0 without the underflowing multiplies. For x ≥ 0,
  ;; E·D only matters above 2^−60. ±inf give NaN (as torch), NaN in x or g gives NaN.
  (func (export "gelu_backward") (param $g i32) (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $t i32) (local $ylast i32) (local $out i32) (local $m i32)
    (local $v v128) (local $a v128) (local $p v128) (local $q v128) (local $w v128) (local $s v128) (local $d v128)
    (local $hi v128) (local $m1 v128) (local $i v128) (local $k v128) (local $r v128) (local $e v128)
    (local $k1 v128) (local $k2 v128) (local $gv v128) (local $z v128)
    (local $amax v128) (local $c v128) (local $e67 v128) (local $lim v128)
    (local $sign v128) (local $n4 v128) (local $n3 v128) (local $n2 v128) (local $n1 v128) (local $half v128)
    (local $d5 v128) (local $d4 v128) (local $d3 v128) (local $d2 v128) (local $d1 v128) (local $one v128)
    (local $top12 v128) (local $log2e v128) (local $magic v128) (local $ln2hi v128) (local $ln2lo v128)
    (local $c6 v128) (local $c5 v128) (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $bias v128)
    (local $b127 v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (call $stage (local.get $x) (local.get $n) (i32.const 0))
    (call $stage (local.get $g) (local.get $n) (i32.const 16))
    (local.set $out (local.get $y))
    (local.set $m (local.get $n))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (local.set $x (i32.const 0)) (local.set $g (i32.const 16)) (local.set $y (i32.const 32))
        (local.set $m (i32.const 4))))
    (local.set $t (i32.and (local.get $m) (i32.const 3)))
    (local.set $ylast (i32.add (local.get $y) (i32.shl (i32.sub (local.get $m) (i32.const 4)) (i32.const 2))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 2))))
    (local.set $amax (v128.const f32x4 20 20 20 20))
    (local.set $e67 (v128.const i32x4 67 67 67 67))
    (local.set $lim (v128.const i32x4 -23 -23 -23 -23))
    (local.set $c (v128.const f32x4 0.3989422917366028 0.3989422917366028 0.3989422917366028
      0.3989422917366028))
    (local.set $sign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $n4 (v128.const f32x4 0.0044456446 0.0044456446 0.0044456446 0.0044456446))
    (local.set $n3 (v128.const f32x4 0.042818166 0.042818166 0.042818166 0.042818166))
    (local.set $n2 (v128.const f32x4 0.18965785 0.18965785 0.18965785 0.18965785))
    (local.set $n1 (v128.const f32x4 0.44686404 0.44686404 0.44686404 0.44686404))
    (local.set $half (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $d5 (v128.const f32x4 0.011143516 0.011143516 0.011143516 0.011143516))
    (local.set $d4 (v128.const f32x4 0.10733319 0.10733319 0.10733319 0.10733319))
    (local.set $d3 (v128.const f32x4 0.4864399 0.4864399 0.4864399 0.4864399))
    (local.set $d2 (v128.const f32x4 1.2290204 1.2290204 1.2290204 1.2290204))
    (local.set $d1 (v128.const f32x4 1.6916133 1.6916133 1.6916133 1.6916133))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $top12 (v128.const i32x4 0xfffff000 0xfffff000 0xfffff000 0xfffff000))
    (local.set $log2e (v128.const f32x4 1.4426950216293335 1.4426950216293335 1.4426950216293335
      1.4426950216293335))
    (local.set $magic (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2hi (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2lo (v128.const f32x4 -2.1219444170128554e-4 -2.1219444170128554e-4 -2.1219444170128554e-4
      -2.1219444170128554e-4))
    (local.set $c6 (v128.const f32x4 0.0013836746 0.0013836746 0.0013836746 0.0013836746))
    (local.set $c5 (v128.const f32x4 0.008367105 0.008367105 0.008367105 0.008367105))
    (local.set $c4 (v128.const f32x4 0.041667752 0.041667752 0.041667752 0.041667752))
    (local.set $c3 (v128.const f32x4 0.16666539 0.16666539 0.16666539 0.16666539))
    (local.set $c2 (v128.const f32x4 0.49999997 0.49999997 0.49999997 0.49999997))
    ;; bits(1.5·2^23) + 127 − bits(i) = 127 − k' = the biased exponent of 2^−k'
    (local.set $bias (v128.const i32x4 1262485631 1262485631 1262485631 1262485631))
    (local.set $b127 (v128.const i32x4 127 127 127 127))
    (loop $l
      (local.set $v (v128.load (local.get $x)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $a (f32x4.pmin (v128.andnot (local.get $v) (local.get $sign)) (local.get $amax)))
      ;; w = N(a)/D(a) = Φ(−a)·e^(a²/2)
      (local.set $p (f32x4.add (f32x4.mul (local.get $n4) (local.get $a)) (local.get $n3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $a)) (local.get $n2)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $a)) (local.get $n1)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $a)) (local.get $half)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $d5) (local.get $a)) (local.get $d4)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $d3)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $d2)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $d1)))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $a)) (local.get $one)))
      (local.set $w (f32x4.div (local.get $p) (local.get $q)))
      ;; a²/2 = hi + m1 + m2 exactly: s = a cut to 12 significant bits, d = a − s, hi = s²/2, m1 = d·s,
      ;; m2 = d²/2 (each product has at most 24 bits)
      (local.set $s (v128.and (local.get $a) (local.get $top12)))
      (local.set $d (f32x4.sub (local.get $a) (local.get $s)))
      (local.set $hi (f32x4.mul (f32x4.mul (local.get $s) (local.get $half)) (local.get $s)))
      (local.set $m1 (f32x4.mul (local.get $d) (local.get $s)))
      ;; k' = round((hi + m1)·log2 e) ≥ 0; r = k'·ln2 − a²/2, so e^(−a²/2) = 2^−k'·e^r, with
      ;; k'·C1 − hi exact (nearby values) and the small terms added after it
      (local.set $i (f32x4.add (f32x4.mul (f32x4.add (local.get $hi) (local.get $m1)) (local.get $log2e))
        (local.get $magic)))
      (local.set $k (f32x4.sub (local.get $i) (local.get $magic)))
      (local.set $r (f32x4.sub
        (f32x4.add
          (f32x4.sub (f32x4.sub (f32x4.mul (local.get $k) (local.get $ln2hi)) (local.get $hi)) (local.get $m1))
          (f32x4.mul (local.get $k) (local.get $ln2lo)))
        (f32x4.mul (f32x4.mul (local.get $d) (local.get $half)) (local.get $d))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $r) (local.get $c6)) (local.get $c5)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
      (local.set $p (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (local.get $one)))
      ;; e = 127 + k with k = −k' (e^(−a²/2) = p·2^k)
      (local.set $e (i32x4.sub (local.get $bias) (local.get $i)))
      ;; D·p with D = w − a·c
      (local.set $w (f32x4.mul (f32x4.sub (local.get $w) (f32x4.mul (local.get $a) (local.get $c))) (local.get $p)))
      ;; x < 0: k1 = floor(k/4), then k − k1 = k2 + k3 (e − 127 = k)
      (local.set $k (i32x4.sub (local.get $e) (local.get $b127)))
      (local.set $k1 (i32x4.shr_s (local.get $k) (i32.const 2)))
      (local.set $k (i32x4.sub (local.get $k) (local.get $k1)))
      (local.set $k2 (i32x4.shr_s (local.get $k) (i32.const 1)))
      ;; z = D·p·2^k1·g; the result z·2^(k − k1) is below 2^−150 when exponent(z) + k − k1 ≤ −24: then z
      ;; becomes ±0 (its sign kept)
      (local.set $z (f32x4.mul
        (f32x4.mul (local.get $w) (i32x4.shl (i32x4.add (local.get $k1) (local.get $b127)) (i32.const 23)))
        (local.get $gv)))
      (local.set $z (v128.andnot (local.get $z) (i32x4.shr_u
        (i32x4.lt_s (i32x4.add (i32x4.shr_u (i32x4.shl (local.get $z) (i32.const 1)) (i32.const 24)) (local.get $k))
          (local.get $lim))
        (i32.const 1))))
      ;; x < 0: (z·2^k2)·2^(k − k1 − k2); x ≥ 0: g·(1 − D·p·2^max(k, −60))
      (v128.store (local.get $y) (v128.bitselect
        (f32x4.mul
          (f32x4.mul (local.get $z) (i32x4.shl (i32x4.add (local.get $k2) (local.get $b127)) (i32.const 23)))
          (i32x4.shl (i32x4.add (i32x4.sub (local.get $k) (local.get $k2)) (local.get $b127)) (i32.const 23)))
        (f32x4.mul (local.get $gv) (f32x4.sub (local.get $one) (f32x4.mul (local.get $w)
          (i32x4.shl (i32x4.max_s (local.get $e) (local.get $e67)) (i32.const 23)))))
        (i32x4.shr_s (local.get $v) (i32.const 31))))
      ;; torch's Φ(x) + x·φ(x) at x = ±inf has ±inf·0 = NaN: kept for parity
      (v128.store (local.get $y) (v128.bitselect (v128.const f32x4 nan nan nan nan) (v128.load (local.get $y))
        (f32x4.eq (f32x4.abs (local.get $v)) (v128.const f32x4 inf inf inf inf))))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))
      (if (local.get $t)
        (then
          (local.set $x (i32.const 0))
          (local.set $g (i32.const 16))
          (local.set $end (i32.const 16))
          (local.set $y (local.get $ylast))
          (local.set $t (i32.const 0))
          (br $l))))
    (if (i32.lt_u (local.get $n) (i32.const 4))
      (then (call $store_tail (local.get $out) (local.get $n) (v128.load (i32.const 32))))))
)
