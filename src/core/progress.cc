// progress.cc: rendering and rate-limiting for Progress.
#include "core/progress.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>

namespace lm {
namespace {
std::atomic<bool> g_enabled{true};
std::atomic<int> g_force_tty{-1};
std::atomic<double> g_period{10.0};
}  // namespace

void Progress::set_enabled(bool enabled) { g_enabled = enabled; }
void Progress::set_force_tty(int tty) { g_force_tty = tty; }
void Progress::set_period_seconds(double seconds) { g_period = seconds; }

std::string format_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (b >= 1000.0 && u < 5) {
    b /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.2f} {}", b, units[u]);
}

std::string format_duration(double s) {
  if (s < 0 || s > 1e9) return "?";
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02d}:{:02d}", t / 3600, (t / 60) % 60, t % 60);
  return fmt::format("{:02d}:{:02d}", t / 60, t % 60);
}

Progress::Progress(std::string desc, uint64_t total, bool bytes)
    : desc_(std::move(desc)), total_(total), bytes_(bytes) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
  int force = g_force_tty.load();
  tty_ = force >= 0 ? force == 1 : isatty(STDERR_FILENO) == 1;
}

Progress::~Progress() { finish(); }

void Progress::add(uint64_t n) {
  count_.fetch_add(n, std::memory_order_relaxed);
  if ((calls_.fetch_add(1, std::memory_order_relaxed) & 4095) == 0 || n > 1) maybe_draw(false);
}

void Progress::set(uint64_t value) {
  count_.store(value, std::memory_order_relaxed);
  maybe_draw(false);
}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::set_details(std::function<std::vector<std::string>()> details) {
  std::lock_guard<std::mutex> lock(mu_);
  details_ = std::move(details);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (!g_enabled) return;
  const double t = elapsed();
  if (!drawn_ && t < 1.0) return;  // quick work: no noise
  // A log (not a terminal) already holds the last line when nothing has moved since.
  if (!tty_ && drawn_ && drawn_count_ == count_.load()) return;
  print(t, /*final=*/true);
}

// One line (redrawn with '\r' on a terminal), or with details a block (redrawn with the cursor
// moved up over it); a log gets every line, each ended.
void Progress::print(double t, bool final) {
  std::string line = render(t);
  if (!details_) {
    std::fprintf(stderr, tty_ ? (final ? "\r%s\n" : "\r%s") : "%s\n", line.c_str());
    std::fflush(stderr);
    return;
  }
  std::vector<std::string> lines = details_();
  lines.insert(lines.begin(), std::move(line));
  std::string out;
  if (tty_ && lines_on_screen_ > 0) out += fmt::format("\x1b[{}A", lines_on_screen_);
  for (const auto& l : lines) out += (tty_ ? "\r\x1b[2K" : "") + l + "\n";
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  lines_on_screen_ = lines.size();
}

void Progress::maybe_draw(bool force) {
  if (!g_enabled) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  double period = tty_ ? 0.1 : g_period.load();
  if (!force && since < period) return;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  last_draw_ = now;
  drawn_ = true;
  drawn_count_ = count_.load();
  print(std::chrono::duration<double>(now - start_).count(), /*final=*/false);
}

std::string Progress::render(double elapsed) const {
  uint64_t n = count_.load(), total = total_.load();
  double rate = elapsed > 0 ? n / elapsed : 0.0;
  auto amount = [&](double v) { return bytes_ ? format_bytes(v) : fmt::format("{}", (uint64_t)v); };
  std::string rate_s = bytes_ ? format_bytes(rate) + "/s" : fmt::format("{:.2f}it/s", rate);
  if (total == 0) {
    return fmt::format("{}: {} [{}, {}]", desc_, amount(n), format_duration(elapsed), rate_s);
  }
  double frac = std::min(1.0, static_cast<double>(n) / total);
  const int width = 10;
  static const char* eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  std::string bar;
  int full = static_cast<int>(frac * width);
  for (int i = 0; i < full; ++i) bar += "█";
  int cells = full;
  if (full < width) {
    int part = static_cast<int>((frac * width - full) * 8);
    if (part > 0) {
      bar += eighths[part];
    }
    ++cells;
    if (part == 0) bar += " ";
  }
  for (int i = cells; i < width; ++i) bar += " ";
  double remaining = rate > 0 ? (total - std::min(n, total)) / rate : -1;
  return fmt::format("{}: {:3.0f}%|{}| {}/{} [{}<{}, {}]", desc_, frac * 100, bar, amount(n),
                     amount(total), format_duration(elapsed), format_duration(remaining), rate_s);
}

Result<uint64_t> parse_bytes(const std::string& s) {
  size_t pos = 0;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  if (pos == 0) return invalid_argument("bad size '{}' (e.g. 64M, 1G, 500k)", s);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + pos, v);
  if (ec != std::errc() || v > (uint64_t{1} << 40)) {
    return invalid_argument("size '{}' is out of range (at most 1T)", s);
  }
  std::string unit = s.substr(pos);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit == "k" || unit == "kb" || unit == "kib") return v << 10;
  if (unit == "m" || unit == "mb" || unit == "mib") return v << 20;
  if (unit == "g" || unit == "gb" || unit == "gib") return v << 30;
  if (unit.empty() || unit == "b") return v;
  return invalid_argument("bad size '{}' (e.g. 64M, 1G, 500k)", s);
}

uint64_t peak_rss_bytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb * 1024;
}

}  // namespace lm
