//! The per-step building blocks of the hand-written GRU and LSTM steps on plain memory: the
//! matrix product (plain, or with the weight packed once for many steps), the activations, and
//! the `simd!` macro that compiles loops for AVX-512, AVX2 and the baseline, picked at run time
//! (the gate arithmetic itself is in `gates`).
//!
//! Why: each libtorch call pays a fixed dispatch cost (argument checks, a new tensor handle, a
//! view), and a step of a small share makes about nine of them per layer, forward and backward:
//! a quarter of a share's time went to calls, not arithmetic, and that fixed cost is paid again
//! by every share a batch is split into. The product calls MKL's `sgemm_` directly (the
//! same MKL libtorch calls for `mm` on the CPU; libtorch_cpu exports it) when build.rs finds
//! it, and goes through libtorch otherwise.

/// Row-major `c[m, n] = op(a) · op(b) + beta · c`, where `op(a)` is `[m, k]` (`a` transposed
/// when `ta`) and `op(b)` is `[k, n]`; `lda`, `ldb`, `ldc` are the row strides in elements.
///
/// # Safety
/// `a`, `b` and `c` must be valid float32 memory for the given shapes and strides, and `c`
/// must not overlap `a` or `b`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm(
    (ta, tb): (bool, bool),
    (m, n, k): (usize, usize, usize),
    (a, lda): (*const f32, usize),
    (b, ldb): (*const f32, usize),
    beta: f32,
    (c, ldc): (*mut f32, usize),
) {
    #[cfg(mkl_sgemm)]
    {
        extern "C" {
            fn sgemm_(
                transa: *const u8,
                transb: *const u8,
                m: *const i32,
                n: *const i32,
                k: *const i32,
                alpha: *const f32,
                a: *const f32,
                lda: *const i32,
                b: *const f32,
                ldb: *const i32,
                beta: *const f32,
                c: *mut f32,
                ldc: *const i32,
            );
        }
        // column-major BLAS sees each row-major matrix transposed: c^T = op(b)^T op(a)^T
        let flag = |t: bool| if t { b'T' } else { b'N' };
        let (m, n, k) = (m as i32, n as i32, k as i32);
        let (lda, ldb, ldc) = (lda as i32, ldb as i32, ldc as i32);
        sgemm_(&flag(tb), &flag(ta), &n, &m, &k, &1.0, b, &ldb, a, &lda, &beta, c, &ldc);
    }
    #[cfg(not(mkl_sgemm))]
    {
        use tch::{Device, Kind, Tensor};
        let view = |p: *const f32, rows: usize, cols: usize, ld: usize, t: bool| {
            let v = Tensor::from_blob(
                p as *const u8,
                &[rows as i64, cols as i64],
                &[ld as i64, 1],
                Kind::Float,
                Device::Cpu,
            );
            if t {
                v.tr()
            } else {
                v
            }
        };
        let (ar, ac) = if ta { (k, m) } else { (m, k) };
        let (br, bc) = if tb { (n, k) } else { (k, n) };
        let mut out = view(c, m, n, ldc, false);
        let _ = if beta == 0.0 { out.zero_() } else { out.g_mul_scalar_(beta as f64) };
        let _ = out.addmm_(&view(a, ar, ac, lda, ta), &view(b, br, bc, ldb, tb));
    }
}

/// `op(b)` `[k, n]` arranged once for many products `c[m, n] = a[m, k] · op(b) + beta · c` of
/// the same shapes (MKL's packed sgemm where libtorch exports it, plain [`gemm`] otherwise).
///
/// Why: a recurrent layer multiplies by the same weight matrix at every step, and for these
/// small products MKL spends a fifth of each call re-arranging it. Packed once per pass of a
/// layer (forward or backward, per share of a batch), the products run about 1.25 times as fast.
/// On the project's machine full batches give the same bits as the plain product (MKL computes
/// the same sums); for a few rows plain sgemm takes other paths, so the two differ by rounding.
pub struct PackedB {
    m: usize,
    n: usize,
    k: usize,
    #[cfg(mkl_sgemm)]
    buf: Vec<f32>,
    #[cfg(not(mkl_sgemm))]
    b: (*const f32, usize, bool),
}

#[cfg(mkl_sgemm)]
mod cblas {
    // CBLAS constants (mkl_cblas.h)
    pub const ROW_MAJOR: i32 = 101;
    pub const NO_TRANS: i32 = 111;
    pub const TRANS: i32 = 112;
    pub const PACKED: i32 = 151;
    pub const B_MATRIX: i32 = 162;
    extern "C" {
        pub fn cblas_sgemm_pack_get_size(identifier: i32, m: i32, n: i32, k: i32) -> usize;
        pub fn cblas_sgemm_pack(
            layout: i32,
            identifier: i32,
            trans: i32,
            m: i32,
            n: i32,
            k: i32,
            alpha: f32,
            src: *const f32,
            ld: i32,
            dest: *mut f32,
        );
        pub fn cblas_sgemm_compute(
            layout: i32,
            transa: i32,
            transb: i32,
            m: i32,
            n: i32,
            k: i32,
            a: *const f32,
            lda: i32,
            b: *const f32,
            ldb: i32,
            beta: f32,
            c: *mut f32,
            ldc: i32,
        );
    }
}

impl PackedB {
    /// Packs `op(b)` (`b` transposed when `tb`; `ldb` its row stride) for products with `m`
    /// rows.
    ///
    /// # Safety
    /// `b` must be valid float32 memory for the shape and stride; without MKL it must also
    /// stay valid and unchanged for as long as the result is used.
    pub unsafe fn new(tb: bool, (m, n, k): (usize, usize, usize), (b, ldb): (*const f32, usize)) -> PackedB {
        #[cfg(mkl_sgemm)]
        {
            let (mi, ni, ki) = (m as i32, n as i32, k as i32);
            let bytes = cblas::cblas_sgemm_pack_get_size(cblas::B_MATRIX, mi, ni, ki);
            // MKL asks for megabytes whatever the shape but writes only what it uses: reserved,
            // not zeroed (zeroing cost more than the packing saves); Rust never reads it
            assert!(bytes > 0, "MKL refused to pack a {k} x {n} matrix");
            // the buffer never moves or grows afterwards: MKL's packed data must stay in place
            let mut buf: Vec<f32> = Vec::with_capacity(bytes.div_ceil(4));
            let trans = if tb { cblas::TRANS } else { cblas::NO_TRANS };
            cblas::cblas_sgemm_pack(
                cblas::ROW_MAJOR,
                cblas::B_MATRIX,
                trans,
                mi,
                ni,
                ki,
                1.0,
                b,
                ldb as i32,
                buf.as_mut_ptr(),
            );
            PackedB { m, n, k, buf }
        }
        #[cfg(not(mkl_sgemm))]
        PackedB { m, n, k, b: (b, ldb, tb) }
    }

    /// `c[m, n] = a[m, k] · op(b) + beta · c`, `lda` and `ldc` the row strides.
    ///
    /// # Safety
    /// As [`gemm`]: `a` and `c` valid for the packed shapes, `c` not overlapping `a`.
    pub unsafe fn gemm(&self, (a, lda): (*const f32, usize), beta: f32, (c, ldc): (*mut f32, usize)) {
        #[cfg(mkl_sgemm)]
        cblas::cblas_sgemm_compute(
            cblas::ROW_MAJOR,
            cblas::NO_TRANS,
            cblas::PACKED,
            self.m as i32,
            self.n as i32,
            self.k as i32,
            a,
            lda as i32,
            self.buf.as_ptr(),
            self.n as i32,
            beta,
            c,
            ldc as i32,
        );
        #[cfg(not(mkl_sgemm))]
        gemm((false, self.b.2), (self.m, self.n, self.k), (a, lda), (self.b.0, self.b.1), beta, (c, ldc));
    }
}

/// `e^x` for `x` in float range, to about 2 ulp, written so that the compiler can vectorise a
/// loop of it (no branches): Cephes' `expf` polynomial on `x - n ln 2`.
///
/// Every multiply-add is an explicit `mul_add`, rounded once: one fused instruction in the AVX2
/// and AVX-512 builds ([`simd!`]), half the instructions of a multiply and an add. In the
/// baseline build, for CPUs without FMA, it is a call to libm's `fmaf` (the same bits), which
/// keeps the loop from vectorising: the hand-written steps are much slower on such CPUs.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding and subtracting it rounds to the nearest integer
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x.mul_add(LOG2E, ROUND);
    let n = t - ROUND;
    // the integer n sits in the low mantissa bits of t (no float-to-int conversion)
    let n_int = t.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    let p = 1.987_569_1e-4f32;
    let p = p.mul_add(r, 1.398_199_9e-3);
    let p = p.mul_add(r, 8.333_452e-3);
    let p = p.mul_add(r, 4.166_579_6e-2);
    let p = p.mul_add(r, 1.666_666_5e-1);
    let p = p.mul_add(r, 5e-1);
    let e = p.mul_add(r * r, r + 1.0);
    e * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sig(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x` as `1 - 2 / (e^2x + 1)` (absolute error about 1e-7).
#[inline(always)]
pub fn tanh1(x: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

/// Defines `fn` three times, for AVX-512, AVX2 (both with FMA) and the build's baseline, and
/// calls the widest this CPU runs (checked once). The body is written once, as plain loops that
/// the compiler vectorises; Rust contracts no `a * b + c` into a fused multiply-add, and an
/// explicit `mul_add` rounds once in every build, so every version rounds alike and gives the
/// same bits.
macro_rules! simd {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn any($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,fma")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn avx512($($arg: $ty),*) {
                any($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn avx2($($arg: $ty),*) {
                any($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::engine::kernels::widest() {
                // SAFETY: the CPU has AVX-512F and FMA (checked)
                return unsafe { avx512($($arg),*) };
            }
            #[cfg(target_arch = "x86_64")]
            if $crate::engine::kernels::wide() {
                // SAFETY: the CPU has AVX2 and FMA (checked)
                return unsafe { avx2($($arg),*) };
            }
            any($($arg),*)
        }
    };
}
pub(crate) use simd;

simd! {
    /// `out[r, j] = x[r] * w[j]`: the product of a column and a row, `out` row-major with
    /// `w.len()` columns.
    pub fn outer(x: &[f32], w: &[f32], out: &mut [f32]) {
        for (o, &xr) in out.chunks_exact_mut(w.len()).zip(x) {
            for (o, &wj) in o.iter_mut().zip(w) {
                *o = xr * wj;
            }
        }
    }
}

/// Whether this CPU runs the 8-wide versions (the build targets plain x86-64, 4 wide).
#[cfg(target_arch = "x86_64")]
pub fn wide() -> bool {
    static WIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WIDE.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Whether this CPU runs the 16-wide versions (AVX-512F).
#[cfg(target_arch = "x86_64")]
pub fn widest() -> bool {
    static WIDEST: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WIDEST.get_or_init(|| is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma"))
}

#[cfg(test)]
mod tests {
    use super::*;

    simd! {
        /// `x <- 1 / (1 + e^-x)` on every element (the tests' way to run [`sig`] at full width).
        pub fn sigmoid(xs: &mut [f32]) {
            for x in xs {
                *x = sig(*x);
            }
        }
    }

    simd! {
        /// `x <- tanh x` on every element, as `1 - 2 / (e^2x + 1)` (absolute error about 1e-7).
        pub fn tanh(xs: &mut [f32]) {
            for x in xs {
                *x = tanh1(*x);
            }
        }
    }

    #[test]
    fn activations_match_the_standard_library() {
        let xs: Vec<f32> =
            (-4000..=4000).map(|i| i as f32 * 0.005).chain([-100.0, -30.0, 30.0, 100.0]).collect();
        let (mut s, mut t) = (xs.clone(), xs.clone());
        sigmoid(&mut s);
        tanh(&mut t);
        // the baseline build (here through libm's fmaf) gives the same bits as the widest this
        // CPU runs
        let (mut s1, mut t1) = (xs.clone(), xs.clone());
        s1.iter_mut().for_each(|x| *x = sig(*x));
        t1.iter_mut().for_each(|x| *x = tanh1(*x));
        let bits = |a: &[f32]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(bits(&s) == bits(&s1) && bits(&t) == bits(&t1));
        for ((x, s), t) in xs.iter().zip(&s).zip(&t) {
            let want_s = 1.0 / (1.0 + (-(*x as f64)).exp());
            let want_t = (*x as f64).tanh();
            assert!(
                (*s as f64 - want_s).abs() <= 2e-7 * want_s.max(1e-30) + 1e-38,
                "sigmoid({x}) = {s}, want {want_s}"
            );
            assert!((*t as f64 - want_t).abs() <= 2.5e-7, "tanh({x}) = {t}, want {want_t}");
        }
    }

    #[test]
    fn a_packed_product_matches_the_plain_product() {
        // the recurrent steps' shapes: [B, H] x [H, G*H] forward, [B, G*H] x [G*H, H] backward
        let (hid, g) = (64usize, 256usize);
        let w: Vec<f32> = (0..g * hid).map(|i| ((i * 7919 % 1000) as f32 - 500.0) / 700.0).collect();
        // on the project's machine full batches give the same bits and fewer rows differ by
        // rounding (plain sgemm takes other paths there); which path MKL takes depends on the
        // CPU, so only rounding is required
        let same =
            |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(a, b)| (a - b).abs() <= 1e-5 * a.abs().max(1.0));
        for batch in [64usize, 37, 16, 2, 1] {
            let a: Vec<f32> = (0..batch * g).map(|i| ((i * 104_729 % 997) as f32 - 498.0) / 600.0).collect();
            let c0: Vec<f32> = (0..batch * g).map(|i| (i % 13) as f32 / 13.0).collect();
            for beta in [0.0, 1.0] {
                // forward: a[B, H] . w^T
                let (mut c1, mut c2) = (c0.clone(), c0.clone());
                // SAFETY: every buffer matches its shape
                unsafe {
                    gemm(
                        (false, true),
                        (batch, g, hid),
                        (a.as_ptr(), hid),
                        (w.as_ptr(), hid),
                        beta,
                        (c1.as_mut_ptr(), g),
                    );
                    let p = PackedB::new(true, (batch, g, hid), (w.as_ptr(), hid));
                    p.gemm((a.as_ptr(), hid), beta, (c2.as_mut_ptr(), g));
                }
                assert!(same(&c1, &c2), "forward, batch {batch}, beta {beta}");
                // backward: a[B, G] . w
                let (mut d1, mut d2) = (c0[..batch * hid].to_vec(), c0[..batch * hid].to_vec());
                // SAFETY: as above
                unsafe {
                    gemm(
                        (false, false),
                        (batch, hid, g),
                        (a.as_ptr(), g),
                        (w.as_ptr(), hid),
                        beta,
                        (d1.as_mut_ptr(), hid),
                    );
                    let p = PackedB::new(false, (batch, hid, g), (w.as_ptr(), hid));
                    p.gemm((a.as_ptr(), g), beta, (d2.as_mut_ptr(), hid));
                }
                assert!(same(&d1, &d2), "backward, batch {batch}, beta {beta}");
            }
        }
    }

    #[test]
    fn gemm_matches_a_hand_product_in_every_orientation() {
        // a: [2, 3], b: [3, 2] stored plainly, and their transposes stored as such
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let at = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0];
        let b = [7.0f32, 8.0, 9.0, 10.0, 11.0, 12.0];
        let bt = [7.0f32, 9.0, 11.0, 8.0, 10.0, 12.0];
        let want = [58.0f32, 64.0, 139.0, 154.0];
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let (pa, lda) = if ta { (at.as_ptr(), 2) } else { (a.as_ptr(), 3) };
            let (pb, ldb) = if tb { (bt.as_ptr(), 3) } else { (b.as_ptr(), 2) };
            let mut c = [1.0f32; 4];
            // SAFETY: all buffers match the shapes
            unsafe { gemm((ta, tb), (2, 2, 3), (pa, lda), (pb, ldb), 0.5, (c.as_mut_ptr(), 2)) };
            let got: Vec<f32> = c.to_vec();
            let want: Vec<f32> = want.iter().map(|w| w + 0.5).collect();
            assert_eq!(got, want, "ta {ta} tb {tb}");
        }
    }
}
