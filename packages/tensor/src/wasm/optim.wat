;; The fused Adam / AdamW parameter update over float32 arrays, with WebAssembly SIMD (v128). The caller
;; (src/wasm/optim.ts) stages p, g, m, v (and vmax for amsgrad) in chunks, calls `adam`, and copies p,
;; m, v (and vmax) back; pointers are byte offsets into the imported memory (the row kernels' memory).
;;
;; Bitwise the TypeScript loop of kernels/optim.ts. That loop reads float32 values, computes in float64
;; and rounds each store to float32; later reads see the rounded value. So does this kernel, two
;; elements at a time: each float32 pair is promoted to an f64x2 (f64x2.promote_low_f32x4), every
;; operation is the loop's own in the loop's order (IEEE float64 add, mul, div and sqrt are exact
;; functions of their operands, in wasm as in JavaScript, and neither fuses a multiply-add), and each
;; stored value is demoted and promoted back before it is used again. Per element, with d = g (or -g
;; when maximizing):
;;   p = f32(p * shrink)                      (AdamW; shrink = 1 otherwise, and p * 1 is p)
;;   d = d + l2 * p                           (Adam with weight decay: only when flags bit 1 is set)
;;   m = f32(m + w1 * (d - m))
;;   v = f32(beta2 * v + w2 * d * d)          ((w2 * d) * d, as JavaScript groups it)
;;   s = v, or with amsgrad vmax = (v > vmax or v is NaN) ? v : vmax and s = vmax
;;   p = f32(p - (stepSize * m) / (sqrt(s) / bc2Sqrt + eps))
;; The float64 divisions and square root set the pace: three per element (two once bc2Sqrt is 1), at
;; two elements per f64x2 instruction, twice the scalar loop's rate. Dividing by bc2Sqrt cannot become
;; a multiplication by its reciprocal without changing bits, nor can any of it run in float32.
;;
;; The text keeps to ASCII plus a few symbols: wabt's lexer reads characters by their low byte (see
;; scripts/build-wasm.mjs).
(module
  (import "env" "memory" (memory 1))

  ;; Updates `count` elements (rounded up to even: the caller's buffers have room for one more, whose
  ;; result it ignores). flags: bit 0 maximize (d = -g), bit 1 L2 weight decay (d += l2 * p), bit 2
  ;; amsgrad ($vmax is read and written; ignored otherwise).
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $vmax i32)
    (param $count i32) (param $flags i32) (param $stepSize f64) (param $bc2Sqrt f64) (param $w1 f64)
    (param $beta2 f64) (param $w2 f64) (param $shrink f64) (param $l2 f64) (param $eps f64)
    (local $end i32) (local $l2on i32) (local $ams i32) (local $div i32)
    (local $sign v128) (local $ss v128) (local $bc v128) (local $w1v v128) (local $b2 v128) (local $w2v v128)
    (local $sh v128) (local $l2v v128) (local $ev v128)
    (local $P v128) (local $D v128) (local $M v128) (local $V v128) (local $S v128) (local $r v128)
    (local $mask v128)
    ;; constants splatted once (V8 does not hoist them out of the loop)
    (local.set $sign (i32x4.splat (i32.shl (i32.and (local.get $flags) (i32.const 1)) (i32.const 31))))
    (local.set $l2on (i32.and (local.get $flags) (i32.const 2)))
    (local.set $ams (i32.and (local.get $flags) (i32.const 4)))
    (local.set $div (f64.ne (local.get $bc2Sqrt) (f64.const 1)))
    (local.set $ss (f64x2.splat (local.get $stepSize)))
    (local.set $bc (f64x2.splat (local.get $bc2Sqrt)))
    (local.set $w1v (f64x2.splat (local.get $w1)))
    (local.set $b2 (f64x2.splat (local.get $beta2)))
    (local.set $w2v (f64x2.splat (local.get $w2)))
    (local.set $sh (f64x2.splat (local.get $shrink)))
    (local.set $l2v (f64x2.splat (local.get $l2)))
    (local.set $ev (f64x2.splat (local.get $eps)))
    (local.set $end (i32.add (local.get $p)
      (i32.shl (i32.and (i32.add (local.get $count) (i32.const 1)) (i32.const -2)) (i32.const 2))))
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (loop $l
      ;; p = f32(p * shrink), kept as its float64 value
      (local.set $P (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
        (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (local.get $sh)))))
      ;; d = +-g (the sign flipped on the float32 bits: exact), plus l2 * p for Adam's weight decay
      (local.set $D (f64x2.promote_low_f32x4 (v128.xor (v128.load64_zero (local.get $g)) (local.get $sign))))
      (if (local.get $l2on)
        (then (local.set $D (f64x2.add (local.get $D) (f64x2.mul (local.get $l2v) (local.get $P))))))
      ;; m = f32(m + w1 * (d - m))
      (local.set $M (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
      (local.set $r (f32x4.demote_f64x2_zero
        (f64x2.add (local.get $M) (f64x2.mul (local.get $w1v) (f64x2.sub (local.get $D) (local.get $M))))))
      (v128.store64_lane 0 (local.get $m) (local.get $r))
      (local.set $M (f64x2.promote_low_f32x4 (local.get $r)))
      ;; v = f32(beta2 * v + (w2 * d) * d)
      (local.set $V (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
      (local.set $r (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $b2) (local.get $V))
        (f64x2.mul (f64x2.mul (local.get $w2v) (local.get $D)) (local.get $D)))))
      (v128.store64_lane 0 (local.get $v) (local.get $r))
      ;; amsgrad: vmax = v where v > vmax or v is NaN (float32 compares: the same as on the promoted values)
      (if (local.get $ams)
        (then
          (local.set $S (v128.load64_zero (local.get $vmax)))
          (local.set $mask (v128.or (f32x4.gt (local.get $r) (local.get $S)) (f32x4.ne (local.get $r) (local.get $r))))
          (local.set $r (v128.bitselect (local.get $r) (local.get $S) (local.get $mask)))
          (v128.store64_lane 0 (local.get $vmax) (local.get $r))
          (local.set $vmax (i32.add (local.get $vmax) (i32.const 8)))))
      (local.set $S (f64x2.promote_low_f32x4 (local.get $r)))
      ;; p = f32(p - (stepSize * m) / (sqrt(s) / bc2Sqrt + eps))
      ;; (once 1 - beta2^t rounds to 1, bc2Sqrt is 1 and x / 1 is x: that division is skipped)
      (local.set $S (f64x2.sqrt (local.get $S)))
      (if (local.get $div) (then (local.set $S (f64x2.div (local.get $S) (local.get $bc)))))
      (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $P)
        (f64x2.div (f64x2.mul (local.get $ss) (local.get $M)) (f64x2.add (local.get $S) (local.get $ev))))))
      (local.set $g (i32.add (local.get $g) (i32.const 8)))
      (local.set $m (i32.add (local.get $m) (i32.const 8)))
      (local.set $v (i32.add (local.get $v) (i32.const 8)))
      (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $end))))))
