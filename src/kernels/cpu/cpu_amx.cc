// cpu_amx.cc: matrix products in bf16 on Intel AMX (Sapphire Rapids and later), for the
// "cpu-bf16" kernel set. Operands stay fp32 in memory; each product packs them into bf16 tiles
// (round to nearest even), multiplies with AMX's TDPBF16PS (fp32 accumulation) and writes fp32.
// This is the mixed precision of GPU training (bf16 products, fp32 weights, optimizer and every
// other kernel). One output element is always computed by the same sequence of tile products
// over K, whatever the thread count or the slice a thread gets, so the bytes out do not depend
// on the thread count.
//
// This file is compiled with -mamx-tile -mamx-bf16 -mavx512f -mavx512bf16 -mavx512bw and called
// only after amx::available() said yes. It includes no C++ standard-library header and
// instantiates no template: an inline function or template compiled here with AVX-512 could be
// the copy the linker keeps for every caller, and then run on a CPU without it (see
// parallel.h's Scratch).
#include "kernels/cpu/cpu_amx.h"

#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernels/kernels.h"

namespace lm::kernels::amx {
namespace {

constexpr long kArchReqXcompPerm = 0x1023;  // arch_prctl: ask for an extended state component
constexpr long kXfeatureXtiledata = 18;     // AMX tile data

// Tile layout: tiles 0-3 accumulate a 32 x 32 fp32 block (2 x 2 tiles of 16 x 16), tiles 4-5
// hold two 16 x 32 bf16 slices of A, tiles 6-7 two 16 (k pairs) x 16 (n) x 2 slices of B
// (the "VNNI" layout: each 32-bit unit is the pair B[2i][n], B[2i+1][n]).
struct TileConfig {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

void configure_tiles() {
  TileConfig cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = 0; t < 8; t++) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
}

inline size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }
inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

// fp32 -> bf16, round to nearest even (NaN kept a quiet NaN), for the scalar tails.
inline uint16_t to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

// 16 floats (the first n of them; the rest read as 0) as 16 bf16.
inline __m256i cvt16(const float* p, int n) {
  __m512 v = n >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
  return (__m256i)_mm512_cvtneps_pbh(v);
}

// Grow-only 64-byte aligned buffer of uint16_t, one per call site and thread.
struct Buffer {
  uint16_t* p = nullptr;
  size_t cap = 0;
  ~Buffer() { free(p); }
  uint16_t* get(size_t n) {
    if (cap < n) {
      free(p);
      p = (uint16_t*)aligned_alloc(64, round_up(n * 2, 64));
      cap = n;
    }
    return p;
  }
};

// Packs rows [m0, m0 + rows) of op(A) (K columns) into `rows` (a multiple of 16) x K32 bf16,
// row-major (zero beyond M and K). op(A)[m][k] = A[m * lda + k], or A[k * lda + m] if trans.
void pack_a(uint16_t* dst, const float* A, size_t lda, bool trans, size_t m0, size_t rows, size_t M,
            size_t K, size_t K32) {
  for (size_t r = 0; r < rows; r++) {
    uint16_t* d = dst + r * K32;
    size_t m = m0 + r;
    if (m >= M) {
      memset(d, 0, K32 * 2);
      continue;
    }
    if (!trans) {
      const float* s = A + m * lda;
      size_t k = 0;
      for (; k + 16 <= K; k += 16) _mm256_storeu_si256((__m256i*)(d + k), cvt16(s + k, 16));
      if (k < K) _mm256_storeu_si256((__m256i*)(d + k), cvt16(s + k, (int)(K - k)));
      for (k = round_up(K, 16); k < K32; k++) d[k] = 0;
    }
  }
  if (!trans) return;
  // Transposed source: row k of A holds the k-th element of 16 consecutive rows. Convert 16 at a
  // time into a small k-major block, then transpose it into the 16 rows (strided reads of A
  // one element at a time missed the cache on every load).
  alignas(64) uint16_t blk[64 * 16];
  for (size_t r0 = 0; r0 < rows; r0 += 16) {
    size_t m = m0 + r0;
    if (m >= M) break;  // zeroed above
    int cols = (int)min_size(16, M - m);
    for (size_t k0 = 0; k0 < K32; k0 += 64) {
      size_t kn = min_size(64, K32 - k0);
      for (size_t j = 0; j < kn; j++) {
        size_t k = k0 + j;
        __m256i v = k < K ? cvt16(A + k * lda + m, cols) : _mm256_setzero_si256();
        _mm256_store_si256((__m256i*)(blk + j * 16), v);
      }
      for (int r = 0; r < 16; r++) {
        uint16_t* d = dst + (r0 + r) * K32 + k0;
        for (size_t j = 0; j < kn; j++) d[j] = blk[j * 16 + r];
      }
    }
  }
}

// Packs op(B) (K x N) into VNNI tiles: for each 16-column tile nt and k pair p, 16 units of
// (B[2p][n], B[2p+1][n]) at dst + (nt * KP + p) * 32. op(B)[k][n] = B[k * ldb + n], or
// B[n * ldb + k] if trans. Columns [n0, n1) (multiples of 16) only; zero from N on.
void pack_b(uint16_t* dst, const float* B, size_t ldb, bool trans, size_t n0, size_t n1, size_t N,
            size_t K, size_t KP) {
  // Interleaves 16 bf16 of row k (low) and k+1 (high) into 16 pairs.
  const __m512i kInterleave =
      _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                       21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (size_t nt = n0 / 16; nt * 16 < n1; nt++) {
    size_t n = nt * 16;
    int cols = n < N ? (int)min_size(16, N - n) : 0;
    uint16_t* tile = dst + nt * KP * 32;
    if (!trans) {
      for (size_t p = 0; p < KP; p++) {
        size_t k = 2 * p;
        __m256i lo = k < K ? cvt16(B + k * ldb + n, cols) : _mm256_setzero_si256();
        __m256i hi = k + 1 < K ? cvt16(B + (k + 1) * ldb + n, cols) : _mm256_setzero_si256();
        __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        _mm512_storeu_si512(tile + p * 32, _mm512_permutexvar_epi16(kInterleave, both));
      }
    } else {
      // Row n of the source holds k contiguous: its pairs are already units; scatter them.
      const __m512i kUnitStride =
          _mm512_set_epi32(240, 224, 208, 192, 176, 160, 144, 128, 112, 96, 80, 64, 48, 32, 16, 0);
      uint32_t* units = (uint32_t*)tile;
      for (int c = 0; c < 16; c++) {
        if (c >= cols) {
          for (size_t p = 0; p < KP; p++) units[p * 16 + c] = 0;
          continue;
        }
        const float* s = B + (n + c) * ldb;
        size_t p = 0;
        for (; 2 * p + 32 <= K; p += 16) {
          __m512i v = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(s + 2 * p + 16),
                                                   _mm512_loadu_ps(s + 2 * p));
          _mm512_i32scatter_epi32(units + p * 16 + c, kUnitStride, v, 4);
        }
        for (; p < KP; p++) {
          size_t k = 2 * p;
          uint16_t lo = k < K ? to_bf16(s[k]) : 0, hi = k + 1 < K ? to_bf16(s[k + 1]) : 0;
          units[p * 16 + c] = (uint32_t)lo | ((uint32_t)hi << 16);
        }
      }
    }
  }
}

// Writes a 32 x 32 fp32 block (row stride 32) into C at (m, n): only the part inside M x N;
// C = block, or C += block if accumulate; transposed (C[n][m]) if trans.
void store_block(const float* blk, float* C, size_t ldc, bool trans, bool accumulate, size_t m,
                 size_t n, size_t M, size_t N) {
  size_t rows = min_size(32, M - m), cols = min_size(32, N - n);
  if (!trans) {
    for (size_t r = 0; r < rows; r++) {
      float* c = C + (m + r) * ldc + n;
      const float* b = blk + r * 32;
      if (accumulate)
        for (size_t j = 0; j < cols; j++) c[j] += b[j];
      else
        memcpy(c, b, cols * 4);
    }
  } else {
    for (size_t j = 0; j < cols; j++) {
      float* c = C + (n + j) * ldc + m;
      if (accumulate)
        for (size_t r = 0; r < rows; r++) c[r] += blk[r * 32 + j];
      else
        for (size_t r = 0; r < rows; r++) c[r] = blk[r * 32 + j];
    }
  }
}

Buffer& packed_b() {
  thread_local Buffer b;  // per calling thread
  return b;
}

}  // namespace

bool available() {
  static const int kOk = [] {
    __builtin_cpu_init();
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    bool amx = ((d >> 22) & 1) && ((d >> 24) & 1);  // AMX-BF16, AMX-TILE
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(1));
    bool bf16 = (a >> 5) & 1;  // AVX512_BF16
    if (!amx || !bf16 || !__builtin_cpu_supports("avx512bw")) return 0;
    // Linux hands out the tile data state only on request (once per process).
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0 ? 1 : 0;
  }();
  return kOk != 0;
}

void gemm(size_t M, size_t N, size_t K, const float* A, size_t lda, bool ta, const float* B,
          size_t ldb, bool tb, float* C, size_t ldc, bool tc, bool accumulate) {
  if (M == 0 || N == 0) return;
  const size_t K32 = round_up(K, 32), KP = K32 / 2, N32 = round_up(N, 32);
  const size_t M32 = round_up(M, 32);
  uint16_t* bp = packed_b().get(N32 * KP * 2);
  int nt = kernel_threads();
  // Rows of A packed at a time: about 128 KB of bf16, at least one 32-row block.
  size_t mb = (131072 / (K32 * 2)) / 32 * 32;
  if (mb < 32) mb = 32;
  // Work is split over 32-row blocks, or over 32-column blocks when there are too few rows.
  bool split_rows = M32 / 32 >= (size_t)nt * 2 || M32 / 32 >= N32 / 32;
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    // Pack B: each thread a contiguous range of 16-column tiles.
    size_t tiles = N32 / 16;
    size_t b0 = tiles * t / k * 16, b1 = tiles * (t + 1) / k * 16;
    if (b0 < b1) pack_b(bp, B, ldb, tb, b0, b1, N, K, KP);
#pragma omp barrier
    size_t units = split_rows ? M32 / 32 : N32 / 32;
    size_t u0 = units * t / k, u1 = units * (t + 1) / k;
    size_t r_begin = split_rows ? u0 * 32 : 0, r_end = split_rows ? u1 * 32 : M32;
    size_t c_begin = split_rows ? 0 : u0 * 32, c_end = split_rows ? N32 : u1 * 32;
    if (r_begin < r_end && c_begin < c_end) {
      thread_local Buffer abuf;
      uint16_t* ap = abuf.get(mb * K32);
      alignas(64) float blk[32 * 32];
      configure_tiles();
      for (size_t m0 = r_begin; m0 < r_end; m0 += mb) {
        size_t rows = min_size(mb, r_end - m0);
        pack_a(ap, A, lda, ta, m0, rows, M, K, K32);
        for (size_t n = c_begin; n < c_end; n += 32) {
          const uint16_t* b0p = bp + (n / 16) * KP * 32;
          const uint16_t* b1p = b0p + KP * 32;
          for (size_t r = 0; r < rows; r += 32) {
            const uint16_t* a0 = ap + r * K32;
            const uint16_t* a1 = a0 + 16 * K32;
            // A whole block, stored untransposed, goes straight between C and the tiles.
            size_t m = m0 + r;
            bool direct = !tc && m + 32 <= M && n + 32 <= N;
            float* c0 = C + m * ldc + n;
            const long cs = (long)(ldc * 4);
            if (direct && accumulate) {
              _tile_loadd(0, c0, cs);
              _tile_loadd(1, c0 + 16, cs);
              _tile_loadd(2, c0 + 16 * ldc, cs);
              _tile_loadd(3, c0 + 16 * ldc + 16, cs);
            } else {
              _tile_zero(0);
              _tile_zero(1);
              _tile_zero(2);
              _tile_zero(3);
            }
            for (size_t kk = 0; kk < K32; kk += 32) {
              _tile_loadd(4, a0 + kk, (long)(K32 * 2));
              _tile_loadd(5, a1 + kk, (long)(K32 * 2));
              _tile_loadd(6, b0p + kk * 16, 64);
              _tile_loadd(7, b1p + kk * 16, 64);
              _tile_dpbf16ps(0, 4, 6);
              _tile_dpbf16ps(1, 4, 7);
              _tile_dpbf16ps(2, 5, 6);
              _tile_dpbf16ps(3, 5, 7);
            }
            if (direct) {
              _tile_stored(0, c0, cs);
              _tile_stored(1, c0 + 16, cs);
              _tile_stored(2, c0 + 16 * ldc, cs);
              _tile_stored(3, c0 + 16 * ldc + 16, cs);
              continue;
            }
            _tile_stored(0, blk, 128);
            _tile_stored(1, blk + 16, 128);
            _tile_stored(2, blk + 16 * 32, 128);
            _tile_stored(3, blk + 16 * 32 + 16, 128);
            store_block(blk, C, ldc, tc, accumulate, m, n, M, N);
          }
        }
      }
      _tile_release();
    }
  }
}

}  // namespace lm::kernels::amx
