//! Small dense linear algebra for block kernels: the orthonormal DCT-II (what `cv2.dct`
//! computes) and the leading singular triplet of a small square matrix.
#![allow(clippy::needless_range_loop)] // matrix code reads best with explicit indices

/// `n x n` orthonormal DCT-II matrix `C`, so that `dct(X) = C X C^T`.
pub fn dct_matrix(n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for k in 0..n {
        let alpha = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            c[k * n + i] = alpha
                * (std::f64::consts::PI * (2 * i + 1) as f64 * k as f64 / (2 * n) as f64).cos();
        }
    }
    c
}

/// `A B` for `n x n` row-major matrices.
pub fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                out[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    out
}

/// `A^T`.
pub fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    let mut t = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            t[j * n + i] = a[i * n + j];
        }
    }
    t
}

/// 2-D DCT-II of a block, `C X C^T`.
pub fn dct2(c: &[f64], x: &[f64], n: usize) -> Vec<f64> {
    matmul(&matmul(c, x, n), &transpose(c, n), n)
}

/// Inverse 2-D DCT, `C^T Y C`.
pub fn idct2(c: &[f64], y: &[f64], n: usize) -> Vec<f64> {
    matmul(&matmul(&transpose(c, n), y, n), c, n)
}

/// Largest singular value `s` of the `n x n` matrix `a`, with unit vectors `u`, `v` such that
/// `a v = s u`. Cyclic Jacobi on `a^T a`, converged to machine precision.
pub fn top_singular(a: &[f64], n: usize) -> (f64, Vec<f64>, Vec<f64>) {
    let at = transpose(a, n);
    let mut m = matmul(&at, a, n); // symmetric, eigenvalues s_i^2
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..64 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        let scale: f64 = (0..n).map(|i| m[i * n + i] * m[i * n + i]).sum::<f64>();
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let best = (0..n)
        .max_by(|&i, &j| m[i * n + i].total_cmp(&m[j * n + j]))
        .unwrap_or(0);
    let s = m[best * n + best].max(0.0).sqrt();
    let vv: Vec<f64> = (0..n).map(|k| v[k * n + best]).collect();
    let mut uu = vec![0.0; n];
    if s > 1e-12 {
        for i in 0..n {
            uu[i] = (0..n).map(|k| a[i * n + k] * vv[k]).sum::<f64>() / s;
        }
    } else {
        // numpy returns identity singular vectors for a zero matrix.
        uu[0] = 1.0;
        return (s, uu.clone(), uu);
    }
    (s, uu, vv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_size_path_matches_the_general_one() {
        let c = dct_matrix(4);
        for seed in 0..200u64 {
            let x: Vec<f64> = (0..16)
                .map(|i| {
                    ((i as u64 * 2654435761 + seed * 97) % 511) as f64 - 100.0 * (seed % 3) as f64
                })
                .collect();
            let (s, _, _) = top_singular(&dct2(&c, &x, 4), 4);
            // The DCT is orthogonal: the block has the same singular values.
            let fast = fixed::top_singular_value_of_block::<4>(&x);
            assert!((s - fast).abs() < 1e-9 * s.max(1.0), "{s} vs {fast}");
            let mut a = [[0.0; 4]; 4];
            for (i, row) in a.iter_mut().enumerate() {
                row.copy_from_slice(&x[i * 4..i * 4 + 4]);
            }
            assert!((s - fixed::top_singular_value(&a)).abs() < 1e-9 * s.max(1.0));
        }
    }

    #[test]
    fn dct_round_trip() {
        let c = dct_matrix(4);
        let x: Vec<f64> = (0..16).map(|i| (i * 7 % 13) as f64).collect();
        let y = dct2(&c, &x, 4);
        // DC term of an orthonormal DCT is sum / n.
        assert!((y[0] - x.iter().sum::<f64>() / 4.0).abs() < 1e-12);
        let back = idct2(&c, &y, 4);
        for (a, b) in back.iter().zip(&x) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn singular_value_of_rank_one_and_diagonal() {
        // diag(3, -7, 2, 1): largest singular value 7.
        let mut a = vec![0.0; 16];
        a[0] = 3.0;
        a[5] = -7.0;
        a[10] = 2.0;
        a[15] = 1.0;
        let (s, u, v) = top_singular(&a, 4);
        assert!((s - 7.0).abs() < 1e-12);
        // a v = s u
        for i in 0..4 {
            let av: f64 = (0..4).map(|k| a[i * 4 + k] * v[k]).sum();
            assert!((av - s * u[i]).abs() < 1e-9);
        }
        let (s0, _, _) = top_singular(&[0.0; 16], 4);
        assert_eq!(s0, 0.0);
    }

    #[test]
    fn singular_value_matches_frobenius_for_rank_one() {
        let x = [1.0, 2.0, -1.0, 0.5];
        let y = [0.3, -2.0, 1.0, 4.0];
        let a: Vec<f64> = (0..16).map(|k| x[k / 4] * y[k % 4]).collect();
        let fro = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let (s, _, _) = top_singular(&a, 4);
        assert!((s - fro).abs() < 1e-10);
    }
}

/// Singular values on `N x N` stack arrays, without allocation (the hot path of decoding:
/// one singular value per block).
pub mod fixed {
    /// Largest singular value of a row-major block: power iteration on `a^T a` with a Rayleigh
    /// quotient (converges in a few steps for the DC-dominated blocks of images), falling back
    /// to Jacobi when it has not settled to machine precision.
    pub fn top_singular_value_of_block<const N: usize>(x: &[f64]) -> f64 {
        let mut a = [[0.0; N]; N];
        for (i, row) in a.iter_mut().enumerate() {
            row.copy_from_slice(&x[i * N..(i + 1) * N]);
        }
        let m = gram(&a);
        // A start vector with unequal entries: never orthogonal to a realistic top vector.
        let mut v = [0.0; N];
        for (i, e) in v.iter_mut().enumerate() {
            *e = 1.0 + 0.1 * i as f64;
        }
        let mut last = f64::NAN;
        let mut settled = 0;
        for _ in 0..200 {
            let norm = v.iter().map(|e| e * e).sum::<f64>().sqrt();
            if norm == 0.0 || !norm.is_finite() {
                break;
            }
            v.iter_mut().for_each(|e| *e /= norm);
            let mut w = [0.0; N];
            for (i, wi) in w.iter_mut().enumerate() {
                *wi = (0..N).map(|k| m[i][k] * v[k]).sum();
            }
            let lambda: f64 = (0..N).map(|i| v[i] * w[i]).sum();
            if (lambda - last).abs() <= 4.0 * f64::EPSILON * lambda.abs() {
                settled += 1;
                if settled == 2 {
                    return lambda.max(0.0).sqrt();
                }
            } else {
                settled = 0;
            }
            last = lambda;
            v = w;
        }
        largest_eigenvalue(m).sqrt()
    }

    /// `a^T a`, whose eigenvalues are the squared singular values of `a`.
    fn gram<const N: usize>(a: &[[f64; N]; N]) -> [[f64; N]; N] {
        let mut m = [[0.0; N]; N];
        for i in 0..N {
            for j in i..N {
                let s: f64 = (0..N).map(|k| a[k][i] * a[k][j]).sum();
                m[i][j] = s;
                m[j][i] = s;
            }
        }
        m
    }

    /// Largest singular value of `a` (cyclic Jacobi on `a^T a`); the tests' reference for
    /// the power iteration.
    #[cfg(test)]
    pub fn top_singular_value<const N: usize>(a: &[[f64; N]; N]) -> f64 {
        largest_eigenvalue(gram(a)).sqrt()
    }

    /// Largest eigenvalue of a symmetric matrix (cyclic Jacobi).
    fn largest_eigenvalue<const N: usize>(mut m: [[f64; N]; N]) -> f64 {
        for _sweep in 0..64 {
            let mut off = 0.0;
            let mut diag = 0.0;
            for i in 0..N {
                diag += m[i][i] * m[i][i];
                for j in 0..N {
                    if i != j {
                        off += m[i][j] * m[i][j];
                    }
                }
            }
            if off <= 1e-30 * diag.max(f64::MIN_POSITIVE) {
                break;
            }
            for p in 0..N {
                for q in p + 1..N {
                    let apq = m[p][q];
                    if apq == 0.0 {
                        continue;
                    }
                    let theta = (m[q][q] - m[p][p]) / (2.0 * apq);
                    let t = if theta == 0.0 {
                        1.0
                    } else {
                        theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                    };
                    let c = 1.0 / (t * t + 1.0).sqrt();
                    let s = t * c;
                    for row in m.iter_mut() {
                        let (mkp, mkq) = (row[p], row[q]);
                        row[p] = c * mkp - s * mkq;
                        row[q] = s * mkp + c * mkq;
                    }
                    for k in 0..N {
                        let (mpk, mqk) = (m[p][k], m[q][k]);
                        m[p][k] = c * mpk - s * mqk;
                        m[q][k] = s * mpk + c * mqk;
                    }
                }
            }
        }
        (0..N).map(|i| m[i][i]).fold(0.0, f64::max)
    }
}
