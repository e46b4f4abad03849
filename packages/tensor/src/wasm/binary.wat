;; Binary float32 arithmetic with WebAssembly SIMD (v128, four lanes): x + y, x - y, x * y, x / y, the
;; tanh backward g*(1 - y^2), and a helper that expands a broadcast operand into a full buffer. Each
;; arithmetic export maps n contiguous float32 values at byte offsets $x and $y to $z, which may be
;; the same place as $x or $y (in place: every lane is read before it is written). The caller
;; (src/wasm/binary.ts) copies a chunk of one operand in, lays the other out next to it (copied or
;; expanded per chunk, or once per call when its broadcast pattern repeats within a chunk), calls once
;; and copies the result out.
;;
;; Exactness: float32 +, -, *, / are correctly rounded here and in JavaScript (which computes in
;; float64 and rounds the result to float32: float64 carries more than 2*24 + 2 bits, so that double
;; rounding is exact for these four), subnormals included (wasm never flushes them). The tanh backward
;; is computed in float64 lanes with the very operations the TypeScript loop uses (y*y, 1 - that, g *
;; that, each rounded to float64, then to float32), so it too is bitwise the loop's result. Only the
;; sign and payload of NaN results are unspecified (wasm may return any quiet NaN).
;;
;; Tails: the arithmetic runs two vectors a step, then one more vector when 4 to 7 values are left;
;; the last n mod 4 values of every kernel run through the scalar form of the same operation.
;;
;; The text keeps to ASCII: wabt's lexer reads characters by their low byte (see scripts/build-wasm.mjs).
(module
  (import "env" "memory" (memory 1))

  ;; z = x + y over n floats. Two vectors per step (the loop overhead is most of the cost otherwise),
  ;; then at most one more vector, then scalars.
  (func (export "add") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $l
          (v128.store (local.get $z) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $y))))
          (v128.store offset=16 (local.get $z)
            (f32x4.add (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y))))
          (local.set $y (i32.add (local.get $y) (i32.const 32)))
          (local.set $z (i32.add (local.get $z) (i32.const 32)))
          (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 32))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (v128.store (local.get $z) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $t
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $z) (f32.add (f32.load (local.get $x)) (f32.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br $t))))

  ;; z = x - y over n floats (as add).
  (func (export "sub") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $l
          (v128.store (local.get $z) (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $y))))
          (v128.store offset=16 (local.get $z)
            (f32x4.sub (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y))))
          (local.set $y (i32.add (local.get $y) (i32.const 32)))
          (local.set $z (i32.add (local.get $z) (i32.const 32)))
          (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 32))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (v128.store (local.get $z) (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $t
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $z) (f32.sub (f32.load (local.get $x)) (f32.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br $t))))

  ;; z = x * y over n floats (as add).
  (func (export "mul") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $l
          (v128.store (local.get $z) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y))))
          (v128.store offset=16 (local.get $z)
            (f32x4.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y))))
          (local.set $y (i32.add (local.get $y) (i32.const 32)))
          (local.set $z (i32.add (local.get $z) (i32.const 32)))
          (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 32))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (v128.store (local.get $z) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $t
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $z) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br $t))))

  ;; z = x / y over n floats (as add).
  (func (export "div") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (loop $l
          (v128.store (local.get $z) (f32x4.div (v128.load (local.get $x)) (v128.load (local.get $y))))
          (v128.store offset=16 (local.get $z)
            (f32x4.div (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y))))
          (local.set $y (i32.add (local.get $y) (i32.const 32)))
          (local.set $z (i32.add (local.get $z) (i32.const 32)))
          (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 32))) (local.get $end))))))
    (if (i32.and (local.get $n) (i32.const 4))
      (then
        (v128.store (local.get $z) (f32x4.div (v128.load (local.get $x)) (v128.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $t
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $z) (f32.div (f32.load (local.get $x)) (f32.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br $t))))

  ;; z = f32(g*(1 - y^2)) over n floats, the gradient of tanh given its output y and the upstream
  ;; gradient g, in float64 lanes: each pair of floats is loaded into the low half of a vector, widened
  ;; (exactly), computed, rounded back to float32 and stored as 8 bytes (cheaper than a 16-byte load
  ;; split with shuffles: 0.37 against 0.53 ns per element on the dev machine).
  (func (export "tanh_backward") (param $g i32) (param $y i32) (param $z i32) (param $n i32)
    (local $end i32) (local $lo v128) (local $hi v128) (local $one v128) (local $yd f64)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (i32.lt_u (local.get $g) (local.get $end))
      (then
        (loop $l
          ;; lanes 0-1
          (local.set $lo (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $y))))
          (v128.store64_lane 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul
            (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g)))
            (f64x2.sub (local.get $one) (f64x2.mul (local.get $lo) (local.get $lo))))))
          ;; lanes 2-3
          (local.set $hi (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $y))))
          (v128.store64_lane offset=8 0 (local.get $z) (f32x4.demote_f64x2_zero (f64x2.mul
            (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $g)))
            (f64x2.sub (local.get $one) (f64x2.mul (local.get $hi) (local.get $hi))))))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))
          (local.set $z (i32.add (local.get $z) (i32.const 16)))
          (br_if $l (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 16))) (local.get $end))))))
    (local.set $end (i32.add (local.get $g) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $t
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (local.set $yd (f64.promote_f32 (f32.load (local.get $y))))
        (f32.store (local.get $z) (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $g)))
          (f64.sub (f64.const 1) (f64.mul (local.get $yd) (local.get $yd))))))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br $t))))

  ;; dst[j] = src[floor((j + $phase) / $inner)] for j < $len: each float of src repeated $inner times
  ;; (the first one $inner - $phase times), the layout of an operand broadcast along trailing dims.
  ;; Runs are written with whole vectors: a run of 4 or more ends with a vector that may overlap the
  ;; one before it; a shorter run writes up to 12 bytes past its end, which the next run overwrites
  ;; (after the last run, the caller leaves 16 bytes of room). Needs $inner >= 1, $phase < $inner.
  (func (export "expand") (param $src i32) (param $dst i32) (param $len i32) (param $inner i32) (param $phase i32)
    (local $end i32) (local $stop i32) (local $p i32) (local $v v128)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $len) (i32.const 2))))
    ;; the first run's length
    (local.set $phase (i32.sub (local.get $inner) (local.get $phase)))
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $v (v128.load32_splat (local.get $src)))
        ;; stop = min(dst + run bytes, end)
        (local.set $stop (i32.add (local.get $dst) (i32.shl (local.get $phase) (i32.const 2))))
        (if (i32.gt_u (local.get $stop) (local.get $end)) (then (local.set $stop (local.get $end))))
        (if (i32.ge_u (i32.sub (local.get $stop) (local.get $dst)) (i32.const 16))
          (then
            (local.set $p (local.get $dst))
            (loop $fill
              (v128.store (local.get $p) (local.get $v))
              (br_if $fill (i32.le_u (local.tee $p (i32.add (local.get $p) (i32.const 16)))
                (i32.sub (local.get $stop) (i32.const 16)))))
            (v128.store (i32.sub (local.get $stop) (i32.const 16)) (local.get $v)))
          (else (v128.store (local.get $dst) (local.get $v))))
        (local.set $dst (local.get $stop))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $phase (local.get $inner))
        (br $run))))
)
