//! One time step's gate arithmetic of the hand-written GRU and LSTM steps, forward and backward,
//! each in a single pass over the step's rows, compiled three times (AVX-512, AVX2 and the
//! plain x86-64 baseline) and picked at run time.
//!
//! Why one pass: the earlier loops made a pass for each activation and each state update, and
//! only the activations were compiled for the wide registers; the rest ran four wide at the
//! build's baseline. A step's rows are a few tens of kilobytes, so every extra pass costs a
//! trip through the cache, and the whole arithmetic was a third of a training step.
//!
//! Rows are the step's samples; within a row the gates sit side by side, `hid` units each
//! (GRU: r, z, n; LSTM: i, f, g, o, PyTorch's orders). The activations are the same functions
//! everywhere ([`kernels::sig`], [`kernels::tanh1`]), so every width gives the same bits.

use super::kernels::{self, sig, tanh1};

/// Runs `$body` for every `$k` in `0..$n` over the slices `$x` (read) and `$y` (written), each
/// cut to `$n`, in blocks of 16 and then the shorter rest. A loop of exactly 16 becomes one pass
/// of 16-wide registers, where for a loop of unknown length the compiler makes a wide version
/// that it skips below some length (for these loops, 64 units or more) and a scalar rest. A
/// macro, not a closure: a closure is compiled apart from the function it sits in, without that
/// function's AVX-512 features.
macro_rules! lanes {
    ($n:expr; [$($x:ident),*]; [$($y:ident),*]; |$k:ident| $body:block) => {{
        const L: usize = 16;
        let n: usize = $n;
        $(let $x = &$x[..n];)*
        $(let $y = &mut $y[..n];)*
        let full = n / L * L;
        let mut base = 0;
        while base < full {
            $(let $x = &$x[base..base + L];)*
            $(let $y = &mut $y[base..base + L];)*
            for $k in 0..L $body
            base += L;
        }
        let rest = n - full;
        $(let $x = &$x[full..];)*
        $(let $y = &mut $y[full..];)*
        for $k in 0..rest $body
    }};
}

kernels::simd! {
    /// GRU forward: from the input product `a` (`W_i x`) and the recurrent product `b`
    /// (`W_h h`) of every gate, with the biases `b_ih` and `b_hh`, writes the gates `out` (r, z
    /// after the sigmoid, n after the tanh), the candidate's recurrent part `ghn` (`W_hn h +
    /// b_hn`, kept for the backward pass) and the new state `hn` from the previous `hp`.
    pub fn gru_forward(
        hid: usize,
        a: &[f32],
        b: &[f32],
        b_ih: &[f32],
        b_hh: &[f32],
        out: &mut [f32],
        ghn: &mut [f32],
        hp: &[f32],
        hn: &mut [f32],
    ) {
        let w3 = 3 * hid;
        let (ir, iz, i_n) = (&b_ih[..hid], &b_ih[hid..2 * hid], &b_ih[2 * hid..w3]);
        let (br, bz, bn) = (&b_hh[..hid], &b_hh[hid..2 * hid], &b_hh[2 * hid..w3]);
        let rows = a.chunks_exact(w3).zip(b.chunks_exact(w3));
        let rows = rows.zip(out.chunks_exact_mut(w3).zip(ghn.chunks_exact_mut(hid)));
        for (((a, b), (o, gn)), (hp, hn)) in rows.zip(hp.chunks_exact(hid).zip(hn.chunks_exact_mut(hid))) {
            let (ar, az, an) = (&a[..hid], &a[hid..2 * hid], &a[2 * hid..w3]);
            let (rr, rz, rn) = (&b[..hid], &b[hid..2 * hid], &b[2 * hid..w3]);
            let (or, rest) = o.split_at_mut(hid);
            let (oz, on) = rest.split_at_mut(hid);
            lanes!(hid; [ar, az, an, rr, rz, rn, ir, iz, i_n, br, bz, bn, hp]; [or, oz, on, gn, hn]; |k| {
                let r = sig((ar[k] + ir[k]) + (rr[k] + br[k]));
                let z = sig((az[k] + iz[k]) + (rz[k] + bz[k]));
                let g = rn[k] + bn[k];
                let n = tanh1((an[k] + i_n[k]) + r * g);
                or[k] = r;
                oz[k] = z;
                on[k] = n;
                gn[k] = g;
                hn[k] = n + z * (hp[k] - n);
            });
        }
    }
}

kernels::simd! {
    /// GRU backward: from the gradient at the step's output (`up`, from above) plus the one
    /// carried back from the next step (`dh`), writes the gradients at the pre-activations of
    /// the input part (`dgi`) and the recurrent part (`dgh`), and leaves in `dh` the direct
    /// path to the previous state (the recurrent product is added by the caller).
    pub fn gru_backward(
        hid: usize,
        up: &[f32],
        dh: &mut [f32],
        hp: &[f32],
        gates: &[f32],
        ghn: &[f32],
        dgi: &mut [f32],
        dgh: &mut [f32],
    ) {
        let w3 = 3 * hid;
        let rows = up.chunks_exact(hid).zip(dh.chunks_exact_mut(hid)).zip(hp.chunks_exact(hid));
        let rows = rows.zip(gates.chunks_exact(w3).zip(ghn.chunks_exact(hid)));
        let rows = rows.zip(dgi.chunks_exact_mut(w3).zip(dgh.chunks_exact_mut(w3)));
        for ((((up, dh), hp), (g, ghn)), (dgi, dgh)) in rows {
            let (r, z, n) = (&g[..hid], &g[hid..2 * hid], &g[2 * hid..w3]);
            let (gi_r, rest) = dgi.split_at_mut(hid);
            let (gi_z, gi_n) = rest.split_at_mut(hid);
            let (gh_r, rest) = dgh.split_at_mut(hid);
            let (gh_z, gh_n) = rest.split_at_mut(hid);
            lanes!(hid; [r, z, n, up, hp, ghn]; [gi_r, gi_z, gi_n, gh_r, gh_z, gh_n, dh]; |k| {
                let (r, z, n) = (r[k], z[k], n[k]);
                let d = dh[k] + up[k];
                let da_n = d * (1.0 - z) * (1.0 - n * n);
                let da_z = d * (hp[k] - n) * z * (1.0 - z);
                let da_r = da_n * ghn[k] * r * (1.0 - r);
                gi_r[k] = da_r;
                gi_z[k] = da_z;
                gi_n[k] = da_n;
                gh_r[k] = da_r;
                gh_z[k] = da_z;
                gh_n[k] = da_n * r;
                dh[k] = d * z;
            });
        }
    }
}

kernels::simd! {
    /// LSTM forward: `gates` holds each gate's input and recurrent products, to which it adds
    /// the biases `bias` (`b_ih + b_hh`), and gets the gate values (i, f, o after the sigmoid, g
    /// after the tanh); writes the cell state `cn` from the previous `cp`, its `tanh_c` and the
    /// output `hn`.
    pub fn lstm_forward(
        hid: usize,
        bias: &[f32],
        gates: &mut [f32],
        cp: &[f32],
        cn: &mut [f32],
        tanh_c: &mut [f32],
        hn: &mut [f32],
    ) {
        let w4 = 4 * hid;
        let (bi, bf) = (&bias[..hid], &bias[hid..2 * hid]);
        let (bg, bo) = (&bias[2 * hid..3 * hid], &bias[3 * hid..w4]);
        let rows = gates.chunks_exact_mut(w4).zip(cp.chunks_exact(hid));
        let rows = rows.zip(cn.chunks_exact_mut(hid).zip(tanh_c.chunks_exact_mut(hid)));
        for (((g, cp), (cn, tc)), hn) in rows.zip(hn.chunks_exact_mut(hid)) {
            let (gi, rest) = g.split_at_mut(hid);
            let (gf, rest) = rest.split_at_mut(hid);
            let (gg, go) = rest.split_at_mut(hid);
            lanes!(hid; [cp, bi, bf, bg, bo]; [gi, gf, gg, go, cn, tc, hn]; |k| {
                let i = sig(gi[k] + bi[k]);
                let f = sig(gf[k] + bf[k]);
                let g = tanh1(gg[k] + bg[k]);
                let o = sig(go[k] + bo[k]);
                let c = f * cp[k] + i * g;
                let t = tanh1(c);
                gi[k] = i;
                gf[k] = f;
                gg[k] = g;
                go[k] = o;
                cn[k] = c;
                tc[k] = t;
                hn[k] = o * t;
            });
        }
    }
}

kernels::simd! {
    /// LSTM backward: from the gradient at the step's output (`up` plus the carried `dh`) and
    /// the carried cell gradient `dc`, writes the gradient at the gates' pre-activations `da`
    /// and leaves in `dc` the cell state's path to the previous step.
    pub fn lstm_backward(
        hid: usize,
        up: &[f32],
        dh: &[f32],
        dc: &mut [f32],
        gates: &[f32],
        cp: &[f32],
        tanh_c: &[f32],
        da: &mut [f32],
    ) {
        let w4 = 4 * hid;
        let rows = up.chunks_exact(hid).zip(dh.chunks_exact(hid)).zip(dc.chunks_exact_mut(hid));
        let rows = rows.zip(gates.chunks_exact(w4).zip(cp.chunks_exact(hid)));
        for ((((up, dh), dc), (g, cp)), (tc, da)) in
            rows.zip(tanh_c.chunks_exact(hid).zip(da.chunks_exact_mut(w4)))
        {
            let (i, f, gg, o) = (&g[..hid], &g[hid..2 * hid], &g[2 * hid..3 * hid], &g[3 * hid..w4]);
            let (da_i, rest) = da.split_at_mut(hid);
            let (da_f, rest) = rest.split_at_mut(hid);
            let (da_g, da_o) = rest.split_at_mut(hid);
            lanes!(hid; [i, f, gg, o, up, dh, cp, tc]; [da_i, da_f, da_g, da_o, dc]; |k| {
                let d = dh[k] + up[k];
                let (i, f, g, o, t) = (i[k], f[k], gg[k], o[k], tc[k]);
                da_o[k] = d * t * o * (1.0 - o);
                let dct = dc[k] + d * o * (1.0 - t * t);
                da_i[k] = dct * g * i * (1.0 - i);
                da_g[k] = dct * i * (1.0 - g * g);
                da_f[k] = dct * cp[k] * f * (1.0 - f);
                dc[k] = dct * f;
            });
        }
    }
}
