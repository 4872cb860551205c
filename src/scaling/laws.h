// laws.h: published scaling laws with their constants and sources: Kaplan et al. 2020 (KM)
// L(N), L(D), L(C_min), L(N,D); Chinchilla L(N,D) (rounded, unrounded TeX, Epoch 2024) and its
// closed-form compute-optimal allocation; Muennighoff et al. 2023 data-constrained law.
// Units: N parameters, D tokens, C FLOPs (KM's C in PF-days internally), loss in nats/token.
#pragma once

#include <string>

#include "core/status.h"

namespace lm::scaling {

constexpr double kPfDay = 8.64e19;  // FLOPs in one PF-day

// L = E + A / N^alpha + B / D^beta (Chinchilla form; N counts all parameters).
struct ChinchillaParams {
  double E = 0, A = 0, B = 0, alpha = 0, beta = 0;
  double loss(double n, double d) const;
};

ChinchillaParams chinchilla_rounded();    // E 1.69, A 406.4, B 410.7, 0.34, 0.28
ChinchillaParams chinchilla_unrounded();  // TeX source values (via Epoch)
ChinchillaParams epoch_2024();            // Besiroglu et al. 2024 headline MLE

struct Allocation {
  double compute = 0;          // FLOPs
  double n_opt = 0;            // parameters
  double d_opt = 0;            // tokens
  double loss = 0;             // predicted loss at (n_opt, d_opt)
  double G = 0, a = 0, b = 0;  // N_opt = G (C/6)^a, D_opt = (C/6)^b / G
  double tokens_per_param() const { return d_opt / n_opt; }
};

// Closed form under C = 6 N D: G = (alpha A / (beta B))^(1/(alpha+beta)), a = beta/(alpha+beta).
Allocation chinchilla_allocation(const ChinchillaParams& p, double compute);

// Kaplan et al. 2020 (N non-embedding params, C_min in PF-days).
double km_loss_n(double n);             // (8.8e13 / N)^0.076
double km_loss_d(double d);             // (5.4e13 / D)^0.095
double km_loss_cmin(double c_pfdays);   // (3.1e8 / C)^0.050
double km_loss_nd(double n, double d);  // Table 2: [(6.4e13/N)^(0.076/0.103) + 1.8e13/D]^0.103
// Fig. 14: N_opt = 1.3e9 C_min^0.73 (PF-days); D_opt = C / (6 N_opt). Loss from km_loss_nd.
Allocation km_allocation(double compute_flops);

// Kaplan et al. 2020 eq. 1.6 / 5.6: loss after S_min steps at the critical batch,
// (N_c/N)^0.076 + (2.1e3/S_min)^0.76, with L(N)'s N_c = 8.8e13 (the notes' constants).
double km_loss_ns(double n, double s_min);
// Eq. 5.1: B_crit(L) = B* / L^(1/alpha_B), B* = 2e8 tokens, alpha_B = 0.21 (L in nats/token).
double km_b_crit(double loss);
// Eqs. 5.4 / 5.5: the minimum steps and compute of a run of S steps (C FLOPs) at batch B tokens.
double km_s_min(double steps, double batch, double loss);
double km_c_min(double compute, double batch, double loss);
// L(N, S) for S steps at batch B: solves L = L(N, S_min(S, B, L)) (B_crit depends on L).
double km_loss_ns_at_batch(double n, double steps, double batch);

// Muennighoff et al. 2023: N params, D total tokens, U unique tokens (D >= U means repetition).
struct DataConstrained {
  double loss = 0, d_eff = 0, n_eff = 0, r_d = 0, r_n = 0, u_n = 0;
};
DataConstrained data_constrained_loss(double n, double d, double unique_tokens);

// A power law in the irreducible + reducible form L(x) = L_inf + (x0 / x)^alpha.
struct PowerLaw {
  double l_inf = 0, x0 = 0, alpha = 0;
  double operator()(double x) const;
};

// KM's single-variable laws as PowerLaws (L_inf = 0, as published).
PowerLaw km_law_n();     // L(N) = (8.8e13 / N)^0.076
PowerLaw km_law_d();     // L(D) = (5.4e13 / D)^0.095
PowerLaw km_law_cmin();  // L(C_min) = (3.1e8 / C)^0.050, C in PF-days

// Validates that v is finite and > 0 (for sizes, tokens, compute); names `what` in the error.
Status check_positive(const std::string& what, double v);

}  // namespace lm::scaling
