;; Packed, cache-blocked GEMM for float32 and float64 with WebAssembly SIMD (v128).
;;
;;   C[M×N] = A[M×K] · B[K×N]          (C is overwritten, never accumulated into)
;;
;; A and B are read through element strides (row stride, column stride), so A·Bᵀ, Aᵀ·B, Aᵀ·Bᵀ,
;; broadcast (stride-0) and narrowed operands all go through the same code: only the packing
;; routines look at the strides. C is row-major with row stride `ldc`.
;;
;; Structure (the GotoBLAS/BLIS loop nest):
;;   for jc in N step NC:             (B block: KC × NC, packed once per (jc, pc))
;;     for pc in K step KC:
;;       pack B[pc:pc+kc, jc:jc+nc] into column panels of NR     -> packB, [panel][k][NR]
;;       for ic in M step MC:         (A block: MC × KC, packed, stays in L2)
;;         pack A[ic:ic+mc, pc:pc+kc] into row panels of MR      -> packA, [panel][k][MR]
;;         for jr in nc step NR:      (one B panel, kc × 32 bytes, stays in L1)
;;           for ir in mc step MR:
;;             micro-kernel: MR×NR tile of C (+)= A panel · B panel
;;
;; The micro-kernel is MR = 4 rows × 32 bytes of columns (NR = 8 float32 or 4 float64 lanes, i.e. two
;; v128 per row): 8 accumulators + 2 B vectors + 1 broadcast A value + a product temporary fit in the 15
;; xmm registers V8 allocates on x64. Measured on the dev machine, 4×8 with a k loop that is NOT unrolled
;; beat 5×8, 6×8, 4×12, 3×16 and unrolled variants (V8 schedules the plain loop best). A values are
;; broadcast with v128.load32/64_splat (one vbroadcastss, a load-port µop) rather than a lane shuffle,
;; which would compete with the float adds for the shuffle port. No relaxed-simd FMA: it is not
;; available everywhere, so products and sums are separate f32x4.mul / f32x4.add.
;;
;; Partial panels (M or N not a multiple of MR / NR) are zero-padded by the packing, so the micro-kernel
;; always computes a full tile; edge tiles are computed into a scratch tile and the valid part copied out.
;; The first KC block stores into C, later ones add to it; so C needs no zeroing.
;;
;; All pointers are byte offsets into the imported memory; strides and ldc are in elements. The caller
;; (src/wasm/runtime.ts) sizes packA / packB / tile from the exported block sizes below.
(module
  (import "env" "memory" (memory 1))

  ;; Block sizes (exported so the JS side sizes the packing buffers from the same numbers).
  ;; KC: a packed B panel is KC × 32 bytes = 16 KiB, an A panel KC × 4 × es ≤ 16 KiB: both stay in L1.
  ;; MC: the packed A block is MC × KC × es ≤ 256 KiB, well inside L2.
  ;; NC: bounds the packed B block (KC × NC × es ≤ 4 MiB); most matrices fit in one jc step.
  ;; Tuned on the dev machine (48 KiB L1d, 2 MiB L2) at 1024²: KC=512/MC=64 beat 256/128 by ~7% (f32)
  ;; and ~15% (f64); 128 ≤ KC ≤ 512 and 64 ≤ MC ≤ 256 were all within that range.
  (global $MR (export "MR") i32 (i32.const 4))
  (global $KC (export "KC") i32 (i32.const 512))
  (global $MC (export "MC") i32 (i32.const 64))
  (global $NC (export "NC") i32 (i32.const 1024))

  ;; C = A·B. `es` is the element size in bytes: 4 (float32) or 8 (float64). M, N, K ≥ 1.
  (func (export "gemm")
    (param $es i32) (param $M i32) (param $N i32) (param $K i32)
    (param $pA i32) (param $ars i32) (param $acs i32)
    (param $pB i32) (param $brs i32) (param $bcs i32)
    (param $pC i32) (param $ldc i32)
    (param $packA i32) (param $packB i32) (param $tile i32)
    (local $nr i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $first i32)
    (local $nrr i32) (local $mrr i32) (local $pap i32) (local $pbp i32) (local $cp i32)
    ;; strides to bytes
    (local.set $ars (i32.mul (local.get $ars) (local.get $es)))
    (local.set $acs (i32.mul (local.get $acs) (local.get $es)))
    (local.set $brs (i32.mul (local.get $brs) (local.get $es)))
    (local.set $bcs (i32.mul (local.get $bcs) (local.get $es)))
    (local.set $ldc (i32.mul (local.get $ldc) (local.get $es)))
    (local.set $nr (i32.div_u (i32.const 32) (local.get $es)))
    (local.set $jc (i32.const 0))
    (loop $loop_jc
      (local.set $nc (call $min (global.get $NC) (i32.sub (local.get $N) (local.get $jc))))
      (local.set $pc (i32.const 0))
      (loop $loop_pc
        (local.set $kc (call $min (global.get $KC) (i32.sub (local.get $K) (local.get $pc))))
        (local.set $first (i32.eqz (local.get $pc)))
        (call $pack_b (local.get $es)
          (i32.add (local.get $pB)
            (i32.add (i32.mul (local.get $pc) (local.get $brs)) (i32.mul (local.get $jc) (local.get $bcs))))
          (local.get $brs) (local.get $bcs) (local.get $kc) (local.get $nc) (local.get $packB))
        (local.set $ic (i32.const 0))
        (loop $loop_ic
          (local.set $mc (call $min (global.get $MC) (i32.sub (local.get $M) (local.get $ic))))
          (call $pack_a (local.get $es)
            (i32.add (local.get $pA)
              (i32.add (i32.mul (local.get $ic) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs))))
            (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc) (local.get $packA))
          (local.set $jr (i32.const 0))
          (loop $loop_jr
            (local.set $nrr (call $min (local.get $nr) (i32.sub (local.get $nc) (local.get $jr))))
            ;; B panel jr/nr starts kc × 32 bytes per panel in: (jr / nr) × kc × 32 = jr × kc × es
            (local.set $pbp (i32.add (local.get $packB)
              (i32.mul (i32.mul (local.get $jr) (local.get $kc)) (local.get $es))))
            (local.set $ir (i32.const 0))
            (loop $loop_ir
              (local.set $mrr (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $ir))))
              ;; A panel ir/4 starts (ir / 4) × kc × 4 × es = ir × kc × es bytes in
              (local.set $pap (i32.add (local.get $packA)
                (i32.mul (i32.mul (local.get $ir) (local.get $kc)) (local.get $es))))
              (local.set $cp (i32.add (local.get $pC)
                (i32.add
                  (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                  (i32.mul (i32.add (local.get $jc) (local.get $jr)) (local.get $es)))))
              (if (i32.and (i32.eq (local.get $mrr) (i32.const 4)) (i32.eq (local.get $nrr) (local.get $nr)))
                (then
                  (call $kernel (local.get $es) (local.get $pap) (local.get $pbp) (local.get $cp)
                    (local.get $kc) (local.get $ldc) (local.get $first)))
                (else
                  ;; edge tile: full tile into scratch (row stride 32 bytes), then the valid part out
                  (call $kernel (local.get $es) (local.get $pap) (local.get $pbp) (local.get $tile)
                    (local.get $kc) (i32.const 32) (i32.const 1))
                  (call $tile_out (local.get $es) (local.get $tile) (local.get $cp) (local.get $ldc)
                    (local.get $mrr) (local.get $nrr) (local.get $first))))
              (br_if $loop_ir (i32.lt_s
                (local.tee $ir (i32.add (local.get $ir) (i32.const 4))) (local.get $mc))))
            (br_if $loop_jr (i32.lt_s
              (local.tee $jr (i32.add (local.get $jr) (local.get $nr))) (local.get $nc))))
          (br_if $loop_ic (i32.lt_s
            (local.tee $ic (i32.add (local.get $ic) (global.get $MC))) (local.get $M))))
        (br_if $loop_pc (i32.lt_s
          (local.tee $pc (i32.add (local.get $pc) (global.get $KC))) (local.get $K))))
      (br_if $loop_jc (i32.lt_s
        (local.tee $jc (i32.add (local.get $jc) (global.get $NC))) (local.get $N)))))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  (func $kernel (param $es i32) (param $pa i32) (param $pb i32) (param $pc i32)
    (param $kc i32) (param $ldc i32) (param $first i32)
    (if (i32.eq (local.get $es) (i32.const 4))
      (then (call $kernel_f32 (local.get $pa) (local.get $pb) (local.get $pc)
        (local.get $kc) (local.get $ldc) (local.get $first)))
      (else (call $kernel_f64 (local.get $pa) (local.get $pb) (local.get $pc)
        (local.get $kc) (local.get $ldc) (local.get $first)))))

  ;; 4×8 float32 tile: C[r][0..8) (+)= Σ_k A[k][r] · B[k][0..8), over packed panels (A: 16 bytes per k,
  ;; B: 32 bytes per k). kc ≥ 1. Stores when $first, else adds into C.
  (func $kernel_f32 (param $pa i32) (param $pb i32) (param $pc i32)
    (param $kc i32) (param $ldc i32) (param $first i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (loop $k
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $a (v128.load32_splat (local.get $pa)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (if (i32.eqz (local.get $first))
      (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $pc))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))
        (local.set $pa (i32.add (local.get $pc) (local.get $ldc)))
        (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $pa))))
        (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $pa))))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldc)))
        (local.set $c20 (f32x4.add (local.get $c20) (v128.load (local.get $pa))))
        (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $pa))))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldc)))
        (local.set $c30 (f32x4.add (local.get $c30) (v128.load (local.get $pa))))
        (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $pa))))))
    (call $store_tile (local.get $pc) (local.get $ldc)
      (local.get $c00) (local.get $c01) (local.get $c10) (local.get $c11)
      (local.get $c20) (local.get $c21) (local.get $c30) (local.get $c31)))

  ;; 4×4 float64 tile, same shape in bytes as the float32 one (A: 32 bytes per k, B: 32 bytes per k).
  (func $kernel_f64 (param $pa i32) (param $pb i32) (param $pc i32)
    (param $kc i32) (param $ldc i32) (param $first i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (loop $k
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $a (v128.load64_splat (local.get $pa)))
      (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=8 (local.get $pa)))
      (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=16 (local.get $pa)))
      (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=24 (local.get $pa)))
      (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 32)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (if (i32.eqz (local.get $first))
      (then
        (local.set $c00 (f64x2.add (local.get $c00) (v128.load (local.get $pc))))
        (local.set $c01 (f64x2.add (local.get $c01) (v128.load offset=16 (local.get $pc))))
        (local.set $pa (i32.add (local.get $pc) (local.get $ldc)))
        (local.set $c10 (f64x2.add (local.get $c10) (v128.load (local.get $pa))))
        (local.set $c11 (f64x2.add (local.get $c11) (v128.load offset=16 (local.get $pa))))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldc)))
        (local.set $c20 (f64x2.add (local.get $c20) (v128.load (local.get $pa))))
        (local.set $c21 (f64x2.add (local.get $c21) (v128.load offset=16 (local.get $pa))))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldc)))
        (local.set $c30 (f64x2.add (local.get $c30) (v128.load (local.get $pa))))
        (local.set $c31 (f64x2.add (local.get $c31) (v128.load offset=16 (local.get $pa))))))
    (call $store_tile (local.get $pc) (local.get $ldc)
      (local.get $c00) (local.get $c01) (local.get $c10) (local.get $c11)
      (local.get $c20) (local.get $c21) (local.get $c30) (local.get $c31)))

  ;; Writes 4 rows of 32 bytes (type-agnostic) at $p with row stride $ldc bytes.
  (func $store_tile (param $p i32) (param $ldc i32)
    (param $c00 v128) (param $c01 v128) (param $c10 v128) (param $c11 v128)
    (param $c20 v128) (param $c21 v128) (param $c30 v128) (param $c31 v128)
    (v128.store (local.get $p) (local.get $c00))
    (v128.store offset=16 (local.get $p) (local.get $c01))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (v128.store (local.get $p) (local.get $c10))
    (v128.store offset=16 (local.get $p) (local.get $c11))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (v128.store (local.get $p) (local.get $c20))
    (v128.store offset=16 (local.get $p) (local.get $c21))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (v128.store (local.get $p) (local.get $c30))
    (v128.store offset=16 (local.get $p) (local.get $c31)))

  ;; Copies (first) or adds (later KC blocks) the top-left mr × nr corner of a scratch tile
  ;; (row stride 32 bytes) into C at $pc (row stride $ldc bytes).
  (func $tile_out (param $es i32) (param $tile i32) (param $pc i32) (param $ldc i32)
    (param $mr i32) (param $nr i32) (param $first i32)
    (local $r i32) (local $c i32) (local $s i32) (local $d i32)
    (loop $rows
      (local.set $s (i32.add (local.get $tile) (i32.shl (local.get $r) (i32.const 5))))
      (local.set $d (i32.add (local.get $pc) (i32.mul (local.get $r) (local.get $ldc))))
      (if (local.get $first)
        (then (memory.copy (local.get $d) (local.get $s) (i32.mul (local.get $nr) (local.get $es))))
        (else
          (local.set $c (i32.const 0))
          (loop $cols
            (if (i32.eq (local.get $es) (i32.const 4))
              (then (f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s)))))
              (else (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.load (local.get $s))))))
            (local.set $s (i32.add (local.get $s) (local.get $es)))
            (local.set $d (i32.add (local.get $d) (local.get $es)))
            (br_if $cols (i32.lt_s
              (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $nr))))))
      (br_if $rows (i32.lt_s
        (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $mr)))))

  ;; Packs B[0:kc, 0:nc] (at $src, byte strides $rs / $cs) into column panels of NR = 32 / es columns:
  ;; panel p holds, for each k, the 32 bytes B[k][p·NR .. p·NR+NR), zero-padded past column nc.
  (func $pack_b (param $es i32) (param $src i32) (param $rs i32) (param $cs i32)
    (param $kc i32) (param $nc i32) (param $dst i32)
    (local $nr i32) (local $j i32) (local $w i32) (local $k i32) (local $s i32) (local $c i32) (local $p i32)
    (local.set $nr (i32.div_u (i32.const 32) (local.get $es)))
    (loop $panels
      (local.set $w (call $min (local.get $nr) (i32.sub (local.get $nc) (local.get $j))))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $cs))))
      (local.set $k (local.get $kc))
      (if (i32.and (i32.eq (local.get $w) (local.get $nr)) (i32.eq (local.get $cs) (local.get $es)))
        (then
          ;; full panel of a row-major B: 32 contiguous bytes per k
          (loop $rows
            (v128.store (local.get $dst) (v128.load (local.get $s)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))
            (local.set $s (i32.add (local.get $s) (local.get $rs)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br_if $rows (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
        (else
          ;; general strides or a partial panel: element by element, zero past column nc
          (loop $rows
            (v128.store (local.get $dst) (v128.const i64x2 0 0))
            (v128.store offset=16 (local.get $dst) (v128.const i64x2 0 0))
            (local.set $p (local.get $s))
            (local.set $c (i32.const 0))
            (if (i32.eq (local.get $es) (i32.const 4))
              (then
                (loop $cols
                  (i32.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
                    (i32.load (local.get $p)))
                  (local.set $p (i32.add (local.get $p) (local.get $cs)))
                  (br_if $cols (i32.lt_s
                    (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $w)))))
              (else
                (loop $cols
                  (i64.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 3)))
                    (i64.load (local.get $p)))
                  (local.set $p (i32.add (local.get $p) (local.get $cs)))
                  (br_if $cols (i32.lt_s
                    (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $w))))))
            (local.set $s (i32.add (local.get $s) (local.get $rs)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br_if $rows (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))))
      (br_if $panels (i32.lt_s
        (local.tee $j (i32.add (local.get $j) (local.get $nr))) (local.get $nc)))))

  ;; Packs A[0:mc, 0:kc] (at $src, byte strides $rs / $cs) into row panels of MR = 4 rows:
  ;; panel p holds, for each k, A[p·4 .. p·4+4)[k] (4 × es bytes), zero-padded past row mc.
  (func $pack_a (param $es i32) (param $src i32) (param $rs i32) (param $cs i32)
    (param $mc i32) (param $kc i32) (param $dst i32)
    (local $i i32) (local $h i32) (local $k i32) (local $s i32) (local $r i32) (local $p i32)
    (loop $panels
      (local.set $h (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $i))))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $rs))))
      (local.set $k (local.get $kc))
      (if (i32.eq (local.get $es) (i32.const 4))
        (then
          (if (i32.eq (local.get $h) (i32.const 4))
            (then
              ;; full float32 panel: the 4 rows' k-th elements side by side
              (loop $ks
                (local.set $p (i32.add (local.get $s) (local.get $rs)))
                (i32.store (local.get $dst) (i32.load (local.get $s)))
                (i32.store offset=4 (local.get $dst) (i32.load (local.get $p)))
                (local.set $p (i32.add (local.get $p) (local.get $rs)))
                (i32.store offset=8 (local.get $dst) (i32.load (local.get $p)))
                (i32.store offset=12 (local.get $dst) (i32.load (i32.add (local.get $p) (local.get $rs))))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (br_if $ks (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
            (else
              (loop $ks
                (v128.store (local.get $dst) (v128.const i64x2 0 0))
                (local.set $p (local.get $s))
                (local.set $r (i32.const 0))
                (loop $rows
                  (i32.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2)))
                    (i32.load (local.get $p)))
                  (local.set $p (i32.add (local.get $p) (local.get $rs)))
                  (br_if $rows (i32.lt_s
                    (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $h))))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (br_if $ks (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))))
        (else
          (if (i32.eq (local.get $h) (i32.const 4))
            (then
              ;; full float64 panel
              (loop $ks
                (local.set $p (i32.add (local.get $s) (local.get $rs)))
                (i64.store (local.get $dst) (i64.load (local.get $s)))
                (i64.store offset=8 (local.get $dst) (i64.load (local.get $p)))
                (local.set $p (i32.add (local.get $p) (local.get $rs)))
                (i64.store offset=16 (local.get $dst) (i64.load (local.get $p)))
                (i64.store offset=24 (local.get $dst) (i64.load (i32.add (local.get $p) (local.get $rs))))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (br_if $ks (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
            (else
              (loop $ks
                (v128.store (local.get $dst) (v128.const i64x2 0 0))
                (v128.store offset=16 (local.get $dst) (v128.const i64x2 0 0))
                (local.set $p (local.get $s))
                (local.set $r (i32.const 0))
                (loop $rows
                  (i64.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 3)))
                    (i64.load (local.get $p)))
                  (local.set $p (i32.add (local.get $p) (local.get $rs)))
                  (br_if $rows (i32.lt_s
                    (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $h))))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (br_if $ks (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))))))
      (br_if $panels (i32.lt_s
        (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $mc)))))

  ;; C[r, j] += bias[j] for `rows` rows of n elements (row stride n): a linear layer's bias, added in
  ;; place before C is copied out, so the output is written once. es = 4 (float32) or 8 (float64);
  ;; $c and $b are byte offsets. Each element gets exactly one rounded addition, as in a plain loop.
  (func (export "add_rows") (param $es i32) (param $c i32) (param $b i32) (param $rows i32) (param $n i32)
    (local $j i32) (local $p i32) (local $q i32) (local $vec i32) (local $bytes i32)
    (local.set $bytes (i32.mul (local.get $n) (local.get $es)))
    ;; whole vectors per row: n rounded down to 4 (float32) or 2 (float64) lanes
    (local.set $vec (i32.and (local.get $bytes) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $p (local.get $c))
        (local.set $q (local.get $b))
        (local.set $j (i32.const 0))
        (if (i32.eq (local.get $es) (i32.const 4))
          (then
            (block $v4
              (loop $l4
                (br_if $v4 (i32.ge_u (local.get $j) (local.get $vec)))
                (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (v128.load (local.get $q))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $l4)))
            (block $t4
              (loop $s4
                (br_if $t4 (i32.ge_u (local.get $j) (local.get $bytes)))
                (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.load (local.get $q))))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $s4))))
          (else
            (block $v2
              (loop $l2
                (br_if $v2 (i32.ge_u (local.get $j) (local.get $vec)))
                (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (v128.load (local.get $q))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $l2)))
            ;; float64 rows of odd length: one element left
            (if (i32.lt_u (local.get $j) (local.get $bytes))
              (then
                (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.load (local.get $q))))))))
        (local.set $c (i32.add (local.get $c) (local.get $bytes)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; out[j] = sum over r of X[r, j] for `rows` rows of n (row stride n), accumulated in float64 row by
  ;; row (the order of a plain loop, so the sums are bit for bit the TypeScript column sums); X is
  ;; float32 (es = 4) or float64 (es = 8), out is n float64 (8-byte aligned). Used for a linear layer's
  ;; bias gradient, on the output gradient already staged for the weight gradient's product. The walk
  ;; is row-major with the running sums in `out` (loads and stores, not a dependency chain per column).
  (func (export "col_sums") (param $es i32) (param $x i32) (param $rows i32) (param $n i32) (param $out i32)
    (local $j i32) (local $p i32) (local $q i32) (local $pairs i32) (local $v v128)
    (local.set $pairs (i32.and (local.get $n) (i32.const -2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $q (local.get $out))
        (local.set $j (i32.const 0))
        (if (i32.eq (local.get $es) (i32.const 4))
          (then
            ;; four float32 columns per step, as two float64 pairs
            (block $q4
              (loop $l4
                (br_if $q4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
                (local.set $v (v128.load (local.get $x)))
                (v128.store (local.get $q)
                  (f64x2.add (v128.load (local.get $q)) (f64x2.promote_low_f32x4 (local.get $v))))
                (v128.store offset=16 (local.get $q)
                  (f64x2.add (v128.load offset=16 (local.get $q))
                    (f64x2.promote_low_f32x4
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 32)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $l4)))
            (block $t4
              (loop $s4
                (br_if $t4 (i32.ge_u (local.get $j) (local.get $n)))
                (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.promote_f32 (f32.load (local.get $x)))))
                (local.set $x (i32.add (local.get $x) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 8)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $s4))))
          (else
            (block $q2
              (loop $l2
                (br_if $q2 (i32.ge_u (local.get $j) (local.get $pairs)))
                (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (v128.load (local.get $x))))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br $l2)))
            (if (i32.lt_u (local.get $j) (local.get $n))
              (then
                (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.load (local.get $x))))
                (local.set $x (i32.add (local.get $x) (i32.const 8)))))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))
)
