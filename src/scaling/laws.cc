// laws.cc: the published constants (see docs/scaling.md and the reference notes for sources)
// and their closed-form consequences. Pure functions, no state.
#include "scaling/laws.h"

#include <algorithm>
#include <cmath>

namespace lm::scaling {

double ChinchillaParams::loss(double n, double d) const {
  return E + A / std::pow(n, alpha) + B / std::pow(d, beta);
}

ChinchillaParams chinchilla_rounded() { return {1.69, 406.4, 410.7, 0.34, 0.28}; }

ChinchillaParams chinchilla_unrounded() {
  return {std::exp(0.5267228), std::exp(6.0073404), std::exp(6.0179186), 0.33917084, 0.2849083};
}

ChinchillaParams epoch_2024() {
  return {std::exp(0.5971119597824348), std::exp(6.177955975826981), std::exp(7.6427323622433505),
          0.34781302903942635, 0.3658541172951044};
}

Allocation chinchilla_allocation(const ChinchillaParams& p, double compute) {
  Allocation r;
  r.compute = compute;
  const double s = p.alpha + p.beta;
  r.G = std::pow(p.alpha * p.A / (p.beta * p.B), 1.0 / s);
  r.a = p.beta / s;
  r.b = p.alpha / s;
  r.n_opt = r.G * std::pow(compute / 6.0, r.a);
  r.d_opt = std::pow(compute / 6.0, r.b) / r.G;
  r.loss = p.loss(r.n_opt, r.d_opt);
  return r;
}

PowerLaw km_law_n() { return {0, 8.8e13, 0.076}; }
PowerLaw km_law_d() { return {0, 5.4e13, 0.095}; }
PowerLaw km_law_cmin() { return {0, 3.1e8, 0.050}; }
double km_loss_n(double n) { return std::pow(8.8e13 / n, 0.076); }
double km_loss_d(double d) { return std::pow(5.4e13 / d, 0.095); }
double km_loss_cmin(double c_pfdays) { return std::pow(3.1e8 / c_pfdays, 0.050); }

double km_loss_ns(double n, double s_min) {
  return std::pow(8.8e13 / n, 0.076) + std::pow(2.1e3 / s_min, 0.76);
}
double km_b_crit(double loss) { return 2e8 / std::pow(loss, 1 / 0.21); }
double km_s_min(double steps, double batch, double loss) {
  return steps / (1 + km_b_crit(loss) / batch);
}
double km_c_min(double compute, double batch, double loss) {
  return compute / (1 + batch / km_b_crit(loss));
}
double km_loss_ns_at_batch(double n, double steps, double batch) {
  // f(L) = L(N, S_min(S, B, L)) falls as L rises (B_crit shrinks), so f(L) - L has one root in
  // [L(N), f(L(N))]: bisect.
  auto f = [&](double l) { return km_loss_ns(n, km_s_min(steps, batch, l)); };
  double lo = km_loss_n(n), hi = f(lo);
  for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
    double mid = 0.5 * (lo + hi);
    (f(mid) > mid ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double km_loss_nd(double n, double d) {
  return std::pow(std::pow(6.4e13 / n, 0.076 / 0.103) + 1.8e13 / d, 0.103);
}

Allocation km_allocation(double compute_flops) {
  Allocation r;
  r.compute = compute_flops;
  r.a = 0.73;
  r.b = 1 - r.a;
  // N = 1.3e9 (C / kPfDay)^0.73 = G (C/6)^0.73  =>  G = 1.3e9 (6 / kPfDay)^0.73
  r.G = 1.3e9 * std::pow(6.0 / kPfDay, r.a);
  r.n_opt = 1.3e9 * std::pow(compute_flops / kPfDay, r.a);
  r.d_opt = compute_flops / (6.0 * r.n_opt);
  r.loss = km_loss_nd(r.n_opt, r.d_opt);
  return r;
}

DataConstrained data_constrained_loss(double n, double d, double u) {
  const double A = std::exp(6.255414), B = std::exp(7.3049974), E = std::exp(0.6254804);
  const double al = 0.3526596, be = 0.3526596, rd_star = 15.387756, rn_star = 5.309743;
  const double G = std::pow(al * A / (be * B), 1.0 / (al + be));
  DataConstrained r;
  r.r_d = std::max(d / u - 1.0, 0.0);
  r.u_n = std::min(n, std::pow(u * G, be / al) * G);  // compute-optimal N for U unique tokens
  r.r_n = std::max(n / r.u_n - 1.0, 0.0);
  r.d_eff = u + u * rd_star * (1 - std::exp(-r.r_d / rd_star));
  r.n_eff = r.u_n + r.u_n * rn_star * (1 - std::exp(-r.r_n / rn_star));
  r.loss = E + A / std::pow(r.n_eff, al) + B / std::pow(r.d_eff, be);
  return r;
}

double PowerLaw::operator()(double x) const { return l_inf + std::pow(x0 / x, alpha); }

Status check_positive(const std::string& what, double v) {
  if (!std::isfinite(v) || v <= 0) {
    return invalid_argument("{} must be a positive finite number, got {}", what, v);
  }
  return ok_status();
}

}  // namespace lm::scaling
