// cmd_estimate.cc: `lmforge estimate`: parameters, FLOPs, memory per GPU by component (precision,
// ZeRO 0-3, TP/PP, recompute), whether it fits and the smallest GPU count, time and GPU-hours;
// `--table` reproduces the study notes' 10B/100B/1T table beside the notes' own formula.
// Model from --config (HF GPT-2 config.json, read by the model's reader), --layers/--width/
// --heads, or --params. The accounting and the JSON records live in src/estimate.
#include <fmt/core.h>

#include <cmath>

#include "cli.h"
#include "estimate/estimate.h"

namespace lm::cli {
namespace {

using namespace lm::estimate;

struct Opts {
  std::string config, gpu = "a100-80g", precision = "mixed", recompute = "none", conv = "6n";
  double params = 0, tokens = 0, mfu = 0.4, overhead = 0.10;
  int64_t layers = 0, width = 0, heads = 0, vocab = 50257, seq_len = 2048, micro_batch = 1;
  int64_t gpus = 1, tp = 1, pp = 1;
  int zero = 0;
  bool sp = false, table = false, json = false;
};

std::string bytes_str(double b) {
  return fmt::format("{:.3g} GB ({:.3g} GiB)", b / 1e9, b / 1073741824.0);
}

std::string dur_str(double s) {
  if (s < 3600) return fmt::format("{:.3g} s", s);
  if (s < 86400 * 2) return fmt::format("{:.3g} h", s / 3600);
  return fmt::format("{:.4g} days ({:.3g} months)", s / 86400, s / (86400 * 30.44));
}

Result<EstimateInput> make_input(const Opts& o) {
  EstimateInput in;
  in.shape.vocab = o.vocab;
  in.shape.seq_len = o.seq_len;
  if (!o.config.empty()) {
    LM_ASSIGN_OR_RETURN(in.shape, shape_from_hf_config(o.config));
  } else if (o.layers > 0 || o.width > 0) {
    in.shape.n_layer = o.layers;
    in.shape.n_embd = o.width;
    in.shape.n_head = o.heads > 0 ? o.heads : std::max<int64_t>(1, o.width / 64);
  } else if (o.params > 0) {
    in.shape = shape_for_params(o.params, o.vocab, o.seq_len);
  } else {
    return Status(Code::kInvalidArgument, "no model given",
                  "give --params N, or --layers/--width[/--heads], or --config config.json");
  }
  in.params = o.params;
  in.tokens = o.tokens;
  in.gpus = o.gpus;
  in.mfu = o.mfu;
  in.overhead = o.overhead;
  LM_ASSIGN_OR_RETURN(in.gpu, find_gpu(o.gpu));
  LM_ASSIGN_OR_RETURN(in.convention, parse_flop_convention(o.conv));
  LM_ASSIGN_OR_RETURN(in.setup.precision, parse_precision(o.precision));
  LM_ASSIGN_OR_RETURN(in.setup.recompute, parse_recompute(o.recompute));
  in.setup.micro_batch = o.micro_batch;
  in.setup.par.tp = o.tp;
  in.setup.par.pp = o.pp;
  in.setup.par.zero_stage = o.zero;
  in.setup.par.sequence_parallel = o.sp;
  return in;
}

void print_human(const EstimateInput& in, const EstimateResult& r) {
  const auto& s = in.shape;
  fmt::print("model        {} layers x {} wide, {} heads, vocab {}, seq {}{}\n", s.n_layer,
             s.n_embd, s.n_head, s.vocab, s.seq_len, s.mlp ? "" : ", attention-only");
  fmt::print("parameters   {:.4g} total, {:.4g} non-embedding\n", r.params.total,
             r.params.non_embedding);
  fmt::print("FLOPs/token  {:.4g} ({}); 6N {:.4g}, Kaplan {:.4g}, PaLM {:.4g}\n", r.flops_per_token,
             flop_convention_name(in.convention), r.flops_6n, r.flops_kaplan, r.flops_palm);
  fmt::print("training     {:.4g} tokens, C = {:.4g} FLOPs ({:.4g} PF-days)\n", r.tokens,
             r.total_flops, r.total_flops / 8.64e19);
  fmt::print("memory/GPU   ({}, ZeRO {}, TP {}, PP {}{}, recompute {}, micro-batch {})\n",
             precision_name(in.setup.precision), in.setup.par.zero_stage, in.setup.par.tp,
             in.setup.par.pp, in.setup.par.sequence_parallel ? " + SP" : "",
             recompute_name(in.setup.recompute), in.setup.micro_batch);
  fmt::print("  weights     {}\n  gradients   {}\n  optimizer   {}\n  activations {}\n",
             bytes_str(r.memory.weights), bytes_str(r.memory.gradients),
             bytes_str(r.memory.optimizer), bytes_str(r.memory.activations));
  fmt::print("  total       {}; with {:.0f}% buffers {}\n", bytes_str(r.memory.total()),
             in.overhead * 100, bytes_str(r.memory_with_overhead));
  fmt::print("fits         {} on {} x {} ({})\n", r.fits ? "yes" : "NO", in.gpus, in.gpu.name,
             bytes_str(in.gpu.memory_bytes));
  fmt::print(
      "min GPUs     {} with these settings; {} with ZeRO-3\n",
      r.min_gpus ? std::to_string(*r.min_gpus) : "none (raise the ZeRO stage, TP/PP or recompute)",
      r.min_gpus_zero3 ? std::to_string(*r.min_gpus_zero3)
                       : "none (activations alone do not fit: recompute or TP+SP)");
  fmt::print("time         {} at {:.0f}% MFU on {} GPUs; {:.4g} GPU-hours\n",
             dur_str(r.time.seconds), in.mfu * 100, in.gpus, r.time.gpu_hours);
}

Status run_table(bool json) {
  LM_ASSIGN_OR_RETURN(auto rows, study_table());
  nlohmann::json j = nlohmann::json::array();
  if (!json) {
    fmt::print("{:<13} {:>9} {:>14} {:>14} {:>10} {:>12} {:>12} {:>14}  {}\n", "model", "states TB",
               "per GPU GB", "on hardware", "min GPUs", "100% days", "40% MFU d", "notes formula",
               "notes: hardware / time");
  }
  for (const auto& r : rows) {
    double gib = r.notes_formula_bytes / 1073741824.0;
    j.push_back(study_row_json(r));
    if (json) continue;
    fmt::print(
        "{:<13} {:>9.3f} {:>14.1f} {:>14} {:>10} {:>12.1f} {:>12.1f} {:>10.0f} GiB  {} / {}\n",
        r.label, r.model_states_bytes / 1e12, r.result.memory_with_overhead / 1e9,
        fmt::format("{}x{}", r.input.gpus, r.input.gpu.name),
        r.result.min_gpus ? std::to_string(*r.result.min_gpus) : "-", r.seconds_at_100pct / 86400,
        r.result.time.seconds / 86400, gib, r.notes_hardware, r.notes_time);
  }
  if (json) {
    print_json({{"rows", j}, {"explanation", study_formula_explanation()}});
    return ok_status();
  }
  fmt::print(
      "\nOur accounting: mixed-precision Adam (16 B/param), ZeRO-3 over all GPUs, selective "
      "recompute (TP 8 + SP from 100B), micro-batch 1, seq 2048, 2T tokens, +10% buffers.\n");
  for (const auto& line : study_formula_explanation()) fmt::print("{}\n", line);
  return ok_status();
}

void setup(CLI::App& app) {
  auto* sub =
      app.add_subcommand("estimate", "Parameters, FLOPs, memory per GPU, fit and time of a run");
  static Opts o;
  sub->add_option("--config", o.config, "Model config.json (HF GPT-2 keys: n_layer, n_head, ...)");
  sub->add_option("--params", o.params, "Total parameters (derives a shape when no layers given)");
  sub->add_option("--layers", o.layers, "Transformer layers");
  sub->add_option("--width", o.width, "Model width d_model");
  sub->add_option("--heads", o.heads, "Attention heads (default width/64)");
  sub->add_option("--vocab", o.vocab, "Vocabulary size")->capture_default_str();
  sub->add_option("--seq-len", o.seq_len, "Sequence length")->capture_default_str();
  sub->add_option("--tokens", o.tokens, "Training tokens (default 20 per parameter)");
  sub->add_option("--micro-batch,--batch", o.micro_batch, "Sequences per GPU per micro-step")
      ->capture_default_str();
  sub->add_option("--gpus", o.gpus, "GPUs in the job")->capture_default_str();
  sub->add_option("--gpu", o.gpu, "a100-40g|a100-80g|h100|h200|b200|v100|...")
      ->capture_default_str();
  sub->add_option("--mfu", o.mfu, "Model FLOPs utilisation (0-1)")->capture_default_str();
  sub->add_option("--precision", o.precision, "fp32|mixed|bf16|fp16|mixed-fp32-grads|adam8bit")
      ->capture_default_str();
  sub->add_option("--zero", o.zero, "ZeRO stage 0-3")->capture_default_str();
  sub->add_option("--tp", o.tp, "Tensor-parallel degree")->capture_default_str();
  sub->add_option("--pp", o.pp, "Pipeline-parallel degree")->capture_default_str();
  sub->add_flag("--sp", o.sp, "Sequence parallelism (with --tp)");
  sub->add_option("--recompute", o.recompute, "none|selective|full")->capture_default_str();
  sub->add_option("--overhead", o.overhead, "Buffers/fragmentation fraction")
      ->capture_default_str();
  sub->add_option("--flops", o.conv, "FLOP convention: 6n|kaplan|palm")->capture_default_str();
  sub->add_flag("--table", o.table, "The study notes' 10B/100B/1T table with our accounting");
  add_json_flag(sub, &o.json);
  set_action(sub, [] {
    if (o.table) return run_table(o.json);
    LM_ASSIGN_OR_RETURN(EstimateInput in, make_input(o));
    LM_ASSIGN_OR_RETURN(EstimateResult r, run_estimate(in));
    if (o.json)
      print_json(estimate_json(in, r));
    else
      print_human(in, r);
    return ok_status();
  });
}

Registrar reg(80, "estimate", setup);

}  // namespace
}  // namespace lm::cli
